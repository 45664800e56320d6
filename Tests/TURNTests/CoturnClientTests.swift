import Foundation
import NIOCore
import NIOPosix
import Testing
import TURN

/// `meeting turnserver`'s library against coturn's own test clients (Debian package `coturn`:
/// turnutils_stunclient, turnutils_uclient, turnutils_peer), all on loopback. uclient exits 0 even at 100 % loss,
/// so every run is judged on its summary lines, and every run is bounded by `timeout`.
///
/// Without the binaries the tests are skipped with a message — except under `CI=true`, where they fail.
@Suite("coturn's clients against our turnserver", .serialized, .enabled(if: CoturnTools.shouldRun,
    "coturn's turnutils_* are not installed (apt-get install coturn); under CI=true this fails instead"))
struct CoturnClientTests {
    static let secret = "secret"

    @Test("turnutils_stunclient prints the reflexive address")
    func stunClient() async throws {
        try await CoturnTools.withServer { server, _ in
            let run = try CoturnTools.run("turnutils_stunclient", ["-p", "\(server.port)", "127.0.0.1"], seconds: 10)
            #expect(run.output.contains("UDP reflexive addr: 127.0.0.1:"), "\(run.output)")
        }
    }

    @Test("uclient over UDP, TCP and TLS: 1000 bytes each way, nothing lost",
        arguments: [["-e"], ["-t", "-e"], ["-t", "-S", "-e"]])
    func smoke(transport: [String]) async throws {
        try await CoturnTools.withServer { server, peerPort in
            let port = transport.contains("-S") ? try #require(server.tlsPort) : server.port
            let run = try CoturnTools.run("turnutils_uclient",
                Array(transport.dropLast()) + ["-e", "127.0.0.1", "-r", "\(peerPort)", "-X", "-g", "-u", "user",
                    "-W", Self.secret, "-p", "\(port)", "127.0.0.1"], seconds: 60)
            #expect(run.output.contains("start_mclient: tot_send_bytes ~ 1000, tot_recv_bytes ~ 1000"), "\(run.tail)")
            #expect(run.output.contains("Total lost packets 0 ("), "\(run.tail)")
        }
    }

    @Test("uclient -c -m 50 -n 500 -l 120: 25000 of 25000 received")
    func load() async throws {
        try await CoturnTools.withServer { server, peerPort in
            let run = try CoturnTools.run("turnutils_uclient",
                ["-c", "-m", "50", "-n", "500", "-l", "120", "-e", "127.0.0.1", "-r", "\(peerPort)", "-X", "-g",
                    "-u", "user", "-W", Self.secret, "-p", "\(server.port)", "127.0.0.1"], seconds: 120)
            #expect(run.output.contains("start_mclient: tot_send_msgs=25000, tot_recv_msgs=25000"), "\(run.tail)")
            #expect(run.output.contains("Total lost packets 0 ("), "\(run.tail)")
        }
    }

    @Test("uclient -y -m 10 -n 100 (client to client through two relays): 1200 of 1200")
    func clientToClient() async throws {
        try await CoturnTools.withServer { server, _ in
            let run = try CoturnTools.run("turnutils_uclient",
                ["-y", "-m", "10", "-n", "100", "-X", "-g", "-u", "user", "-W", Self.secret, "-p", "\(server.port)",
                    "127.0.0.1"], seconds: 60)
            #expect(run.output.contains("start_mclient: tot_send_msgs=1200, tot_recv_msgs=1200"), "\(run.tail)")
            #expect(run.output.contains("Total lost packets 0 ("), "\(run.tail)")
        }
    }

    @Test("uclient -s (Send and Data indications, with RTCP pairs via EVEN-PORT): nothing lost")
    func sendIndications() async throws {
        try await CoturnTools.withServer { server, peerPort in
            let run = try CoturnTools.run("turnutils_uclient",
                ["-s", "-m", "4", "-n", "50", "-e", "127.0.0.1", "-r", "\(peerPort)", "-X", "-u", "user", "-W",
                    Self.secret, "-p", "\(server.port)", "127.0.0.1"], seconds: 60)
            #expect(run.output.contains("start_mclient: tot_send_msgs=200, tot_recv_msgs=200"), "\(run.tail)")
            #expect(run.output.contains("Total lost packets 0 ("), "\(run.tail)")
        }
    }

    @Test("Without --allow-loopback-peers the loopback peer is refused with 403 and uclient gives up")
    func loopbackDenied() async throws {
        try await CoturnTools.withServer(allowLoopback: false) { server, peerPort in
            let run = try CoturnTools.run("turnutils_uclient",
                ["-e", "127.0.0.1", "-r", "\(peerPort)", "-X", "-u", "user", "-W", Self.secret, "-p", "\(server.port)",
                    "127.0.0.1"], seconds: 60)
            #expect(run.output.contains("error 403"), "\(run.tail)")
            #expect(run.status == 255)
            #expect(await server.metrics().deniedPeers > 0)
        }
    }

    @Test("IPv6: uclient -x relays through an IPv6 allocation to a peer on ::1")
    func ipv6() async throws {
        try await CoturnTools.withServer(loopback: "::1") { server, peerPort in
            let run = try CoturnTools.run("turnutils_uclient",
                ["-x", "-e", "::1", "-r", "\(peerPort)", "-u", "user", "-W", Self.secret, "-p", "\(server.port)", "::1"],
                seconds: 60)
            #expect(run.output.contains("start_mclient: tot_send_bytes ~ 1000, tot_recv_bytes ~ 1000"), "\(run.tail)")
            #expect(run.output.contains("Total lost packets 0 ("), "\(run.tail)")
        }
    }

    @Test("uclient -T -m 4 -n 50 (RFC 6062 TCP relay: Connect, ConnectionAttempt, ConnectionBind): 200 of 200")
    func tcpRelay() async throws {
        try await CoturnTools.withServer { server, _ in
            let run = try CoturnTools.run("turnutils_uclient",
                ["-T", "-m", "4", "-n", "50", "-u", "user", "-W", Self.secret, "-p", "\(server.port)", "127.0.0.1"],
                seconds: 60)
            #expect(run.output.contains("start_mclient: tot_send_msgs=200, tot_recv_msgs=200"), "\(run.tail)")
            #expect(run.output.contains("Total lost packets 0 ("), "\(run.tail)")
        }
    }

    @Test("A wrong REST secret cannot allocate")
    func wrongSecret() async throws {
        try await CoturnTools.withServer { server, peerPort in
            let run = try CoturnTools.run("turnutils_uclient",
                ["-e", "127.0.0.1", "-r", "\(peerPort)", "-X", "-u", "user", "-W", "not-the-secret", "-p",
                    "\(server.port)", "127.0.0.1"], seconds: 30)
            #expect(run.status == 255, "\(run.tail)")
            #expect(!run.output.contains("tot_recv_bytes ~ 1000"))
            #expect(await server.metrics().authenticationFailures > 0)
        }
    }
}

/// Finding, starting and reading coturn's tools.
enum CoturnTools {
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    static let tools = ["turnutils_uclient", "turnutils_peer", "turnutils_stunclient"]

    static func path(of tool: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for directory in directories + ["/usr/bin", "/usr/local/bin"] {
            let candidate = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Run when every tool is there, and always under CI (where a missing tool must fail the run).
    static var shouldRun: Bool { isCI || tools.allSatisfy { path(of: $0) != nil } }

    struct Run {
        var status: Int32
        var output: String
        /// The last lines, for failure messages.
        var tail: String { output.split(separator: "\n").suffix(12).joined(separator: "\n") }
    }

    /// Runs `tool` under `timeout` with output to a file (uclient prints a lot; a pipe could fill up).
    static func run(_ tool: String, _ arguments: [String], seconds: Int) throws -> Run {
        let executable = try #require(path(of: tool), "\(tool) is missing: apt-get install coturn")
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("turn-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["-s", "KILL", "\(seconds)", executable] + arguments
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return Run(status: process.terminationStatus, output: output)
    }

    /// A free UDP port on 127.0.0.1 (bound and released; loopback only).
    static func freeUDPPort(host: String) async throws -> Int {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: host, port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        return port
    }

    /// Waits until some process has bound UDP `port`, reading the kernel's socket tables (/proc/net/udp and udp6)
    /// rather than probing with a bind of our own, which could take the port from under the process we wait for.
    /// Polls every 10 ms, at most until `within` has passed; returns whether the port was seen bound.
    static func waitUntilUDPPortIsBound(host: String, port: Int, within limit: Duration) async -> Bool {
        let needle = String(format: ":%04X ", port)
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            for table in ["/proc/net/udp", "/proc/net/udp6"] {
                guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
                // Column 2 is local_address as HEXADDR:HEXPORT.
                for line in text.split(separator: "\n").dropFirst() {
                    let columns = line.split(separator: " ", omittingEmptySubsequences: true)
                    if columns.count > 1, (columns[1] + " ").hasSuffix(needle) { return true }
                }
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// A self-signed certificate made now with the openssl CLI.
    static func makeCertificate() throws -> (certificate: String, key: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("turn-cert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
            certificate, "-days", "2", "-subj", "/CN=localhost"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "openssl req failed")
        return (certificate, key)
    }

    /// Starts our server on ephemeral loopback ports (UDP/TCP and TLS) and turnutils_peer, runs `body`, stops both.
    static func withServer(
        allowLoopback: Bool = true,
        loopback: String = "127.0.0.1",
        _ body: (TURNServer, Int) async throws -> Void
    ) async throws {
        for tool in tools {
            try #require(path(of: tool) != nil, "\(tool) is missing: apt-get install coturn (CI=\(isCI))")
        }
        let (certificate, key) = try makeCertificate()
        // Relay ports below Linux's ephemeral range, so the clients' own sockets never take them.
        let base = Int.random(in: 0..<12) * 1000 + 20000
        let settings = try TURNServerSettings.fromFlags(
            deploymentSecret: "0123456789abcdef0123", publicIP: loopback, port: 0, listen: [loopback],
            tlsPort: 0, certificatePath: certificate, privateKeyPath: key, relayPorts: "\(base)-\(base + 999)",
            realm: "north.gov", staticAuthSecret: CoturnClientTests.secret, allowPeers: [], denyPeers: [],
            allowLoopbackPeers: allowLoopback, userQuota: 0, maxBitsPerSecond: 0, metrics: nil)
        let server = try await TURNServer.start(settings: settings)
        let peerPort = try await freeUDPPort(host: loopback)
        let peer = Process()
        peer.executableURL = URL(fileURLWithPath: try #require(path(of: "turnutils_peer")))
        peer.arguments = ["-L", loopback, "-p", "\(peerPort)"]
        peer.standardOutput = FileHandle.nullDevice
        peer.standardError = FileHandle.nullDevice
        try peer.run()
        // turnutils_peer ignores SIGTERM.
        defer { kill(peer.processIdentifier, SIGKILL) }
        try #require(
            await waitUntilUDPPortIsBound(host: loopback, port: peerPort, within: .seconds(20)),
            "turnutils_peer did not bind \(loopback):\(peerPort) within 20 s"
        )
        do {
            try await body(server, peerPort)
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }
}
