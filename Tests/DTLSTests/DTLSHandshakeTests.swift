import DTLS
import NIOCore
import Testing

@Suite("DTLS handshake over an in-memory link (RFC 6347, RFC 5764)")
struct DTLSHandshakeTests {
    @Test("loss-free handshake in virtual time: GCM chosen, identical keys, every datagram within the MTU")
    func lossFreeHandshake() throws {
        let (client, server) = try makeEndpoints()
        let link = InMemoryDTLSLink(client: client, server: server)
        #expect(link.run())
        #expect(link.realTimeWaited == .zero)
        #expect(link.clientErrors.isEmpty && link.serverErrors.isEmpty)
        #expect(link.largestDatagram <= 1200)
        #expect(link.dropped == 0)

        let clientKeys = try #require(client.keyingMaterial)
        let serverKeys = try #require(server.keyingMaterial)
        #expect(clientKeys == serverKeys)
        #expect(clientKeys.profile == .aeadAES128GCM)
        #expect(clientKeys.clientMasterKey.count == 16 && clientKeys.clientMasterSalt.count == 12)
        #expect(clientKeys.serverMasterKey.count == 16 && clientKeys.serverMasterSalt.count == 12)
        #expect(clientKeys.clientMasterKey != clientKeys.serverMasterKey)
        #expect(link.clientEvents == [.connected(clientKeys)])
        #expect(link.serverEvents == [.connected(serverKeys)])
        #expect(client.localAndRemoteAgree(with: server))
        #expect(client.cipherSuiteName?.hasPrefix("ECDHE-ECDSA") == true)
        // Once connected, neither side keeps a retransmission timer running forever.
        #expect(client.nextDeadline() == nil)
        #expect(server.nextDeadline() == nil)
    }

    @Test("a small MTU splits flights into datagrams that each fit")
    func smallMTU() throws {
        let (client, server) = try makeEndpoints(mtu: 300)
        let link = InMemoryDTLSLink(client: client, server: server)
        #expect(link.run())
        #expect(link.largestDatagram <= 300)
        // The server's certificate flight alone is larger than 300 bytes, so it needed several datagrams.
        #expect(link.sent[.serverToClient, default: []].count >= 3)
    }

    @Test("only AES-CM offered: AES_CM_128_HMAC_SHA1_80 with 16-byte keys and 14-byte salts")
    func cmOnly() throws {
        let (client, server) = try makeEndpoints(clientProfiles: [.aes128CMHMACSHA1_80])
        let link = InMemoryDTLSLink(client: client, server: server)
        #expect(link.run())
        let keys = try #require(client.keyingMaterial)
        #expect(keys.profile == .aes128CMHMACSHA1_80)
        #expect(keys.clientMasterSalt.count == 14 && keys.serverMasterSalt.count == 14)
        #expect(server.keyingMaterial == keys)
    }

    @Test("the server's preference does not override the client's order: GCM offered second is still agreed")
    func serverAcceptsClientOffer() throws {
        let (client, server) = try makeEndpoints(
            clientProfiles: [.aes128CMHMACSHA1_80, .aeadAES128GCM],
            serverProfiles: [.aeadAES128GCM]
        )
        let link = InMemoryDTLSLink(client: client, server: server)
        #expect(link.run())
        #expect(client.keyingMaterial?.profile == .aeadAES128GCM)
    }

    @Test("no common SRTP profile: the handshake does not yield keys")
    func noCommonProfile() throws {
        let (client, server) = try makeEndpoints(
            clientProfiles: [.aes128CMHMACSHA1_80],
            serverProfiles: [.aeadAES128GCM]
        )
        let link = InMemoryDTLSLink(client: client, server: server)
        #expect(!link.run(realTimeBudget: .milliseconds(300)))
        #expect(client.keyingMaterial == nil)
        #expect(link.clientErrors.contains(.noSRTPProfileNegotiated) || link.serverErrors.contains(.noSRTPProfileNegotiated))
    }

    @Test("the first server flight is lost: the client's timer retransmits and the handshake completes")
    func lostServerFlight() throws {
        let (client, server) = try makeEndpoints(initialRetransmitTimeout: .milliseconds(50))
        let link = InMemoryDTLSLink(client: client, server: server)
        // The server's first flight (ServerHello … ServerHelloDone) is one datagram at MTU 1200.
        link.drop = { direction, index in direction == .serverToClient && index == 0 }
        #expect(link.run(realTimeBudget: .seconds(3)))
        #expect(link.dropped == 1)
        #expect(link.sent[.clientToServer, default: []].count >= 3)  // ClientHello twice, then the key flight
        #expect(client.keyingMaterial == server.keyingMaterial)
        #expect(link.largestDatagram <= 1200)
        // OpenSSL's timer reads the real clock, so the retransmission needed real time (about one 50 ms timeout).
        #expect(link.realTimeWaited > .zero && link.realTimeWaited < .seconds(3))
    }

    @Test("the server's final flight is lost: the client retransmits, the server repeats its Finished")
    func lostFinalFlight() throws {
        let (client, server) = try makeEndpoints(initialRetransmitTimeout: .milliseconds(50))
        let link = InMemoryDTLSLink(client: client, server: server)
        link.drop = { direction, index in direction == .serverToClient && index == 1 }
        #expect(link.run(realTimeBudget: .seconds(3)))
        #expect(link.dropped == 1)
        #expect(link.realTimeWaited > .zero)
        #expect(link.sent[.serverToClient, default: []].count >= 3)  // the final flight went out twice
        #expect(client.keyingMaterial == server.keyingMaterial)
    }

    @Test("losses in both directions (the client's key flight, then the server's Finished): still completes")
    func lossesBothWays() throws {
        let (client, server) = try makeEndpoints(initialRetransmitTimeout: .milliseconds(50))
        let link = InMemoryDTLSLink(client: client, server: server)
        // Client datagrams: 0 ClientHello, 1 its key flight (dropped), 2 the key flight again.
        // Server datagrams: 0 its hello flight, 1 a repeat or the Finished flight — dropped either way.
        link.drop = { direction, index in
            (direction == .clientToServer && index == 1) || (direction == .serverToClient && index == 1)
        }
        #expect(link.run(realTimeBudget: .seconds(4)))
        #expect(link.dropped == 2)
        #expect(client.keyingMaterial != nil && client.keyingMaterial == server.keyingMaterial)
        #expect(link.largestDatagram <= 1200)
    }

    @Test("the client refuses a server certificate that does not match the remote fingerprint")
    func clientRefusesWrongFingerprint() throws {
        let wrong = DTLSFingerprint(hashFunction: .sha256, digest: [UInt8](repeating: 0x42, count: 32))
        let (client, server) = try makeEndpoints(clientExpects: wrong)
        let link = InMemoryDTLSLink(client: client, server: server)
        #expect(!link.run(realTimeBudget: .milliseconds(300)))
        guard case .failed(.fingerprintMismatch(let expected, let received)) = client.state else {
            Issue.record("client state is \(client.state)")
            return
        }
        #expect(expected == [wrong])
        #expect(received == client.peerFingerprint)
        #expect(client.keyingMaterial == nil && server.keyingMaterial == nil)
        // The client's bad_certificate alert reached the server, which failed too.
        guard case .failed = server.state else {
            Issue.record("server state is \(server.state)")
            return
        }
    }

    @Test("the server refuses a client certificate that does not match the remote fingerprint")
    func serverRefusesWrongFingerprint() throws {
        let wrong = DTLSFingerprint(hashFunction: .sha256, digest: [UInt8](repeating: 0x17, count: 32))
        let (client, server) = try makeEndpoints(serverExpects: wrong)
        let link = InMemoryDTLSLink(client: client, server: server)
        #expect(!link.run(realTimeBudget: .milliseconds(300)))
        guard case .failed(.fingerprintMismatch) = server.state else {
            Issue.record("server state is \(server.state)")
            return
        }
        #expect(server.keyingMaterial == nil)
        #expect(client.keyingMaterial == nil)
    }

    @Test("close_notify: the peer sees it, answers, and both end closed")
    func closeNotify() throws {
        let (client, server) = try makeEndpoints()
        let link = InMemoryDTLSLink(client: client, server: server)
        #expect(link.run())
        client.close(now: link.now)
        #expect(client.state == .closed)
        let reached = link.run { $0.server.state == .closed }
        #expect(reached)
        #expect(link.serverEvents.last == .closedByPeer)
        // The datagram after close is ignored, not an error.
        try server.handleDatagram(ByteBuffer(bytes: [22, 254, 253, 0]), now: link.now)
        #expect(server.state == .closed)
    }

    @Test("garbage datagrams are dropped without failing the handshake")
    func garbageIsIgnored() throws {
        let (client, server) = try makeEndpoints()
        var random = SystemRandomNumberGenerator()
        for length in [1, 13, 25, 100, 1200] {
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            bytes[0] = 22  // a handshake record type, so OpenSSL looks further
            if length > 2 {
                bytes[1] = 0xFE
                bytes[2] = 0xFD
            }
            try server.handleDatagram(ByteBuffer(bytes: bytes), now: .uptimeNanoseconds(1))
        }
        #expect(server.state == .handshaking)
        let link = InMemoryDTLSLink(client: client, server: server)
        #expect(link.run())
    }

    @Test("datagrams are never merged: every pollTransmit result is one OpenSSL write")
    func oneDatagramPerWrite() throws {
        let (client, server) = try makeEndpoints(mtu: 256)
        try client.start(now: .uptimeNanoseconds(1))
        var clientHello: [ByteBuffer] = []
        while let datagram = client.pollTransmit() { clientHello.append(datagram) }
        #expect(clientHello.count == 1)
        for datagram in clientHello { try server.handleDatagram(datagram, now: .uptimeNanoseconds(2)) }
        var flight: [ByteBuffer] = []
        while let datagram = server.pollTransmit() { flight.append(datagram) }
        #expect(flight.count > 1)
        // Each datagram starts with a DTLS 1.2 record header (content type, version 0xFEFD) and holds whole records.
        for datagram in flight {
            #expect(datagram.readableBytes <= 256)
            var view = datagram
            while view.readableBytes > 0 {
                guard let type = view.readInteger(as: UInt8.self), let version = view.readInteger(as: UInt16.self),
                    view.moveReaderIndex(forwardBy: 8) == (),
                    let length = view.readInteger(as: UInt16.self)
                else {
                    Issue.record("truncated record header")
                    break
                }
                #expect((20...26).contains(type))
                #expect(version == 0xFEFD || version == 0xFEFF)
                #expect(Int(length) <= view.readableBytes)
                view.moveReaderIndex(forwardBy: min(Int(length), view.readableBytes))
            }
        }
    }
}

extension DTLSEndpoint {
    /// Whether the two ends derived the same keys and the same peer fingerprints were checked.
    func localAndRemoteAgree(with other: DTLSEndpoint) -> Bool {
        keyingMaterial != nil && keyingMaterial == other.keyingMaterial && peerFingerprint != nil
            && other.peerFingerprint != nil
    }
}
