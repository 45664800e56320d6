import Foundation
import Synchronization
import TestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Runs the built `meeting` and `meetclient` binaries as a user would.
@Suite("Command line")
struct CommandLineTests {
    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    /// The build products directory: the test runner lives next to the executables.
    static let productsDirectory: URL = {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.pathComponents.count > 1 {
            url.deleteLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("meeting").path) { return url }
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }()

    static func run(_ executable: String, _ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = productsDirectory.appendingPathComponent(executable)
        process.arguments = arguments
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            output: String(decoding: outputData, as: UTF8.self),
            error: String(decoding: errorData, as: UTF8.self)
        )
    }

    @Test("meeting --help lists every server subcommand with a one-line purpose")
    func meetingHelp() throws {
        let result = try Self.run("meeting", ["--help"])
        #expect(result.status == 0)
        for subcommand in ["apiserver", "sfuserver", "turnserver", "fsserver", "allocateserver", "up"] {
            let line = result.output.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(subcommand + " ") }
            #expect(line != nil, "no line for \(subcommand) in:\n\(result.output)")
            #expect((line?.count ?? 0) > subcommand.count + 20, "no purpose for \(subcommand)")
        }
    }

    @Test("meetclient --help lists every client subcommand with a one-line purpose")
    func meetclientHelp() throws {
        let result = try Self.run("meetclient", ["--help"])
        #expect(result.status == 0)
        for subcommand in ["join", "bench", "upload", "kiosk", "devices"] {
            let line = result.output.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(subcommand + " ") }
            #expect(line != nil, "no line for \(subcommand) in:\n\(result.output)")
        }
    }

    @Test(
        "Every server subcommand documents its deployment flags",
        arguments: [
            ("apiserver", ["--secret", "--mysqlAddress", "--mysqlUser", "--mysqlPassword", "--mysqlDatabase", "--domainaddress",
                           "--cert", "--certkey", "--mailServer", "--mailPort", "--mailUsername", "--mailPassword", "--mailFrom",
                           "--allocateserver", "--data"]),
            ("sfuserver", ["--secret", "--domainaddress", "--cert", "--certkey", "--apiserver", "--udp-port", "--tcp-port",
                           "--public-ip", "--max-participants", "--last-n", "--metrics"]),
            ("turnserver", ["--secret", "--port", "--ip", "--apiserver", "--listen", "--tls-port", "--relay-ports", "--realm",
                            "--static-auth-secret", "--allow-peer", "--deny-peer", "--allow-loopback-peers", "--user-quota",
                            "--max-bps", "--metrics"]),
            ("fsserver", ["--secret", "--domainaddress", "--cert", "--certkey", "--directory", "--apiserver"]),
            ("allocateserver", ["--config", "--listen", "--path"]),
        ]
    )
    func serverFlags(subcommand: String, flags: [String]) throws {
        let result = try Self.run("meeting", [subcommand, "--help"])
        #expect(result.status == 0)
        for flag in flags {
            #expect(result.output.contains(flag + " ") || result.output.contains(flag + "\n"), "\(subcommand) --help lacks \(flag)")
        }
    }

    @Test("A subcommand that is not built yet says so and exits with status 2")
    func notBuiltYet() throws {
        let secret = "0123456789abcdef0123"
        let invocations: [(String, [String])] = [
            ("meeting", ["fsserver", "--secret", secret, "--domainaddress", "localhost:8445", "--directory", "/tmp/x",
                         "--apiserver", "localhost:8443"]),
            ("meetclient", ["join", "123-456", "--server", "http://localhost:8080"]),
            ("meetclient", ["devices"]),
        ]
        for (executable, arguments) in invocations {
            let result = try Self.run(executable, arguments)
            #expect(result.status == 2, "\(executable) \(arguments) exited \(result.status): \(result.error)")
            #expect(result.error.contains("not built yet"), "\(executable) \(arguments): \(result.error)")
        }
    }

    @Test("meeting sfuserver starts, says where it listens, and drains and exits 0 on SIGTERM")
    func sfuserverRunsAndStops() async throws {
        let port = try Self.freeTCPPort()
        let process = Process()
        process.executableURL = Self.productsDirectory.appendingPathComponent("meeting")
        process.arguments = ["sfuserver", "--secret", "0123456789abcdef0123", "--domainaddress", "127.0.0.1:\(port)",
            "--listen", "127.0.0.1", "--udp-port", "0", "--apiserver", "127.0.0.1:1"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let text = OutputCollector()
        output.fileHandleForReading.readabilityHandler = { handle in text.append(handle.availableData) }
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let deadline = Date().addingTimeInterval(30)
        while !text.value.contains("media UDP") && process.isRunning && Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(text.value.contains("signaling ws://127.0.0.1:\(port)/rtc"), "\(text.value)")
        kill(process.processIdentifier, SIGTERM)
        let stopDeadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < stopDeadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning, "still running 20 s after SIGTERM")
        if !process.isRunning {
            #expect(process.terminationStatus == 0)
            #expect(text.value.contains("stopped"), "\(text.value)")
        }
    }

    @Test("meeting up: one command, and a join link whose token the sfuserver it started accepts")
    func upJoinsThroughItsOwnSFUServer() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("up-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let httpPort = try Self.freeTCPPort(), sfuPort = try Self.freeTCPPort()
        let process = Process()
        process.executableURL = Self.productsDirectory.appendingPathComponent("meeting")
        process.arguments = ["up", "--data", data.path, "--http-port", String(httpPort), "--turn-port", "0",
            "--sfu-port", String(sfuPort), "--sfu-udp-port", "0"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let text = OutputCollector()
        output.fileHandleForReading.readabilityHandler = { handle in text.append(handle.availableData) }
        try process.run()
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        let deadline = Date().addingTimeInterval(60)
        while !text.value.contains("Stop with Ctrl-C") && process.isRunning && Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let printed = text.value
        #expect(printed.contains("sfuserver   ws://127.0.0.1:\(sfuPort)/rtc"), "\(printed)")
        let link = try #require(printed.split(whereSeparator: \.isWhitespace).first { $0.contains("/j/") }, "no join link: \(printed)")
        let meetingID = String(link.split(separator: "/").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        // Sign in with the code `meeting up` prints, join, and open the sfuserver's WebSocket with the token.
        let base = "http://127.0.0.1:\(httpPort)"
        _ = try await Self.post("\(base)/v1/signin/code", ["email": "admin@meeting.localhost"])
        var code: String?
        while code == nil && Date() < deadline {
            code = text.value.split(separator: "\n").last { $0.contains("sign-in code for admin@meeting.localhost") }?
                .split(separator: " ").first { $0.count == 6 && $0.allSatisfy(\.isNumber) }.map(String.init)
            if code == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let verified = try await Self.post("\(base)/v1/signin/verify", ["email": "admin@meeting.localhost", "code": try #require(code)])
        let session = try #require(verified["session"] as? String ?? verified["token"] as? String, "\(verified)")
        // A client follows `servers.preparing` (Retry-After) until the servers are ready.
        var joined: [String: Any] = [:]
        while Date() < deadline {
            joined = try await Self.post("\(base)/v1/meetings/\(meetingID)/join", [:], bearer: session)
            guard (joined["error"] as? [String: Any])?["code"] as? String == "servers.preparing" else { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(joined["signalingURL"] as? String == "ws://127.0.0.1:\(sfuPort)/rtc", "\(joined)")
        let token = try #require(joined["token"] as? String, "\(joined)")
        let (status, frames) = try await RawWebSocket.frames(port: sfuPort, path: "/rtc?token=\(token)", firstFrameOnly: true)
        #expect(status.contains("101"))
        let first = try #require(frames.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.text.utf8)) as? [String: Any] })
        #expect(first["type"] as? String == "joined" && first["meetingID"] as? String == meetingID, "\(first)")
        kill(process.processIdentifier, SIGTERM)
    }

    /// POSTs JSON and returns the JSON answer.
    static func post(_ url: String, _ body: [String: String], bearer: String? = nil) async throws -> [String: Any] {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let bearer { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        let (data, _) = try await URLSession.shared.data(for: request)
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    /// A TCP port free on 127.0.0.1 right now.
    static func freeTCPPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw CocoaError(.fileNoSuchFile) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test("Bad flag values get a clear usage error, not a crash")
    func badFlags() throws {
        let secret = "0123456789abcdef0123"
        let weak = try Self.run("meeting", ["apiserver", "--secret", "short", "--domainaddress", "localhost:8443"])
        #expect(weak.status == 64)
        #expect(weak.error.contains("--secret must be at least 16 characters"))
        let badAddress = try Self.run("meeting", ["apiserver", "--secret", secret, "--domainaddress", "localhost"])
        #expect(badAddress.status == 64)
        #expect(badAddress.error.contains("has no port"))
        let noCertificate = try Self.run("meeting", ["apiserver", "--secret", secret, "--domainaddress", "localhost:8443"])
        #expect(noCertificate.status == 1)
        #expect(noCertificate.error.contains("--cert and --certkey") && noCertificate.error.contains("--http"),
            "\(noCertificate.error)")
        let badRange = try Self.run("meeting", ["turnserver", "--secret", secret, "--ip", "1.2.3.4", "--relay-ports", "9-2"])
        #expect(badRange.status == 64)
        #expect(badRange.error.contains("--relay-ports"))
        let badIP = try Self.run("meeting", ["turnserver", "--secret", secret, "--ip", "not-an-ip"])
        #expect(badIP.status == 64)
        #expect(badIP.error.contains("--ip"))
        let badPeer = try Self.run("meeting", ["turnserver", "--secret", secret, "--ip", "1.2.3.4", "--allow-peer", "10.0.0.0/40"])
        #expect(badPeer.status == 64)
        #expect(badPeer.error.contains("--allow-peer"))
        let loneCert = try Self.run("meeting", ["fsserver", "--secret", secret, "--domainaddress", "a:1", "--directory", "/d",
                                                "--apiserver", "a:2", "--cert", "c.pem"])
        #expect(loneCert.status == 64)
        #expect(loneCert.error.contains("--cert and --certkey go together"))
        let missingConfig = try Self.run("meeting", ["allocateserver", "--config", "/nonexistent/alloc.json",
                                                     "--path", "/unguessable-123"])
        #expect(missingConfig.status == 1)
        #expect(missingConfig.error.contains("--config /nonexistent/alloc.json"), "\(missingConfig.error)")
        let badSize = try Self.run("meetclient", ["join", "x", "--size", "1280by720"])
        #expect(badSize.status == 64)
        #expect(badSize.error.contains("WIDTHxHEIGHT"))
    }
}

/// Text a child process writes, collected by a pipe's readability handler.
final class OutputCollector: Sendable {
    private let text = Mutex("")
    func append(_ data: Data) { text.withLock { $0 += String(decoding: data, as: UTF8.self) } }
    var value: String { text.withLock { $0 } }
}
