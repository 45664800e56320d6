import DTLS
import Foundation
import NIOCore
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Handshakes with a DTLS stack we did not drive ourselves — the `openssl s_server` / `s_client` programs — over
/// real loopback UDP, and compares the DTLS-SRTP keying material each side exported (RFC 5764 §4.2). Needs real
/// time (a few hundred milliseconds) and the `openssl` command; skipped without it.
@Suite(
    "DTLS interop with the openssl command line over loopback UDP",
    // Under CI=true the peer must be there: the suite runs and fails without it instead of skipping.
    .enabled(
        if: OpenSSLCommandLine.path != nil || ProcessInfo.processInfo.environment["CI"] == "true",
        "the openssl command is not installed (apt-get install openssl)"
    ),
    .serialized
)
struct OpenSSLCommandLineInteropTests {
    @Test("our client ↔ openssl s_server: SRTP_AEAD_AES_128_GCM and identical exported keys")
    func ourClientTheirServer() throws {
        let serverCertificate = try DTLSCertificate(
            pemCertificate: try Fixtures.text("dtls/test-certificate.pem"),
            pemPrivateKey: try Fixtures.text("dtls/test-key.pem")
        )
        let socket = try LoopbackUDPSocket()
        let port = try LoopbackUDPSocket.unusedPort()
        let server = try OpenSSLCommandLine.start([
            "s_server", "-dtls1_2", "-accept", "127.0.0.1:\(port)", "-mtu", "1200",
            "-cert", Fixtures.url("dtls/test-certificate.pem").path, "-key", Fixtures.url("dtls/test-key.pem").path,
            "-use_srtp", "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80", "-Verify", "1",
            "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "56", "-naccept", "1",
        ])
        defer { server.stop() }

        let client = try DTLSEndpoint(
            role: .client,
            certificate: try DTLSCertificate.generate(),
            remoteFingerprints: [serverCertificate.fingerprint],
            initialRetransmitTimeout: .milliseconds(100)
        )
        var peer: sockaddr_in? = LoopbackUDPSocket.address(port: port)
        try client.start(now: .now())  // the ClientHello; retransmitted every 100 ms+ until s_server is up
        try socket.pump(client, peer: &peer, learnPeer: false) { client.state == .connected }
        #expect(client.state == .connected)
        client.close(now: .now())
        try socket.pump(client, peer: &peer, learnPeer: false, for: .milliseconds(100)) { false }

        let output = server.waitForOutput()
        let material = try #require(client.keyingMaterial)
        #expect(material.profile == .aeadAES128GCM)
        #expect(output.contains("SRTP Extension negotiated, profile=SRTP_AEAD_AES_128_GCM"))
        #expect(OpenSSLCommandLine.keyingMaterial(in: output) == material.exportedBytes)
    }

    @Test("openssl s_client ↔ our server, AES-CM only offered: identical exported keys, client fingerprint checked")
    func theirClientOurServer() throws {
        let clientCertificate = try DTLSCertificate(
            pemCertificate: try Fixtures.text("dtls/test-certificate.pem"),
            pemPrivateKey: try Fixtures.text("dtls/test-key.pem")
        )
        let socket = try LoopbackUDPSocket()
        let server = try DTLSEndpoint(
            role: .server,
            certificate: try DTLSCertificate.generate(),
            remoteFingerprints: [clientCertificate.fingerprint]
        )
        let client = try OpenSSLCommandLine.start([
            "s_client", "-dtls1_2", "-connect", "127.0.0.1:\(socket.port)", "-mtu", "1200",
            "-cert", Fixtures.url("dtls/test-certificate.pem").path, "-key", Fixtures.url("dtls/test-key.pem").path,
            "-use_srtp", "SRTP_AES128_CM_SHA1_80",
            "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "60",
        ])
        defer { client.stop() }

        var peer: sockaddr_in? = nil
        try socket.pump(server, peer: &peer, learnPeer: true) { server.state == .connected }
        #expect(server.state == .connected)
        #expect(server.peerFingerprint == clientCertificate.fingerprint)
        // s_client prints its keying material after the handshake; give it a moment, then close.
        try socket.pump(server, peer: &peer, learnPeer: true, for: .milliseconds(200)) { false }
        server.close(now: .now())
        try socket.pump(server, peer: &peer, learnPeer: true, for: .milliseconds(100)) { false }

        let output = client.waitForOutput()
        let material = try #require(server.keyingMaterial)
        #expect(material.profile == .aes128CMHMACSHA1_80)
        #expect(output.contains("SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80"))
        #expect(OpenSSLCommandLine.keyingMaterial(in: output) == material.exportedBytes)
    }
}

extension SRTPKeyingMaterial {
    /// The exporter output again, in the RFC 5764 §4.2 order.
    var exportedBytes: [UInt8] { clientMasterKey + serverMasterKey + clientMasterSalt + serverMasterSalt }
}

/// Runs `openssl` subcommands with their output in a temporary file.
enum OpenSSLCommandLine {
    static let path: String? = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    final class Running {
        let process: Process
        let input: Pipe
        let outputURL: URL

        init(process: Process, input: Pipe, outputURL: URL) {
            self.process = process
            self.input = input
            self.outputURL = outputURL
        }

        /// Closes stdin (s_server/s_client then end), waits up to 3 s for exit, and returns what was printed.
        func waitForOutput() -> String {
            try? input.fileHandleForWriting.close()
            let deadline = Date().addingTimeInterval(3)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            stop()
            return (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        }

        func stop() {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
    }

    struct MissingPeer: Error, CustomStringConvertible {
        var description: String { "the openssl command line (Debian package openssl) is not installed" }
    }

    static func start(_ arguments: [String]) throws -> Running {
        guard let path else { throw MissingPeer() }
        let process = Process()
        // stdbuf: OpenSSL's stdout is stdio-buffered; unbuffered, nothing is lost if the process is stopped.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/stdbuf")
        process.arguments = ["-o0", path] + arguments
        let input = Pipe()
        let outputURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("openssl-interop-\(UInt64.random(in: 0...UInt64.max)).txt")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputURL)
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return Running(process: process, input: input, outputURL: outputURL)
    }

    /// The hex after "Keying material: " in s_server/s_client output.
    static func keyingMaterial(in output: String) -> [UInt8]? {
        guard let line = output.split(separator: "\n").first(where: { $0.contains("Keying material: ") }),
            let hex = line.split(separator: " ").last
        else { return nil }
        return Fixtures.hex(String(hex))
    }
}

/// A blocking IPv4 UDP socket on 127.0.0.1 with a short receive timeout, to drive an endpoint in real time.
final class LoopbackUDPSocket {
    let descriptor: Int32
    let port: UInt16

    struct Failure: Error { let what: String }

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(what: "socket") }
        var address = LoopbackUDPSocket.address(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            close(descriptor)
            throw Failure(what: "bind")
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 20_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.descriptor = descriptor
        port = UInt16(bigEndian: local.sin_port)
    }

    deinit { close(descriptor) }

    static func address(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// A port that was free a moment ago (bind to 0, read it, release it).
    static func unusedPort() throws -> UInt16 {
        try LoopbackUDPSocket().port
    }

    /// Sends what the endpoint queued, receives with a 20 ms timeout, fires timers — until `done` holds or `limit`
    /// passes. With `learnPeer`, the source of the first datagram becomes the peer.
    func pump(
        _ endpoint: DTLSEndpoint,
        peer: inout sockaddr_in?,
        learnPeer: Bool,
        for limit: TimeAmount = .seconds(5),
        until done: () -> Bool
    ) throws {
        let end = NIODeadline.now() + limit
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !done() && NIODeadline.now() < end {
            while let datagram = endpoint.pollTransmit() {
                guard var destination = peer else { continue }
                let bytes = Array(datagram.readableBytesView)
                _ = withUnsafePointer(to: &destination) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(descriptor, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            var source = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let received = withUnsafeMutablePointer(to: &source) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(descriptor, &buffer, buffer.count, 0, $0, &length)
                }
            }
            if received > 0 {
                if learnPeer && peer == nil { peer = source }
                try endpoint.handleDatagram(ByteBuffer(bytes: buffer[0..<received]), now: .now())
            }
            if let deadline = endpoint.nextDeadline(), deadline <= .now() {
                try endpoint.handleTimeout(now: .now())
            }
        }
    }
}
