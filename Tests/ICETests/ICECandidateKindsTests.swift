import ICE
import NIOCore
import SDP
import Testing

/// Relayed candidates and the trickle race where a check arrives before the candidate it came from is signaled.
struct ICECandidateKindsTests {
    /// A client with only a relayed candidate (TURN): the agent checks from the relayed address, and the driver
    /// (here the virtual network) carries those datagrams through the allocation.
    @Test func relayOnlyClientConnects() throws {
        let relayed = address("198.51.100.50", 49152)
        let mapped = address("203.0.113.7", 61000)
        let turnServer = address("198.51.100.50", 3478)
        var generator = SplitMix64(seed: 91)
        var client = ICEAgent(mode: .full, role: .controlling, using: &generator)
        var server = ICEAgent(mode: .lite, using: &generator)
        let relay = Candidate.relay(relayed, mappedAddress: mapped, server: turnServer)
        #expect(relay.priority == Candidate.priority(kind: .relay))
        #expect(relay.sdpCandidate().serialize().hasSuffix("typ relay raddr 203.0.113.7 rport 61000"))
        try client.addLocalCandidate(relay, now: t0)
        try server.addLocalCandidate(.host(ICEConnectivityTests.serverAddress), now: t0)
        var network = VirtualICENetwork(left: client, right: server)
        try network.signal()
        let reached = network.progress(until: { $0.bothConnected }, maxSteps: 500)
        #expect(reached)
        #expect(network[.left].selectedPair?.local.kind == .relay)
        #expect(network[.right].selectedPair?.remote.address == relayed)
        // The server learned the relayed address as a remote candidate from signaling, not as peer-reflexive.
        #expect(network[.right].selectedPair?.remote.kind == .relay)
    }

    /// RFC 8838 §11.4 / RFC 8445 §7.3.1.3: a check from a not-yet-signaled candidate creates a peer-reflexive
    /// remote candidate; when the candidate is signaled later, it replaces the peer-reflexive one.
    @Test func signaledCandidateReplacesPeerReflexive() throws {
        var generator = SplitMix64(seed: 92)
        var left = ICEAgent(mode: .full, role: .controlling, using: &generator)
        var right = ICEAgent(mode: .full, role: .controlled, using: &generator)
        let leftAddress = address("192.0.2.1", 4000)
        try left.addLocalCandidate(.host(leftAddress), now: t0)
        try right.addLocalCandidate(.host(address("192.0.2.2", 4000)), now: t0)
        left.setRemoteCredentials(right.localCredentials)
        right.setRemoteCredentials(left.localCredentials)
        // Only right's candidate reaches left; left's own candidate is still "in signaling".
        try left.addRemoteCandidate(Candidate.host(address("192.0.2.2", 4000)))
        var network = VirtualICENetwork(left: left, right: right)
        let connected = network.progress(until: { $0.bothConnected }, maxSteps: 500)
        #expect(connected)
        #expect(network[.right].remoteCandidates.map(\.kind) == [.peerReflexive])
        #expect(network.eventList(.right).contains(.peerReflexiveCandidate(network[.right].remoteCandidates[0])))

        try network.agents[1].addRemoteCandidate(Candidate.host(leftAddress).sdpCandidate())
        #expect(network[.right].remoteCandidates.count == 1)
        #expect(network[.right].remoteCandidates[0].kind == .host)
        #expect(network[.right].remoteCandidates[0].priority == Candidate.priority(kind: .host))
        #expect(network[.right].candidatePairs.first?.remote.kind == .host)
        // Signaled twice: a duplicate.
        #expect(throws: ICEError.self) { try network.agents[1].addRemoteCandidate(Candidate.host(leftAddress)) }
        network.progress(for: .seconds(20))
        #expect(network.bothConnected)
    }
}
