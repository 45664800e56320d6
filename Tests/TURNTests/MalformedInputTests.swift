import NIOCore
import NIOPosix
import STUN
import Synchronization
import Testing
import TURN

/// A corpus of malformed datagrams and streams thrown at a running server on loopback: it must keep answering.
@Suite("Running server: malformed datagrams and streams")
struct MalformedInputTests {
    @Test("5000 malformed datagrams and 20 garbage streams, then a Binding still gets its answer")
    func malformedCorpus() async throws {
        let settings = try TURNServerSettings.fromFlags(
            deploymentSecret: "0123456789abcdef0123", publicIP: "127.0.0.1", port: 0, listen: ["127.0.0.1"],
            tlsPort: nil, certificatePath: nil, privateKeyPath: nil, relayPorts: "33000-33099", realm: "north.gov",
            staticAuthSecret: "secret", allowPeers: [], denyPeers: [], allowLoopbackPeers: false, userQuota: 0,
            maxBitsPerSecond: 0, metrics: nil)
        let server = try await TURNServer.start(settings: settings)
        let group = MultiThreadedEventLoopGroup.singleton
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: server.port)
        let client = try await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        var generator = SplitMix64(seed: 7)
        let valid = try STUNMessage(method: .allocate, messageClass: .request, attributes: [
            .requestedTransport(protocolNumber: 17), .lifetime(600), .username("1:user"), .realm("north.gov"),
            .nonce("00000000000000000000aaaa"),
        ]).bytes(integrityKey: .shortTerm(password: "x"), fingerprint: true)
        func mutated() -> [UInt8] {
            switch generator.next() % 4 {
            case 0:
                return (0..<Int(generator.next() % 100)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            case 1:
                var bytes = valid
                for _ in 0..<4 {
                    bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
                }
                return bytes
            case 2:
                return Array(valid.prefix(Int(generator.next() % UInt64(valid.count))))
            default:
                let channel = UInt16(0x4000 + generator.next() % 0x4000)
                let length = UInt16(generator.next() % 200)
                return [UInt8(channel >> 8), UInt8(channel & 0xFF), UInt8(length >> 8), UInt8(length & 0xFF)]
                    + (0..<Int(generator.next() % 64)).map { _ in 0 }
            }
        }
        for round in 0..<5000 {
            let envelope = AddressedEnvelope(remoteAddress: target, data: ByteBuffer(bytes: mutated()))
            client.write(envelope, promise: nil)
            if round % 50 == 0 {
                client.flush()
                try await Task.sleep(for: .milliseconds(2))
            }
        }
        client.flush()
        for _ in 0..<20 {
            let connection = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: server.port).get()
            for _ in 0..<10 { connection.write(ByteBuffer(bytes: mutated()), promise: nil) }
            try? await connection.writeAndFlush(ByteBuffer(bytes: valid.prefix(30)))
            try? await connection.close()
        }
        try await client.close()

        // The server still answers a Binding.
        let answered = try await bindingAnswered(port: server.port, group: group)
        #expect(answered)
        #expect(await server.metrics().malformed > 0)
        await server.shutdown()
    }

    private func bindingAnswered(port: Int, group: MultiThreadedEventLoopGroup) async throws -> Bool {
        let collector = ResponseCollector()
        let channel = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let request = try STUNMessage(method: .binding, messageClass: .request).serialized()
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        for _ in 0..<20 {
            try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: request))
            try await Task.sleep(for: .milliseconds(100))
            if collector.received.load(ordering: .relaxed) > 0 { break }
        }
        try await channel.close()
        return collector.received.load(ordering: .relaxed) > 0
    }
}

final class ResponseCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let received = Atomic<Int>(0)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        if (try? STUNMessage(parsing: envelope.data))?.messageClass == .successResponse {
            received.wrappingAdd(1, ordering: .relaxed)
        }
    }
}
