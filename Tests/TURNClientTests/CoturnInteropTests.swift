import Foundation
import ICE
import NIOCore
import STUN
import TestSupport
import Testing

/// Our TURN client against coturn's `turnserver` (Debian package `coturn`), a server we did not write, over
/// loopback UDP: long-term credentials with coturn's 401 challenge, CreatePermission, Send/Data indications,
/// ChannelBind and ChannelData both ways, Refresh and deallocation.
@Suite(
    "TURN client against coturn's turnserver",
    .serialized,
    .enabled(if: RealPeer.available(RealPeer.executable("turnserver") != nil), "apt-get install coturn"))
struct CoturnInteropTests {
    static let user = "alice"
    static let password = "wonderland-7"
    static let realm = "meeting.test"

    /// A running coturn on 127.0.0.1; killed and its directory removed by `stop()`.
    final class Coturn {
        let process = Process()
        let directory: URL
        let port: UInt16

        init() throws {
            let executable = try #require(RealPeer.executable("turnserver"), "apt-get install coturn")
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("meeting-coturn-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            // A port that was free a moment ago (bound and released by a throwaway socket).
            port = try LoopbackUDPSocket().port
            let relayBase = 40_000 + Int(port % 10_000)
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = [
                "-n", "--listening-ip", "127.0.0.1", "--listening-port", "\(port)", "--relay-ip", "127.0.0.1",
                "--min-port", "\(relayBase)", "--max-port", "\(relayBase + 50)",
                "--lt-cred-mech", "--user", "\(CoturnInteropTests.user):\(CoturnInteropTests.password)",
                "--realm", CoturnInteropTests.realm, "--allow-loopback-peers", "--no-tls", "--no-dtls", "--no-tcp",
                "--no-cli", "--no-rfc5780", "--no-stun-backward-compatibility",
                "--pidfile", directory.appendingPathComponent("turnserver.pid").path,
                "--log-file", directory.appendingPathComponent("turnserver.log").path, "--simple-log",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        var server: STUNTransportAddress { STUNTransportAddress(address: STUNIPAddress("127.0.0.1")!, port: port) }

        var log: String {
            (try? String(contentsOf: directory.appendingPathComponent("turnserver.log"), encoding: .utf8)) ?? ""
        }

        func stop() {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Moves the client's outputs to the socket and the socket's datagrams to the client until `done` returns a
    /// value or `seconds` pass (real time: coturn is a real process). Returns the events seen.
    static func exchange<T>(
        _ client: inout TURNClientAllocation,
        over socket: LoopbackUDPSocket,
        server: STUNTransportAddress,
        seconds: TimeInterval = 10,
        until done: (TURNClientOutput) -> T?
    ) -> T? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            while let output = client.pollOutput() {
                if case .send(let bytes) = output {
                    socket.send(Array(bytes.readableBytesView), to: server)
                } else if let result = done(output) {
                    return result
                }
            }
            if let (bytes, _) = socket.receive(timeout: 0.05) {
                client.handleDatagram(ByteBuffer(bytes: bytes), now: .now())
            }
            client.handleTimeout(now: .now())
        }
        return nil
    }

    @Test("allocate, permission, Send/Data indications, ChannelBind, ChannelData both ways, refresh, deallocate")
    func fullAllocationLifecycle() throws {
        let coturn = try Coturn()
        defer { coturn.stop() }
        let socket = try LoopbackUDPSocket()
        let peer = try LoopbackUDPSocket()
        var client = TURNClientAllocation(
            configuration: TURNClientConfiguration(
                server: coturn.server, username: Self.user, password: Self.password,
                initialRetransmissionTimeout: .milliseconds(200), maximumTransmissions: 9))
        // coturn needs a moment to bind: the client's own retransmissions (200 ms, doubling) cover that.
        client.start(now: .now())
        let allocation = Self.exchange(&client, over: socket, server: coturn.server, seconds: 20) { output in
            if case .allocated(let relayed, let mapped, let lifetime) = output { return (relayed, mapped, lifetime) }
            if case .failed(let error) = output { Issue.record("allocation failed: \(error)\n\(coturn.log)") }
            return nil
        }
        let (relayed, mapped, lifetime) = try #require(allocation, "no allocation from coturn\n\(coturn.log)")
        #expect(relayed.address == STUNIPAddress("127.0.0.1"))
        #expect(mapped == socket.address)
        #expect(lifetime > 0)

        // Permission, then a Send indication reaches the peer from the relayed address.
        try client.createPermission(for: [peer.address.address], now: .now())
        let permitted = Self.exchange(&client, over: socket, server: coturn.server) { output -> Bool? in
            if case .permissionCreated = output { return true }
            if case .requestFailed(let error) = output { Issue.record("permission failed: \(error)") }
            return nil
        }
        #expect(permitted == true)
        var buffer = ByteBuffer()
        #expect(client.frame(ByteBuffer(bytes: Array("via send indication".utf8)), to: peer.address, into: &buffer))
        socket.send(Array(buffer.readableBytesView), to: coturn.server)
        let atPeer = try #require(peer.receive(timeout: 5), "peer got nothing through coturn")
        #expect(atPeer.bytes == Array("via send indication".utf8))
        #expect(atPeer.from == relayed)

        // The peer answers the relayed address: a Data indication for us.
        peer.send(Array("via data indication".utf8), to: relayed)
        let viaIndication = Self.exchange(&client, over: socket, server: coturn.server) { output -> [UInt8]? in
            if case .data(let data, let from) = output, from == peer.address { return Array(data.readableBytesView) }
            return nil
        }
        #expect(viaIndication == Array("via data indication".utf8))

        // ChannelBind, then ChannelData both ways.
        let channel = try client.bindChannel(to: peer.address, now: .now())
        let bound = Self.exchange(&client, over: socket, server: coturn.server) { output -> UInt16? in
            if case .channelBound(let number, _) = output { return number }
            if case .requestFailed(let error) = output { Issue.record("channel bind failed: \(error)") }
            return nil
        }
        #expect(bound == channel)
        buffer.clear()
        #expect(client.frame(ByteBuffer(bytes: [0xC0, 0xFF, 0xEE]), to: peer.address, into: &buffer))
        #expect(buffer.getInteger(at: 0, as: UInt16.self) == channel)
        socket.send(Array(buffer.readableBytesView), to: coturn.server)
        let channelAtPeer = try #require(peer.receive(timeout: 5), "peer got no ChannelData payload")
        #expect(channelAtPeer.bytes == [0xC0, 0xFF, 0xEE])
        peer.send([1, 2, 3, 4, 5], to: relayed)
        // Read the raw datagram first to see that coturn used the channel.
        let raw = try #require(socket.receive(timeout: 5), "no ChannelData from coturn")
        #expect(raw.bytes.first.map { (0x40...0x7F).contains($0) } == true)
        client.handleDatagram(ByteBuffer(bytes: raw.bytes), now: .now())
        guard case .data(let data, let from)? = client.pollOutput() else {
            Issue.record("ChannelData from coturn was not unwrapped")
            return
        }
        #expect(from == peer.address && Array(data.readableBytesView) == [1, 2, 3, 4, 5])

        // Refresh (coturn grants at least 600 s, so the scheduled refresh is too far off to wait for: ask now).
        client.refresh(now: .now())
        let refreshed = Self.exchange(&client, over: socket, server: coturn.server) { output -> UInt32? in
            if case .refreshed(let lifetime) = output { return lifetime }
            if case .failed(let error) = output { Issue.record("refresh failed: \(error)") }
            return nil
        }
        #expect(refreshed == 600)

        // Delete the allocation.
        client.deallocate(now: .now())
        let gone = Self.exchange(&client, over: socket, server: coturn.server) { output -> Bool? in
            if case .deallocated = output { return true }
            return nil
        }
        #expect(gone == true)
    }

    @Test("wrong password: coturn's 401 to the authenticated Allocate fails the allocation")
    func wrongPassword() throws {
        let coturn = try Coturn()
        defer { coturn.stop() }
        let socket = try LoopbackUDPSocket()
        var client = TURNClientAllocation(
            configuration: TURNClientConfiguration(
                server: coturn.server, username: Self.user, password: "not-it",
                initialRetransmissionTimeout: .milliseconds(200), maximumTransmissions: 9))
        client.start(now: .now())
        let failure = Self.exchange(&client, over: socket, server: coturn.server, seconds: 20) { output -> TURNClientError? in
            if case .failed(let error) = output { return error }
            if case .allocated = output { Issue.record("allocated with a wrong password") }
            return nil
        }
        let error = try #require(failure)
        guard case .errorResponse(_, let code) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(code.code == 401)
    }
}
