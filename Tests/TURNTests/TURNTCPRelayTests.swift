import NIOCore
import STUN
import Testing
import TURN

@Suite("TURN core: RFC 6062 TCP relays")
struct TURNTCPRelayTests {
    static let peer = STUNTransportAddress(address: STUNIPAddress("198.51.100.20")!, port: 5000)

    func tcpHarness() -> (TURNCoreHarness, TURNFiveTuple) {
        let harness = TURNCoreHarness()
        var control = harness.client
        control.transport = .tcp
        return (harness, control)
    }

    @Test("TCP relays need a TCP or TLS client; EVEN-PORT with them is 400")
    func allocation() throws {
        var harness = TURNCoreHarness()
        #expect(harness.allocate([]).map { _ in true } == true)
        var udp = harness.client
        udp.client.port += 1
        #expect(harness.request(.allocate, [.requestedTransport(protocolNumber: 6)], from: udp)?.errorCode?.code == 442)
        var (tcpHarness, control) = tcpHarness()
        let even = tcpHarness.request(.allocate, [.requestedTransport(protocolNumber: 6), .evenPort(reserveNextPort: false)],
            from: control)
        #expect(even?.errorCode?.code == 400)
        control.client.port += 1
        let ok = tcpHarness.request(.allocate, [.requestedTransport(protocolNumber: 6)], from: control)
        #expect(ok?.isSuccess == true)
    }

    @Test("Connect: connection id on success, 447 on failure, 446 twice, 403 for denied peers")
    func connect() throws {
        var (harness, control) = tcpHarness()
        _ = try required(harness.request(.allocate, [.requestedTransport(protocolNumber: 6)], from: control))
        let relay = try #require(harness.core.relayID(of: control))
        let challenge = STUNMessage(method: .connect, messageClass: .request,
            attributes: [.xorPeerAddress(Self.peer), .software(String(repeating: "x", count: 64))])
        let nonce = try required(TURNCoreHarness.responses(harness.send(try challenge.serialized(), from: control)).first?.nonce)
        let (username, key) = harness.credentials()
        let request = STUNMessage(method: .connect, messageClass: .request, attributes: [
            .xorPeerAddress(Self.peer), .username(username), .realm(TURNCoreHarness.realm), .nonce(nonce),
        ])
        let actions = harness.core.handle(try request.serialized(integrityKey: key), from: control, now: harness.now)
        guard case .connectToPeer(let connectRelay, let peer, let id)? = actions.first else {
            Issue.record("no connect action: \(actions)")
            return
        }
        #expect(connectRelay == relay && peer == Self.peer)
        #expect(TURNServerCore.owningCore(of: id) == 0)
        let established = harness.core.peerConnectionEstablished(relay: relay, connectionID: id, now: harness.now)
        let success = try #require(TURNCoreHarness.responses(established).first)
        #expect(success.isSuccess && success.first(.connectionID) == .connectionID(id))
        // A second Connect to the same peer: 446.
        #expect(harness.request(.connect, [.xorPeerAddress(Self.peer)], from: control)?.errorCode?.code == 446)
        // A denied peer: 403.
        let loopback = STUNTransportAddress(address: STUNIPAddress("127.0.0.1")!, port: 80)
        #expect(harness.request(.connect, [.xorPeerAddress(loopback)], from: control)?.errorCode?.code == 403)
    }

    @Test("A peer connecting without permission is refused; with one, the client gets a ConnectionAttempt")
    func peerAttempt() throws {
        var (harness, control) = tcpHarness()
        _ = try required(harness.request(.allocate, [.requestedTransport(protocolNumber: 6)], from: control))
        let relay = try #require(harness.core.relayID(of: control))
        let refused = harness.core.peerConnectionAccepted(relay: relay, from: Self.peer, now: harness.now)
        #expect(refused == nil)
        _ = try required(harness.request(.createPermission, [.xorPeerAddress(Self.peer)], from: control))
        let attempt = harness.core.peerConnectionAccepted(relay: relay, from: Self.peer, now: harness.now)
        let accepted = try #require(attempt)
        let indication = try #require(TURNCoreHarness.responses(accepted.actions).first)
        #expect(indication.method == .connectionAttempt && indication.messageClass == .indication)
        #expect(indication.first(.connectionID) == .connectionID(accepted.connectionID))
        #expect(indication.xorPeerAddresses == [Self.peer])
    }
}
