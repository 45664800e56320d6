import ICE
import NIOCore
import SRTP
import NIOPosix
import RTP
import SDP
import Testing
import WebRTC
import WebRTCDriver

/// Collects up to `count` packets from a stream, or what arrived by `timeout`.
func collect(_ stream: AsyncStream<RTPPacket>, count: Int, timeout: Duration) async -> [RTPPacket] {
    await withTaskGroup(of: [RTPPacket]?.self) { group in
        group.addTask {
            var packets: [RTPPacket] = []
            for await packet in stream {
                packets.append(packet)
                if packets.count >= count { break }
            }
            return packets
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        var result: [RTPPacket] = []
        for await value in group {
            if let value {
                result = value
                group.cancelAll()
                break
            }
            group.cancelAll()
        }
        return result
    }
}

/// Our driver against itself over real loopback UDP in real time: the NIO path (sockets, timers, batching,
/// routing) under the sans-IO core that Tests/WebRTCTests proves in virtual time.
@Suite("WebRTC driver over loopback UDP", .serialized)
struct WebRTCPeerLoopbackTests {
    @Test("two peers on two sockets: offer/answer as text, connect, frames flow both ways on both tracks")
    func twoPeers() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let socketA = try await MediaSocket.bind(host: "127.0.0.1", group: group)
        let socketB = try await MediaSocket.bind(host: "127.0.0.1", group: group)
        let a = try await WebRTCPeer.create(on: socketA)
        let b = try await WebRTCPeer.create(on: socketB)
        do {
            let offer = try await a.createOffer()
            #expect(offer.contains("a=candidate:") && offer.contains("127.0.0.1"))
            try await b.setRemoteDescription(offer)
            let answer = try await b.createAnswer()
            try await a.setRemoteDescription(answer)
            try await a.waitUntilConnected(timeout: .seconds(10))
            try await b.waitUntilConnected(timeout: .seconds(10))

            for (sender, receiver) in [(a, b), (b, a)] {
                for kind in [MediaKind.audio, .video] {
                    let track = try await sender.localTrack(kind)
                    let stream = try await receiver.receivedRTP(mid: track.mid)
                    for frame in 0..<20 {
                        let payloads = (0..<(kind == .video ? 3 : 1)).map { part in
                            [UInt8](repeating: UInt8(truncatingIfNeeded: frame * 3 + part), count: 300)
                        }
                        try await sender.sendFrame(payloads, on: track, timestamp: UInt32(frame) * 3000)
                    }
                    let expected = kind == .video ? 60 : 20
                    let received = await collect(stream, count: expected, timeout: .seconds(10))
                    #expect(received.count == expected, "\(kind)")
                    #expect(received.allSatisfy { $0.header.ssrc == track.ssrc && $0.header.payloadType == track.payloadType })
                    let markers = received.filter { $0.header.marker }.count
                    #expect(markers == 20)
                }
            }
            // A PLI from b (it saw a's video) reaches a as a keyframe request for that track (RFC 4585 §6.3.1).
            let video = try await a.localTrack(.video)
            #expect(try await a.takeKeyframeRequest(for: video) == false)
            try await b.requestKeyframe(mid: video.mid)
            try await b.requestKeyframe(mid: video.mid, fullIntraRequest: true)
            var requested = false
            let deadline = ContinuousClock.now + .seconds(5)
            while !requested && ContinuousClock.now < deadline {
                requested = try await a.takeKeyframeRequest(for: video)
                if !requested { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(requested)
            let statistics = try await a.statistics()
            #expect(statistics.droppedDatagrams == 0)
            #expect(statistics.srtpProfile == .aeadAES128GCM)
        } catch {
            Issue.record("\(error)")
        }
        await a.close()
        await b.close()
        await socketA.close()
        await socketB.close()
        try await group.shutdownGracefully()
    }

    @Test("one lite server socket hosts two connections; datagrams are routed by ICE username, then address")
    func manyConnectionsOnOneSocket() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let serverSocket = try await MediaSocket.bind(host: "127.0.0.1", group: group)
        var lite = PeerConnectionConfiguration()
        lite.iceMode = .lite
        var clients: [(WebRTCPeer, MediaSocket)] = []
        var servers: [WebRTCPeer] = []
        do {
            for _ in 0..<2 {
                let socket = try await MediaSocket.bind(host: "127.0.0.1", group: group)
                let client = try await WebRTCPeer.create(on: socket)
                let server = try await WebRTCPeer.create(on: serverSocket, configuration: lite)
                try await server.setRemoteDescription(try await client.createOffer())
                try await client.setRemoteDescription(try await server.createAnswer())
                clients.append((client, socket))
                servers.append(server)
            }
            #expect(try await serverSocket.withTransport { $0.connectionCount } == 2)
            for index in 0..<2 {
                try await clients[index].0.waitUntilConnected(timeout: .seconds(10))
                try await servers[index].waitUntilConnected(timeout: .seconds(10))
            }
            // Each server-side connection gets its own client's packets only.
            for index in 0..<2 {
                let track = try await clients[index].0.localTrack(.audio)
                let stream = try await servers[index].receivedRTP(mid: track.mid)
                for number in 0..<10 {
                    try await clients[index].0.sendFrame([[UInt8(index), UInt8(number)]], on: track, timestamp: UInt32(number) * 960)
                }
                let received = await collect(stream, count: 10, timeout: .seconds(10))
                #expect(received.count == 10)
                #expect(received.allSatisfy { $0.header.ssrc == track.ssrc })
            }
            #expect(try await serverSocket.withTransport { $0.unroutedDatagrams } == 0)
        } catch {
            Issue.record("\(error)")
        }
        for server in servers { await server.close() }
        for (client, socket) in clients {
            await client.close()
            await socket.close()
        }
        #expect(try await serverSocket.withTransport { $0.connectionCount } == 0)
        await serverSocket.close()
        try await group.shutdownGracefully()
    }
}
