import ICE
import NIOCore
import SDP
import Testing

/// Two agents over the virtual network: connectivity checks, nomination, role conflicts, loss, peer-reflexive
/// candidates, trickle ICE, server-reflexive gathering and failure.
struct ICEConnectivityTests {
    static let clientAddress = address("192.0.2.10", 50000)
    static let serverAddress = address("198.51.100.1", 3478)

    static func agent(_ mode: ICEMode, _ role: ICERole, seed: UInt64, configuration: ICEConfiguration = ICEConfiguration())
        -> ICEAgent
    {
        var generator = SplitMix64(seed: seed)
        return ICEAgent(mode: mode, role: role, configuration: configuration, using: &generator)
    }

    /// A full client (controlling) and a lite server, each with one host candidate.
    static func clientAndLiteServer(seed: UInt64 = 1) throws -> VirtualICENetwork {
        var client = agent(.full, .controlling, seed: seed)
        var server = agent(.lite, .controlled, seed: seed + 100)
        try client.addLocalCandidate(.host(clientAddress), now: t0)
        try server.addLocalCandidate(.host(serverAddress), now: t0)
        return VirtualICENetwork(left: client, right: server, seed: seed)
    }

    @Test func fullConnectsToLiteAndNominates() throws {
        var network = try Self.clientAndLiteServer()
        try network.signal()
        let reached1 = network.progress(until: { $0.bothConnected }, maxSteps: 500)
        #expect(reached1)
        #expect(network.elapsed < 1.0, "connected after \(network.elapsed) s")
        let clientPair = try #require(network[.left].selectedPair)
        let serverPair = try #require(network[.right].selectedPair)
        #expect(clientPair.local.address == Self.clientAddress && clientPair.remote.address == Self.serverAddress)
        #expect(serverPair.local.address == Self.serverAddress && serverPair.remote.address == Self.clientAddress)
        #expect(clientPair.isNominated && serverPair.isNominated)
        #expect(network.state(.left) == .completed)
        #expect(network.state(.right) == .connected)
        // The lite agent never sends a request: every datagram it sends is a response.
        let clientStates = network.eventList(.left).compactMap { event -> ICEConnectionState? in
            if case .connectionStateChanged(let state) = event { return state }
            return nil
        }
        #expect(clientStates == [.checking, .connected, .completed])
        #expect(network.eventList(.right).filter { if case .selectedPairChanged = $0 { true } else { false } }.count == 1)
        // Still connected a minute later: consent checks keep it fresh.
        network.progress(for: .seconds(60))
        #expect(network.bothConnected)
        #expect(network.state(.left) == .completed)
    }

    @Test func liteAgentSendsNoRequests() throws {
        var network = try Self.clientAndLiteServer(seed: 3)
        try network.signal()
        var requestsFromServer = 0
        for _ in 0..<400 {
            network.drain()
            for datagram in network.inFlight where datagram.from == Self.serverAddress {
                if let first = datagram.payload.getInteger(at: datagram.payload.readerIndex, as: UInt16.self),
                    first == 0x0001
                {
                    requestsFromServer += 1
                }
            }
            guard network.progress() else { break }
            if network.bothConnected && network.elapsed > 12 { break }
        }
        #expect(network.bothConnected)
        #expect(requestsFromServer == 0)
    }

    @Test func fullToFullRoleConflictResolves() throws {
        // Both think they are controlling (RFC 8445 §7.3.1.1): the larger tie-breaker keeps the role.
        var left = Self.agent(.full, .controlling, seed: 11)
        var right = Self.agent(.full, .controlling, seed: 12)
        try left.addLocalCandidate(.host(address("192.0.2.1", 4000)), now: t0)
        try right.addLocalCandidate(.host(address("192.0.2.2", 4000)), now: t0)
        let leftWins = left.tieBreaker >= right.tieBreaker
        var network = VirtualICENetwork(left: left, right: right, seed: 5)
        try network.signal()
        let reached2 = network.progress(until: { $0.bothConnected }, maxSteps: 1000)
        #expect(reached2)
        #expect(network[.left].role != network[.right].role)
        #expect(network[.left].role == (leftWins ? .controlling : .controlled))
        let loser: VirtualICENetwork.Side = leftWins ? .right : .left
        #expect(network.eventList(loser).contains(.roleChanged(.controlled)))
        #expect(network[.left].selectedPair?.remote.address == address("192.0.2.2", 4000))
        #expect(network[.right].selectedPair?.remote.address == address("192.0.2.1", 4000))
        #expect(network.state(.left) == .completed && network.state(.right) == .completed)
    }

    @Test func bothControlledAlsoResolves() throws {
        var left = Self.agent(.full, .controlled, seed: 21)
        var right = Self.agent(.full, .controlled, seed: 22)
        try left.addLocalCandidate(.host(address("192.0.2.1", 4000)), now: t0)
        try right.addLocalCandidate(.host(address("192.0.2.2", 4000)), now: t0)
        var network = VirtualICENetwork(left: left, right: right, seed: 6)
        try network.signal()
        let reached3 = network.progress(until: { $0.bothConnected }, maxSteps: 1000)
        #expect(reached3)
        #expect(network[.left].role != network[.right].role)
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func connectsDespiteFivePercentLoss(seed: UInt64) throws {
        var left = Self.agent(.full, .controlling, seed: seed)
        var right = Self.agent(.full, .controlled, seed: seed + 50)
        left.addHostCandidates([address("192.0.2.1", 4000), address("2001:db8::1", 4000)], now: t0)
        right.addHostCandidates([address("192.0.2.2", 4000), address("2001:db8::2", 4000)], now: t0)
        var network = VirtualICENetwork(left: left, right: right, seed: seed)
        network.lossRate = 0.05
        try network.signal()
        let reached4 = network.progress(until: { $0.bothConnected }, maxSteps: 5000, limit: .seconds(30))
        #expect(reached4)
        #expect(network.dropped > 0 || network.delivered < 40)
        // Both agree on the pair (as seen from each side).
        let leftPair = try #require(network[.left].selectedPair)
        let rightPair = try #require(network[.right].selectedPair)
        #expect(leftPair.local.base == rightPair.remote.address)
        #expect(leftPair.remote.address == rightPair.local.base)
        // Still up after a while with loss (consent tolerates lost checks).
        network.progress(for: .seconds(40))
        #expect(network.bothConnected)
    }

    @Test func highestPriorityPairIsNominated() throws {
        var left = Self.agent(.full, .controlling, seed: 31)
        var right = Self.agent(.full, .controlled, seed: 32)
        // IPv6 first: the higher local preference (RFC 8421).
        left.addHostCandidates([address("2001:db8::1", 4000), address("192.0.2.1", 4000)], now: t0)
        right.addHostCandidates([address("2001:db8::2", 4000), address("192.0.2.2", 4000)], now: t0)
        var network = VirtualICENetwork(left: left, right: right)
        try network.signal()
        let reached5 = network.progress(until: { $0.bothConnected }, maxSteps: 1000)
        #expect(reached5)
        #expect(network[.left].selectedPair?.remote.address == address("2001:db8::2", 4000))
        #expect(network[.right].selectedPair?.remote.address == address("2001:db8::1", 4000))
        let pairs = network[.left].candidatePairs
        #expect(pairs.count == 2)
        #expect(pairs.first?.isNominated == true)
    }

    /// The client is behind a NAT and signals only its private host address: the server learns the NAT's address
    /// from the check (remote peer-reflexive, RFC 8445 §7.3.1.3) and the client learns it from
    /// XOR-MAPPED-ADDRESS (local peer-reflexive, §7.2.5.3.1).
    @Test func peerReflexiveCandidatesAreLearned() throws {
        let privateAddress = address("10.0.0.5", 50000)
        let natAddress = address("203.0.113.7", 61000)
        var client = Self.agent(.full, .controlling, seed: 41)
        var server = Self.agent(.full, .controlled, seed: 42)
        try client.addLocalCandidate(.host(privateAddress), now: t0)
        try server.addLocalCandidate(.host(Self.serverAddress), now: t0)
        var network = VirtualICENetwork(left: client, right: server)
        network.nat[privateAddress] = natAddress
        network.unreachable.insert(privateAddress)  // from outside, only the NAT's address works
        try network.signal()
        let reached6 = network.progress(until: { $0.bothConnected }, maxSteps: 2000)
        #expect(reached6)

        let serverPair = try #require(network[.right].selectedPair)
        #expect(serverPair.remote.kind == .peerReflexive)
        #expect(serverPair.remote.address == natAddress)
        #expect(serverPair.remote.priority == Candidate.priority(kind: .peerReflexive))
        #expect(network.eventList(.right).contains { if case .peerReflexiveCandidate = $0 { true } else { false } })

        let clientPair = try #require(network[.left].selectedPair)
        #expect(clientPair.local.kind == .peerReflexive)
        #expect(clientPair.local.address == natAddress)
        #expect(clientPair.local.base == privateAddress)
        #expect(network[.left].localCandidates.contains { $0.kind == .peerReflexive && $0.address == natAddress })
        // The server's checks to the private address time out; the pair with the NAT's address stays in use.
        network.progress(for: .seconds(20))
        #expect(network.bothConnected)
        #expect(network[.right].candidatePairs.contains { $0.remote.address == privateAddress && $0.state == .failed })
    }

    /// Trickle ICE (RFC 8838): checks start with no remote candidates; candidates arrive later, one at a time,
    /// in their SDP form, then end-of-candidates.
    @Test func trickledCandidatesAfterStart() throws {
        var left = Self.agent(.full, .controlling, seed: 51)
        var right = Self.agent(.full, .controlled, seed: 52)
        left.setRemoteCredentials(right.localCredentials)
        right.setRemoteCredentials(left.localCredentials)
        var network = VirtualICENetwork(left: left, right: right)
        network.progress(for: .milliseconds(300))
        #expect(network.state(.left) == .new && network.state(.right) == .new)

        // Left gathers one candidate, trickles it; right gathers later.
        try network.agents[0].addLocalCandidate(.host(address("192.0.2.1", 4000)), now: network.now)
        network.agents[0].endOfLocalCandidates()
        network.drain()
        var trickled: [String] = []
        for case .localCandidate(let candidate) in network.eventList(.left) {
            trickled.append(candidate.sdpCandidate(usernameFragment: network[.left].localCredentials.usernameFragment).serialize())
        }
        #expect(network.eventList(.left).contains(.gatheringComplete))
        #expect(trickled.count == 1)
        for line in trickled { try network.agents[1].addRemoteCandidate(ICECandidate.parse(line)) }
        network.agents[1].endOfRemoteCandidates()
        network.progress(for: .milliseconds(200))
        // Right has a candidate for left but no local candidate yet: nothing to check.
        #expect(!network.bothConnected)

        try network.agents[1].addLocalCandidate(.host(address("192.0.2.2", 4000)), now: network.now)
        // A candidate of an older generation (another ufrag) is ignored (RFC 8838 §4.4).
        let stale = Candidate.host(address("192.0.2.99", 1)).sdpCandidate(usernameFragment: "zzzzzzzz")
        #expect(throws: ICEError.self) { try network.agents[0].addRemoteCandidate(stale) }
        let line = Candidate.host(address("192.0.2.2", 4000)).sdpCandidate(
            usernameFragment: network[.right].localCredentials.usernameFragment)
        try network.agents[0].addRemoteCandidate(line)
        network.agents[0].endOfRemoteCandidates()
        let reached7 = network.progress(until: { $0.bothConnected }, maxSteps: 1000)
        #expect(reached7)
    }

    @Test func serverReflexiveCandidateFromSTUNServer() throws {
        let privateAddress = address("10.0.0.5", 50000)
        let natAddress = address("203.0.113.7", 61000)
        let stunServer = address("198.51.100.200", 3478)
        var configuration = ICEConfiguration()
        configuration.stunServers = [stunServer, address("2001:db8::3478", 3478)]
        var client = Self.agent(.full, .controlling, seed: 61, configuration: configuration)
        let server = Self.agent(.lite, .controlled, seed: 62)
        try client.addLocalCandidate(.host(privateAddress), now: t0)
        client.endOfLocalCandidates()
        var network = VirtualICENetwork(left: client, right: server)
        network.nat[privateAddress] = natAddress
        network.stunServers = [stunServer]
        let reached8 = network.progress(until: { $0.eventList(.left).contains(.gatheringComplete) }, maxSteps: 100)
        #expect(reached8)
        let srflx = try #require(network[.left].localCandidates.first { $0.kind == .serverReflexive })
        #expect(srflx.address == natAddress)
        #expect(srflx.base == privateAddress)
        #expect(srflx.relatedAddress == privateAddress)
        #expect(srflx.priority == Candidate.priority(kind: .serverReflexive))
        let events = network.eventList(.left)
        #expect(events.firstIndex(of: .localCandidate(srflx))! < events.firstIndex(of: .gatheringComplete)!)
        #expect(srflx.sdpCandidate().serialize().hasSuffix("typ srflx raddr 10.0.0.5 rport 50000"))
    }

    @Test func unansweredSTUNServerStillCompletesGathering() throws {
        var configuration = ICEConfiguration()
        configuration.stunServers = [address("198.51.100.200", 3478)]
        var client = Self.agent(.full, .controlling, seed: 63, configuration: configuration)
        try client.addLocalCandidate(.host(address("192.0.2.1", 4000)), now: t0)
        client.endOfLocalCandidates()
        var network = VirtualICENetwork(left: client, right: Self.agent(.lite, .controlled, seed: 64))
        let reached9 = network.progress(until: { $0.eventList(.left).contains(.gatheringComplete) }, maxSteps: 100)
        #expect(reached9)
        #expect(network.elapsed > 5 && network.elapsed < 30)
        #expect(!network[.left].localCandidates.contains { $0.kind == .serverReflexive })
    }

    /// RFC 8838 §8: after end-of-candidates, when every pair has failed, the agent fails.
    @Test func failsWhenEveryPairFailsAfterEndOfCandidates() throws {
        var network = try Self.clientAndLiteServer(seed: 71)
        network.unreachable.insert(Self.serverAddress)
        try network.signal()
        let reached10 = network.progress(until: { $0.state(.left) == .failed }, maxSteps: 1000, limit: .seconds(60))
        #expect(reached10)
        #expect(network.elapsed > 5 && network.elapsed < 40, "failed after \(network.elapsed) s")
        #expect(network[.left].candidatePairs.allSatisfy { $0.state == .failed })
        #expect(network[.left].nextDeadline() == nil)
    }
}
