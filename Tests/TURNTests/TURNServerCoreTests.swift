import NIOCore
import STUN
import Testing
import TURN

@Suite("TURN core: Binding, Allocate, permissions, channels, lifetimes")
struct TURNServerCoreTests {
    @Test("Binding answers with the reflexive address, no authentication")
    func binding() throws {
        var harness = TURNCoreHarness()
        let request = STUNMessage(method: .binding, messageClass: .request)
        let responses = TURNCoreHarness.responses(harness.send(try request.serialized()))
        #expect(responses.count == 1)
        #expect(responses.first?.isSuccess == true)
        #expect(responses.first?.xorMappedAddress == harness.client.client)
        #expect(responses.first?.transactionID == request.transactionID)
    }

    @Test("Allocate: 401 challenge with REALM and NONCE, then success with relayed address and lifetime")
    func allocate() throws {
        var harness = TURNCoreHarness()
        let request = STUNMessage(method: .allocate, messageClass: .request,
            attributes: [.requestedTransport(protocolNumber: 17), .software(String(repeating: "y", count: 60))])
        let challenge = try required(TURNCoreHarness.responses(harness.send(try request.serialized())).first)
        #expect(challenge.errorCode?.code == 401)
        #expect(challenge.realm == TURNCoreHarness.realm)
        #expect(challenge.nonce?.count == 24)
        let response = try required(harness.authenticated(.allocate, [.requestedTransport(protocolNumber: 17),
            .dontFragment, .lifetime(1200)], nonce: try #require(challenge.nonce)))
        #expect(response.isSuccess)
        let relayed = try #require(response.xorRelayedAddress)
        #expect(relayed.address == STUNIPAddress("203.0.113.1"))
        #expect((50000...50099).contains(relayed.port))
        #expect(response.lifetime == 1200)
        #expect(response.xorMappedAddress == harness.client.client)
        #expect(harness.core.metrics.allocations == 1)
    }

    @Test("Responses to authenticated requests carry a MESSAGE-INTEGRITY the client can verify")
    func responseIntegrity() throws {
        var harness = TURNCoreHarness()
        let challenge = try required(TURNCoreHarness.responses(harness.send(try STUNMessage(method: .allocate,
            messageClass: .request, attributes: [.requestedTransport(protocolNumber: 17),
            .software(String(repeating: "y", count: 60))]).serialized())).first)
        let (username, key) = harness.credentials()
        let request = STUNMessage(method: .allocate, messageClass: .request, attributes: [
            .requestedTransport(protocolNumber: 17), .username(username), .realm(TURNCoreHarness.realm),
            .nonce(try #require(challenge.nonce)),
        ])
        let actions = harness.send(try request.serialized(integrityKey: key))
        let bytes = try #require(actions.compactMap { action -> ByteBuffer? in
            if case .sendToClient(let bytes, _) = action { return bytes }
            return nil
        }.first)
        #expect(throws: Never.self) { try STUNMessage.verifyIntegrity(of: bytes, key: key) }
    }

    @Test("REQUESTED-ADDRESS-FAMILY IPv6 relays on the IPv6 address; an unknown family is 440")
    func addressFamilies() throws {
        var harness = TURNCoreHarness()
        let v6 = try required(harness.allocate([.requestedAddressFamily(.ipv6)]))
        #expect(v6.xorRelayedAddress?.address == STUNIPAddress("2001:db8::1"))
        var other = TURNCoreHarness()
        let bad = try required(other.allocate([.requestedAddressFamily(STUNAddressFamily(rawValue: 9))]))
        #expect(bad.errorCode?.code == 440)
    }

    @Test("EVEN-PORT R=1 gives an even port and a RESERVATION-TOKEN; the token allocates the next port")
    func evenPortReservation() throws {
        var harness = TURNCoreHarness()
        let first = try required(harness.allocate([.evenPort(reserveNextPort: true)]))
        let port = try #require(first.xorRelayedAddress?.port)
        #expect(port % 2 == 0)
        guard case .reservationToken(let token)? = first.first(.reservationToken) else {
            Issue.record("no RESERVATION-TOKEN")
            return
        }
        var second = harness.client
        second.client.port += 1
        let paired = try required(harness.allocate([.reservationToken(token)], from: second))
        #expect(paired.xorRelayedAddress?.port == port + 1)
        var third = harness.client
        third.client.port += 2
        let reused = try required(harness.allocate([.reservationToken(token)], from: third))
        #expect(reused.errorCode?.code == 508)
        let mixed = try required(harness.allocate([.reservationToken(token), .evenPort(reserveNextPort: false)],
            from: third))
        #expect(mixed.errorCode?.code == 400)
    }

    @Test("A second Allocate on the same 5-tuple is 437; a retransmission gets the same success")
    func allocationMismatch() throws {
        var harness = TURNCoreHarness()
        _ = try required(harness.allocate())
        let again = try required(harness.allocate())
        #expect(again.errorCode?.code == 437)
    }

    @Test("REQUESTED-TRANSPORT missing is 400, TCP is 442")
    func requestedTransport() throws {
        var harness = TURNCoreHarness()
        #expect(harness.request(.allocate, [])?.errorCode?.code == 400)
        #expect(harness.request(.allocate, [.requestedTransport(protocolNumber: 6)])?.errorCode?.code == 442)
    }

    @Test("Refresh extends, LIFETIME 0 deletes and closes the relay; requests without allocation are 437")
    func refresh() throws {
        var harness = TURNCoreHarness()
        _ = try required(harness.allocate())
        let extended = try required(harness.request(.refresh, [.lifetime(3000)]))
        #expect(extended.lifetime == 3000)
        let capped = try required(harness.request(.refresh, [.lifetime(100_000)]))
        #expect(capped.lifetime == 3600)
        let deleted = try required(harness.request(.refresh, [.lifetime(0)]))
        #expect(deleted.isSuccess && deleted.lifetime == 0)
        #expect(harness.core.allocationCount == 0)
        #expect(harness.request(.refresh, [])?.errorCode?.code == 437)
        #expect(harness.request(.createPermission, [.xorPeerAddress(Self.peer)])?.errorCode?.code == 437)
    }

    static let peer = STUNTransportAddress(address: STUNIPAddress("198.51.100.20")!, port: 5000)

    @Test("CreatePermission lets a peer's datagrams through as Data indications; others are dropped")
    func permissions() throws {
        var harness = TURNCoreHarness()
        _ = try required(harness.allocate())
        let relay = try required(harness.core.relayID(of: harness.client))
        #expect(harness.core.routePeerData(relay: relay, from: Self.peer, length: 10, now: harness.now) == nil)
        #expect(harness.request(.createPermission, [.xorPeerAddress(Self.peer)])?.isSuccess == true)
        #expect(harness.core.metrics.permissions == 1)
        // Any port of a permitted IP (RFC 8656 §9).
        var otherPort = Self.peer
        otherPort.port = 6000
        let actions = harness.core.handlePeerData(ByteBuffer(bytes: [1, 2, 3]), relay: relay, from: otherPort,
            now: harness.now)
        let indication = try #require(TURNCoreHarness.responses(actions).first)
        #expect(indication.method == .data && indication.messageClass == .indication)
        #expect(indication.xorPeerAddresses == [otherPort])
        #expect(indication.data.map { Array($0.readableBytesView) } == [1, 2, 3])
        // Send indication to the peer.
        let send = STUNMessage(method: .send, messageClass: .indication,
            attributes: [.xorPeerAddress(Self.peer), .data(ByteBuffer(bytes: [9, 9]))])
        let out = harness.send(try send.serialized())
        guard case .sendToPeer(let outRelay, let peer, let payload)? = out.first else {
            Issue.record("Send indication not relayed")
            return
        }
        #expect(outRelay == relay && peer == Self.peer && payload.readableBytes == 2)
        // Expiry after 300 s.
        _ = harness.advance(seconds: 301)
        #expect(harness.core.routePeerData(relay: relay, from: Self.peer, length: 10, now: harness.now) == nil)
        #expect(harness.core.metrics.permissions == 0)
    }

    @Test("ChannelBind: whole 0x4000-0x7FFF range, ChannelData both ways, conflicts 400, expiry at 600 s")
    func channels() throws {
        var harness = TURNCoreHarness()
        _ = try required(harness.allocate([], from: nil))
        let relay = try required(harness.core.relayID(of: harness.client))
        #expect(harness.request(.channelBind, [.channelNumber(0x7ABC), .xorPeerAddress(Self.peer)])?.isSuccess == true)
        #expect(harness.request(.channelBind, [.channelNumber(0x3FFF), .xorPeerAddress(Self.peer)])?.errorCode?.code == 400)
        var otherPeer = Self.peer
        otherPeer.port = 7000
        #expect(harness.request(.channelBind, [.channelNumber(0x7ABC), .xorPeerAddress(otherPeer)])?.errorCode?.code == 400)
        #expect(harness.request(.channelBind, [.channelNumber(0x4001), .xorPeerAddress(Self.peer)])?.errorCode?.code == 400)
        // Re-binding the same pair refreshes it.
        #expect(harness.request(.channelBind, [.channelNumber(0x7ABC), .xorPeerAddress(Self.peer)])?.isSuccess == true)

        let data = try ChannelData(channelNumber: 0x7ABC, payload: ByteBuffer(bytes: [1, 2, 3, 4, 5])).serialized(padding: .none)
        guard case .sendToPeer(let outRelay, let peer, let payload)? = harness.send(data).first else {
            Issue.record("ChannelData not relayed")
            return
        }
        #expect(outRelay == relay && peer == Self.peer && payload.readableBytes == 5)
        #expect(harness.core.routePeerData(relay: relay, from: Self.peer, length: 5, now: harness.now)
            == .channelData(channel: 0x7ABC, to: harness.client))
        // Refresh the allocation and permission but not the channel: the channel expires at 600 s.
        #expect(harness.request(.refresh, [.lifetime(3600)])?.isSuccess == true)
        _ = harness.advance(seconds: 290)
        let permission = harness.request(.createPermission, [.xorPeerAddress(Self.peer)])
        #expect(permission?.isSuccess == true, "\(String(describing: permission?.errorCode))")
        _ = harness.advance(seconds: 290)
        #expect(harness.request(.createPermission, [.xorPeerAddress(Self.peer)])?.isSuccess == true)
        _ = harness.advance(seconds: 30)
        #expect(harness.core.routeChannelData(channel: 0x7ABC, length: 5, from: harness.client, now: harness.now) == nil)
        #expect(harness.core.routePeerData(relay: relay, from: Self.peer, length: 5, now: harness.now)
            == .dataIndication(to: harness.client))
    }

    @Test("The allocation expires with its lifetime and the relay is closed")
    func allocationExpiry() throws {
        var harness = TURNCoreHarness()
        _ = try required(harness.allocate())
        let relay = try required(harness.core.relayID(of: harness.client))
        #expect(harness.core.nextDeadline() == harness.now.adding(seconds: 600))
        #expect(harness.advance(seconds: 599).isEmpty)
        let actions = harness.advance(seconds: 1)
        guard case .closeRelay(let closed)? = actions.first else {
            Issue.record("relay not closed")
            return
        }
        #expect(closed == relay)
        #expect(harness.core.allocationCount == 0)
        #expect(harness.core.metrics.allocations == 0)
    }

    @Test("A relay that cannot be bound is retried on another port, then answered 508")
    func relayBindFailure() throws {
        var harness = TURNCoreHarness()
        let challenge = STUNMessage(method: .allocate, messageClass: .request,
            attributes: [.requestedTransport(protocolNumber: 17), .software(String(repeating: "x", count: 64))])
        let nonce = try required(TURNCoreHarness.responses(harness.send(try challenge.serialized())).first?.nonce)
        let (username, key) = harness.credentials()
        let request = STUNMessage(method: .allocate, messageClass: .request, attributes: [
            .requestedTransport(protocolNumber: 17), .username(username), .realm(TURNCoreHarness.realm), .nonce(nonce),
        ])
        var actions = harness.core.handle(try request.serialized(integrityKey: key), from: harness.client, now: harness.now)
        var attempts = 0
        while case .openRelay(let relay, _, _)? = actions.first {
            attempts += 1
            actions = harness.core.relayFailed(relay, now: harness.now)
        }
        #expect(attempts == 5)
        #expect(TURNCoreHarness.responses(actions).first?.errorCode?.code == 508)
        #expect(harness.core.allocationCount == 0)
    }

    @Test("A stream client's allocation goes when its connection closes")
    func connectionClosed() throws {
        var harness = TURNCoreHarness()
        var tcp = harness.client
        tcp.transport = .tcp
        _ = try required(harness.allocate([], from: tcp))
        #expect(harness.core.allocationCount == 1)
        let actions = harness.core.connectionClosed(tcp)
        #expect(actions.count == 1)
        #expect(harness.core.allocationCount == 0)
    }

    @Test("Peer datagrams to a TCP client are ChannelData padded to four bytes")
    func streamPadding() throws {
        var harness = TURNCoreHarness()
        var tcp = harness.client
        tcp.transport = .tcp
        _ = try required(harness.allocate([], from: tcp))
        #expect(harness.request(.channelBind, [.channelNumber(0x4000), .xorPeerAddress(Self.peer)], from: tcp)?.isSuccess == true)
        let relay = try required(harness.core.relayID(of: tcp))
        let actions = harness.core.handlePeerData(ByteBuffer(bytes: [1, 2, 3, 4, 5]), relay: relay, from: Self.peer,
            now: harness.now)
        guard case .sendToClient(let bytes, _)? = actions.first else {
            Issue.record("not delivered")
            return
        }
        #expect(Array(bytes.readableBytesView) == [0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0])
    }
}
