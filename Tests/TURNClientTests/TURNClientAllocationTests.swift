import ICE
import NIOCore
import STUN
import Testing
import TURN

@Suite("TURN client allocation against our TURN server core (virtual time)")
struct TURNClientAllocationTests {
    let peer = STUNTransportAddress(address: STUNIPAddress("192.0.2.50")!, port: 6000)

    /// An allocation made through the 401 challenge.
    static func allocated(_ server: inout InMemoryTURNServer) throws -> TURNClientAllocation {
        var client = TURNClientAllocation(configuration: server.configuration())
        client.start(now: server.now)
        let events = server.pump(&client)
        guard case .allocated(let relayed, let mapped, let lifetime)? = events.first else {
            Issue.record("no allocation: \(events)")
            throw TURNClientError.notAllocated
        }
        #expect(relayed.address == STUNIPAddress("203.0.113.1"))
        #expect((50000...50099).contains(relayed.port))
        #expect(mapped == server.clientAddress)
        #expect(lifetime == 600)
        #expect(client.state == .allocated)
        return client
    }

    @Test("Allocate: unauthenticated first, then USERNAME/REALM/NONCE/MESSAGE-INTEGRITY after the 401")
    func allocateWithChallenge() throws {
        var server = InMemoryTURNServer()
        _ = try Self.allocated(&server)
        #expect(server.clientRequests.count == 2)
        let (first, second) = (server.clientRequests[0], server.clientRequests[1])
        #expect(first.method == .allocate && first.first(.messageIntegrity) == nil && first.username == nil)
        #expect(first.first(.requestedTransport) == .requestedTransport(protocolNumber: 17))
        #expect(second.username == server.credentials().username)
        #expect(second.realm == InMemoryTURNServer.realm)
        #expect(second.nonce != nil)
        #expect(second.first(.messageIntegrity) != nil)
        #expect(server.core.metrics.allocations == 1)
    }

    @Test("wrong password: the authenticated Allocate's 401 fails the allocation")
    func wrongPassword() {
        var server = InMemoryTURNServer()
        var client = TURNClientAllocation(configuration: server.configuration(password: "not-the-password"))
        client.start(now: server.now)
        let events = server.pump(&client)
        guard case .failed(let error)? = events.first else {
            Issue.record("expected a failure, got \(events)")
            return
        }
        #expect(error.code == "turn-client.error-response")
        #expect(error == .errorResponse(method: "Allocate", .unauthenticated) || {
            if case .errorResponse(_, let code) = error { return code.code == 401 } else { return false }
        }())
        #expect(client.state == .failed(error))
        #expect(client.nextDeadline() == nil)
    }

    @Test("permission, Send/Data indications, then ChannelBind and ChannelData in both directions")
    func dataPaths() throws {
        var server = InMemoryTURNServer()
        var client = try Self.allocated(&server)
        var buffer = ByteBuffer()
        // No permission yet: nothing is framed.
        #expect(!client.frame(ByteBuffer(bytes: [1, 2, 3]), to: peer, into: &buffer))
        try client.createPermission(for: [peer.address], now: server.now)
        let permitted = server.pump(&client)
        guard case .permissionCreated(let addresses)? = permitted.first else {
            Issue.record("no permission: \(permitted)")
            return
        }
        #expect(addresses == [peer.address])
        // Send indication to the peer.
        #expect(client.frame(ByteBuffer(bytes: Array("hello".utf8)), to: peer, into: &buffer))
        #expect(buffer.getInteger(at: 0, as: UInt16.self) == 0x0016)  // Send indication (RFC 8656 §11.1)
        server.deliver(server.core.handle(buffer, from: server.fiveTuple, now: server.turnNow), to: &client)
        #expect(server.toPeers.last?.0 == peer)
        #expect(server.toPeers.last?.1 == Array("hello".utf8))
        // Data indication from the peer.
        server.peerSends(Array("world".utf8), from: peer, to: &client)
        guard case .data(let data, let from)? = client.pollOutput() else {
            Issue.record("no data from the peer")
            return
        }
        #expect(from == peer && Array(data.readableBytesView) == Array("world".utf8))

        // ChannelBind, then ChannelData both ways.
        let channel = try client.bindChannel(to: peer, now: server.now)
        #expect(channel == 0x4000)
        #expect(client.channel(for: peer) == nil)  // not confirmed yet
        let bound = server.pump(&client)
        guard case .channelBound(let boundChannel, let boundPeer)? = bound.first else {
            Issue.record("no channel: \(bound)")
            return
        }
        #expect(boundChannel == 0x4000 && boundPeer == peer)
        #expect(try client.bindChannel(to: peer, now: server.now) == 0x4000)
        buffer.clear()
        #expect(client.frame(ByteBuffer(bytes: [9, 8, 7]), to: peer, into: &buffer))
        #expect(Array(buffer.readableBytesView) == [0x40, 0x00, 0x00, 0x03, 9, 8, 7])
        server.deliver(server.core.handle(buffer, from: server.fiveTuple, now: server.turnNow), to: &client)
        #expect(server.toPeers.last?.1 == [9, 8, 7])
        server.peerSends([5, 5], from: peer, to: &client)
        guard case .data(let channelData, let channelPeer)? = client.pollOutput() else {
            Issue.record("no ChannelData from the peer")
            return
        }
        #expect(channelPeer == peer && Array(channelData.readableBytesView) == [5, 5])
        // Data from a peer without permission never reaches us (the server drops it).
        server.peerSends([1], from: STUNTransportAddress(address: STUNIPAddress("192.0.2.99")!, port: 1), to: &client)
        #expect(client.pollOutput() == nil)
    }

    @Test("refreshes keep allocation, permission and channel alive for 30 minutes; 438 stale nonces are retried")
    func refreshesAndStaleNonce() throws {
        var server = InMemoryTURNServer()
        var client = try Self.allocated(&server)
        try client.createPermission(for: [peer.address], now: server.now)
        try client.bindChannel(to: peer, now: server.now)
        _ = server.pump(&client)
        let events = server.advance(seconds: 1_800, client: &client)
        let refreshes = events.filter { if case .refreshed = $0 { return true } else { return false } }
        #expect(refreshes.count >= 3)
        #expect(!events.contains { if case .failed = $0 { return true } else { return false } })
        #expect(!events.contains { if case .requestFailed = $0 { return true } else { return false } })
        // The server's nonces last 600 s, so some request met 438 Stale Nonce and was repeated with a new nonce.
        let nonces = Set(server.clientRequests.compactMap(\.nonce))
        #expect(nonces.count >= 2)
        // Still relaying through the channel after 30 minutes.
        server.peerSends([42], from: peer, to: &client)
        guard case .data(let data, _)? = client.pollOutput() else {
            Issue.record("allocation, permission or channel lapsed")
            return
        }
        #expect(Array(data.readableBytesView) == [42])
        #expect(client.state == .allocated)
    }

    @Test("deallocate: Refresh with LIFETIME 0 removes the allocation on the server")
    func deallocate() throws {
        var server = InMemoryTURNServer()
        var client = try Self.allocated(&server)
        client.deallocate(now: server.now)
        let events = server.pump(&client)
        guard case .deallocated? = events.first else {
            Issue.record("expected deallocated: \(events)")
            return
        }
        #expect(server.clientRequests.last?.lifetime == 0)
        #expect(client.state == .deallocated)
        #expect(server.core.metrics.allocations == 0)
        #expect(client.nextDeadline() == nil)
        #expect(throws: TURNClientError.notAllocated) { try client.createPermission(for: [peer.address], now: server.now) }
    }

    @Test("lost requests are retransmitted with a doubling RTO; a dead server times out after Rc transmissions")
    func retransmissions() throws {
        var server = InMemoryTURNServer()
        var client = TURNClientAllocation(configuration: server.configuration())
        server.dropFromClient = 2
        client.start(now: server.now)
        _ = server.pump(&client)
        var events = server.advance(seconds: 2, client: &client)
        // Sent at 0 (lost), 0.5 s (lost), 1.5 s (answered with 401) → authenticated → allocated.
        #expect(events.contains { if case .allocated = $0 { return true } else { return false } })
        #expect(server.clientRequests.count == 4)
        #expect(server.clientRequests[0].transactionID == server.clientRequests[2].transactionID)

        var dead = InMemoryTURNServer()
        var lonely = TURNClientAllocation(configuration: dead.configuration())
        dead.dropFromClient = 1_000
        lonely.start(now: dead.now)
        _ = dead.pump(&lonely)
        events = dead.advance(seconds: 60, client: &lonely)
        #expect(dead.clientRequests.count == 7)
        guard case .failed(.timeout(let method))? = events.last else {
            Issue.record("expected a timeout: \(events)")
            return
        }
        #expect(method == "Allocate")
    }

    @Test("over TCP: ChannelData is padded to 4 bytes both ways (RFC 8656 §12.5) and requests are not retransmitted")
    func streamTransport() throws {
        var server = InMemoryTURNServer()
        server.stream = true
        var client = try Self.allocated(&server)
        try client.bindChannel(to: peer, now: server.now)
        _ = server.pump(&client)
        #expect(client.hasPermission(for: peer.address))
        var buffer = ByteBuffer()
        #expect(client.frame(ByteBuffer(bytes: [1, 2, 3, 4, 5]), to: peer, into: &buffer))
        #expect(Array(buffer.readableBytesView) == [0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0])
        server.deliver(server.core.handle(buffer, from: server.fiveTuple, now: server.turnNow), to: &client)
        #expect(server.toPeers.last?.1 == [1, 2, 3, 4, 5])
        server.peerSends([7, 7, 7], from: peer, to: &client)
        guard case .data(let data, _)? = client.pollOutput() else {
            Issue.record("no padded ChannelData unwrapped")
            return
        }
        #expect(Array(data.readableBytesView) == [7, 7, 7])

        // A lost request over TCP is not sent again; the transaction times out after 39.5 s.
        var dead = InMemoryTURNServer()
        dead.stream = true
        dead.dropFromClient = 1_000
        var lonely = TURNClientAllocation(configuration: dead.configuration())
        lonely.start(now: dead.now)
        _ = dead.pump(&lonely)
        let events = dead.advance(seconds: 60, client: &lonely)
        #expect(dead.clientRequests.count == 1)
        guard case .failed(.timeout)? = events.last else {
            Issue.record("expected a timeout: \(events)")
            return
        }
    }

    @Test("malformed, unexpected and forged datagrams are ignored")
    func robustness() throws {
        var server = InMemoryTURNServer()
        var client = try Self.allocated(&server)
        let junk: [[UInt8]] = [[], [0x40], [0x40, 0x00, 0x00, 0x10, 1], [0x01, 0x01, 0x00], Array(repeating: 0xFF, count: 40)]
        for bytes in junk { client.handleDatagram(ByteBuffer(bytes: bytes), now: server.now) }
        // A success response to no transaction of ours.
        let forged = STUNMessage(method: .refresh, messageClass: .successResponse, attributes: [.lifetime(0)])
        client.handleDatagram(try forged.serialized(), now: server.now)
        // A Data indication from a peer without permission.
        let data = STUNMessage(method: .data, messageClass: .indication,
                               attributes: [.xorPeerAddress(peer), .data(ByteBuffer(bytes: [1]))])
        client.handleDatagram(try data.serialized(), now: server.now)
        #expect(client.pollOutput() == nil)
        #expect(client.state == .allocated)
    }
}
