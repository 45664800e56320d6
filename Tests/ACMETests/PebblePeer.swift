import ACME
import Foundation
import TestSupport

/// A running Pebble (Debian package `pebble`, Let's Encrypt's test CA) on free loopback ports, with its HTTPS
/// certificate made by the openssl CLI in a temporary directory; its HTTP-01 validation goes to `httpPort`, where
/// the test runs our challenge server. ``withPebble(_:)`` kills Pebble and removes the directory even when the test
/// fails.
struct PebblePeer: Sendable {
    static let shouldRun = RealPeer.available(RealPeer.executable("pebble") != nil
        && RealPeer.executable("openssl") != nil)
    /// With `pebble-challtestsrv` (same Debian package) as Pebble's DNS server, every name resolves to 127.0.0.1,
    /// so tests can certify a real-looking domain such as `meeting.test`.
    static let shouldRunWithDNS = RealPeer.available(RealPeer.executable("pebble") != nil
        && RealPeer.executable("pebble-challtestsrv") != nil && RealPeer.executable("openssl") != nil)

    let directory: URL
    let listenPort: Int
    let managementPort: Int
    let httpPort: Int

    var directoryURL: String { "https://127.0.0.1:\(listenPort)/dir" }
    /// The CA that signed Pebble's own HTTPS certificate (trusted by the ACME transport).
    var caFile: String { directory.appendingPathComponent("ca.pem").path }

    /// The Pebble log so far (one line per request it handled, e.g. `POST /order-plz`).
    var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("pebble.log"), encoding: .utf8)) ?? ""
    }

    /// - Parameter resolvingEverythingToLoopback: run `pebble-challtestsrv` as Pebble's DNS server, answering
    ///   127.0.0.1 for every A query and nothing for AAAA.
    static func withPebble<T>(resolvingEverythingToLoopback: Bool = false, _ body: (PebblePeer) async throws -> T)
        async throws -> T
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pebble-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestCertificates.make(in: directory)
        let ports = try FreePorts.find(count: 6)
        let config: [String: Any] = ["pebble": [
            "listenAddress": "127.0.0.1:\(ports[0])",
            "managementListenAddress": "127.0.0.1:\(ports[1])",
            "certificate": directory.appendingPathComponent("server.pem").path,
            "privateKey": directory.appendingPathComponent("server.key").path,
            "httpPort": ports[2],
            "tlsPort": ports[3],
            "ocspResponderURL": "",
            "externalAccountBindingRequired": false,
        ]]
        let configFile = directory.appendingPathComponent("pebble-config.json")
        try JSONSerialization.data(withJSONObject: config).write(to: configFile)

        var dnsServer: Process?
        defer {
            if let dnsServer {
                if dnsServer.isRunning { dnsServer.terminate() }
                dnsServer.waitUntilExit()
            }
        }
        var pebbleArguments = ["-config", configFile.path]
        if resolvingEverythingToLoopback {
            let dns = Process()
            dns.executableURL = URL(fileURLWithPath: try TestCertificates.tool("pebble-challtestsrv"))
            dns.arguments = ["-dns01", "127.0.0.1:\(ports[4])", "-management", "127.0.0.1:\(ports[5])",
                "-http01", "", "-https01", "", "-tlsalpn01", "", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""]
            let dnsLog = directory.appendingPathComponent("challtestsrv.log")
            _ = FileManager.default.createFile(atPath: dnsLog.path, contents: nil)
            let dnsHandle = try FileHandle(forWritingTo: dnsLog)
            dns.standardOutput = dnsHandle
            dns.standardError = dnsHandle
            try dns.run()
            dnsServer = dns
            let deadline = Date().addingTimeInterval(30)
            // Its DNS listener opens with the management one; TCP on the DNS port answers too.
            while !FreePorts.isListening(port: ports[4]) || !FreePorts.isListening(port: ports[5]) {
                guard dns.isRunning, Date() < deadline else {
                    throw TestError("pebble-challtestsrv did not start: \((try? String(contentsOf: dnsLog, encoding: .utf8)) ?? "")")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            pebbleArguments += ["-dnsserver", "127.0.0.1:\(ports[4])"]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try TestCertificates.tool("pebble"))
        process.arguments = pebbleArguments
        var environment = ProcessInfo.processInfo.environment
        environment["PEBBLE_VA_NOSLEEP"] = "1"
        // Reject 10 % of good nonces, so the client's badNonce retry (RFC 8555 §6.5) is exercised.
        environment["PEBBLE_WFE_NONCEREJECT"] = "10"
        process.environment = environment
        process.currentDirectoryURL = directory
        let log = directory.appendingPathComponent("pebble.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        defer {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            try? handle.close()
        }
        let deadline = Date().addingTimeInterval(30)
        while !FreePorts.isListening(port: ports[0]) || !FreePorts.isListening(port: ports[1]) {
            guard process.isRunning, Date() < deadline else {
                throw TestError("pebble did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let peer = PebblePeer(directory: directory, listenPort: ports[0], managementPort: ports[1],
            httpPort: ports[2])
        do {
            return try await body(peer)
        } catch {
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw TestError("\(error)\n--- pebble log (last lines) ---\n"
                + output.split(separator: "\n").suffix(15).joined(separator: "\n"))
        }
    }

    /// Pebble's current root certificate (PEM) from its management interface.
    func rootPEM(transport: AsyncHTTPClientTransport) async throws -> String {
        let response = try await transport.perform(method: "GET", url: "https://127.0.0.1:\(managementPort)/roots/0",
            body: nil, contentType: nil)
        guard response.status == 200 else { throw TestError("roots/0 answered \(response.status)") }
        return String(decoding: response.body, as: UTF8.self)
    }
}

/// Counts the requests that go to the CA (to prove a restart sends none).
final class CountingTransport: ACMEHTTPTransport {
    let inner: any ACMEHTTPTransport
    let requests = Counter()

    init(_ inner: any ACMEHTTPTransport) { self.inner = inner }

    func perform(method: String, url: String, body: [UInt8]?, contentType: String?)
        async throws(ACMEError) -> ACMEHTTPResponse
    {
        await requests.add("\(method) \(url)")
        return try await inner.perform(method: method, url: url, body: body, contentType: contentType)
    }

    actor Counter {
        private(set) var log: [String] = []
        func add(_ entry: String) { log.append(entry) }
    }
}

/// The openssl CLI making a throw-away CA and a certificate for 127.0.0.1/localhost signed by it.
enum TestCertificates {
    static func tool(_ name: String) throws -> String {
        guard let path = RealPeer.executable(name) else { throw TestError("\(name) is not installed") }
        return path
    }

    static func make(in directory: URL) throws {
        let openssl = try tool("openssl")
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: path("server.ext"), atomically: true, encoding: .utf8)
        _ = try run(openssl, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "2", "-subj", "/CN=Meeting ACME test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        _ = try run(openssl, ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=localhost"])
        _ = try run(openssl, ["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey",
            path("ca.key"), "-CAcreateserial", "-out", path("server.pem"), "-days", "2", "-extfile",
            path("server.ext")])
    }

    /// Runs a command to completion (killed after `seconds`), with `input` on stdin; returns stdout + stderr and
    /// the exit status.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], input: String = "", seconds: Double = 60,
        allowFailure: Bool = false) throws -> (output: String, status: Int32)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }
        let stdin = Pipe()
        process.standardInput = stdin
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard allowFailure || process.terminationStatus == 0 else {
            throw TestError("\(executable) \(arguments.joined(separator: " ")) failed: \(text)")
        }
        return (text, process.terminationStatus)
    }
}

/// Free loopback TCP ports (bound, then released) and a connect probe.
enum FreePorts {
    static func find(count: Int) throws -> [Int] {
        var descriptors: [Int32] = []
        defer { descriptors.forEach { close($0) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw TestError("socket failed") }
            descriptors.append(descriptor)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let ok = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
                }
            }
            guard ok else { throw TestError("bind failed") }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }

    static func isListening(port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

struct TestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
