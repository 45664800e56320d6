import Foundation

/// A throwaway MariaDB server for tests (Debian `mariadb-server`): `mariadb-install-db` into a temporary directory,
/// then `mariadbd` on a free loopback port with its socket in the same directory, as root or not.
///
/// One server serves a whole test process (``shared()``; installing the data directory takes seconds); each test
/// takes its own database and user from ``createDatabase()``. The server dies with the test process: `mariadbd`
/// runs under a small shell that kills it and removes the directory as soon as its standard input — a pipe held
/// only by this process — closes, which happens at exit and also when the test process crashes. At a normal exit an
/// `atexit` handler closes the pipe and waits (bounded) for that cleanup to finish.
///
/// Use with `.enabled(if: RealPeer.available(MariaDBServer.isInstalled), MariaDBServer.installHint)`.
public final class MariaDBServer: Sendable {
    /// Whether `mariadbd`, `mariadb-install-db` and the `mariadb` client are installed.
    public static var isInstalled: Bool {
        RealPeer.executable("mariadbd") != nil && RealPeer.executable("mariadb-install-db") != nil
            && RealPeer.executable("mariadb") != nil
    }

    /// What to install when it is missing.
    public static let installHint = "MariaDB is not installed (apt-get install mariadb-server); under CI=true this fails instead"

    /// `127.0.0.1`.
    public let host = "127.0.0.1"
    /// The TCP port the server listens on (loopback only).
    public let port: UInt16
    /// The temporary directory holding the data directory, the socket and the server's log.
    public let directory: URL
    /// The server's Unix socket.
    public var socketPath: String { directory.appendingPathComponent("sock").path }
    /// The server's log (`mariadbd` standard output and error), for failure messages.
    public var logPath: String { directory.appendingPathComponent("mariadbd.log").path }

    private let supervisor: Process
    private let lifeline: Pipe

    /// A database and a user with all rights on it, created by ``createDatabase()``.
    public struct Credentials: Sendable, Hashable {
        public let host: String
        public let port: UInt16
        public let user: String
        public let password: String
        public let database: String
        public let socketPath: String
    }

    /// Why the server could not be started or used.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private static let sharedServer: Result<MariaDBServer, Failure> = {
        do {
            let server = try MariaDBServer()
            sharedForExit = server
            atexit { MariaDBServer.sharedForExit?.stop() }
            return .success(server)
        } catch let error as Failure {
            return .failure(error)
        } catch {
            return .failure(Failure(description: "\(error)"))
        }
    }()

    /// Read by the `atexit` handler only, after `sharedServer` set it once.
    nonisolated(unsafe) private static var sharedForExit: MariaDBServer?

    /// The test process's server, started on first use (seconds) and stopped at exit.
    public static func shared() throws -> MariaDBServer {
        try sharedServer.get()
    }

    /// Installs a data directory and starts `mariadbd`, waiting (polling, at most 60 s) until it answers.
    public init() throws {
        guard let mariadbd = RealPeer.executable("mariadbd"), let install = RealPeer.executable("mariadb-install-db")
        else { throw Failure(description: "mariadbd or mariadb-install-db not found") }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("meeting-mariadb-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.directory = directory
        let data = directory.appendingPathComponent("data").path

        let installation = try Self.run(install, ["--no-defaults", "--datadir=\(data)",
            "--auth-root-authentication-method=normal", "--skip-test-db"], seconds: 120)
        guard installation.status == 0 else {
            try? FileManager.default.removeItem(at: directory)
            throw Failure(description: "mariadb-install-db failed (\(installation.status)): \(installation.output)")
        }

        let port = try Self.freeLoopbackPort()
        self.port = port
        // The supervisor shell: starts mariadbd, then reads its stdin until EOF (our end closed: exit or crash),
        // then kills mariadbd, polls /proc until it is dead (a shell `wait` can hang on the signal mask it inherits
        // from the test process) and removes the directory.
        let script = """
            "$1" --no-defaults --datadir="$2/data" --socket="$2/sock" --port="$3" --bind-address=127.0.0.1 \
            --user=root --pid-file="$2/mariadbd.pid" --skip-log-bin --skip-name-resolve \
            --innodb-buffer-pool-size=32M --innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=2 \
            --max-connections=500 --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
            >"$2/mariadbd.log" 2>&1 &
            child=$!
            while read -r _; do :; done
            kill -9 "$child" 2>/dev/null
            i=0
            while [ $i -lt 100 ] && [ -e "/proc/$child" ] && ! grep -q '^State:.*Z' "/proc/$child/status" 2>/dev/null; do
                sleep 0.05; i=$((i + 1))
            done
            rm -rf "$2"
            """
        let supervisor = Process()
        supervisor.executableURL = URL(fileURLWithPath: "/bin/sh")
        supervisor.arguments = ["-c", script, "mariadb-supervisor", mariadbd, directory.path, String(port)]
        let lifeline = Pipe()
        supervisor.standardInput = lifeline
        supervisor.standardOutput = FileHandle.nullDevice
        supervisor.standardError = FileHandle.nullDevice
        try supervisor.run()
        self.supervisor = supervisor
        self.lifeline = lifeline

        let deadline = Date().addingTimeInterval(60)
        while true {
            let ping = try Self.run(RealPeer.executable("mariadb") ?? "mariadb",
                ["--no-defaults", "--protocol=TCP", "-h", host, "-P", String(port), "-uroot", "-e", "SELECT 1"],
                seconds: 10)
            if ping.status == 0 { break }
            guard supervisor.isRunning, Date() < deadline else {
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                stop()
                throw Failure(description: "mariadbd did not answer on 127.0.0.1:\(port) within 60 s: \(log.suffix(2000))")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// Kills the server and removes its directory (waits at most 30 s for the supervisor to finish).
    public func stop() {
        try? lifeline.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(30)
        while supervisor.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if supervisor.isRunning { supervisor.terminate() }
    }

    /// Creates a fresh database and a user (password-authenticated over TCP from 127.0.0.1) owning it.
    public func createDatabase() throws -> Credentials {
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let database = "test_\(suffix)"
        let user = "u_\(suffix)"
        let password = "p_\(suffix)"
        try sql("""
            CREATE DATABASE \(database) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
            CREATE USER '\(user)'@'127.0.0.1' IDENTIFIED BY '\(password)';
            CREATE USER '\(user)'@'localhost' IDENTIFIED BY '\(password)';
            GRANT ALL PRIVILEGES ON \(database).* TO '\(user)'@'127.0.0.1';
            GRANT ALL PRIVILEGES ON \(database).* TO '\(user)'@'localhost';
            """)
        return Credentials(host: host, port: port, user: user, password: password, database: database,
            socketPath: socketPath)
    }

    /// Drops a database made by ``createDatabase()`` and its user.
    public func dropDatabase(_ credentials: Credentials) throws {
        try sql("""
            DROP DATABASE IF EXISTS \(credentials.database);
            DROP USER IF EXISTS '\(credentials.user)'@'127.0.0.1';
            DROP USER IF EXISTS '\(credentials.user)'@'localhost';
            """)
    }

    /// Runs SQL as root through the `mariadb` client over the socket (test set-up only; never input).
    public func sql(_ statements: String) throws {
        let result = try Self.run(RealPeer.executable("mariadb") ?? "mariadb",
            ["--no-defaults", "--socket=\(socketPath)", "-uroot", "-e", statements], seconds: 30)
        guard result.status == 0 else {
            throw Failure(description: "mariadb -e failed (\(result.status)): \(result.output)")
        }
    }

    // MARK: - Processes

    private static func run(_ executable: String, _ arguments: [String], seconds: TimeInterval) throws
        -> (status: Int32, output: String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("mariadb-run-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                process.waitUntilExit()
                throw Failure(description: "\(executable) \(arguments.joined(separator: " ")) ran longer than \(seconds) s")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        return (process.terminationStatus, text)
    }

    /// A TCP port free on 127.0.0.1 right now (bound to port 0, read back, released).
    private static func freeLoopbackPort() throws -> UInt16 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket() failed: \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw Failure(description: "bind() failed: \(errno)") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw Failure(description: "getsockname() failed: \(errno)") }
        return UInt16(bigEndian: address.sin_port)
    }
}
