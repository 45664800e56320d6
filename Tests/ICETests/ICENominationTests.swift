import ICE
import NIOCore
import STUN
import Testing

/// How a lite agent treats several nominations from the controlling peer (RFC 8445 §8.1.1, §7.3.1.5).
struct ICENominationTests {
    static let local = address("198.51.100.1", 3478)
    static let wifi = address("192.0.2.10", 50000)
    static let cellular = address("203.0.113.20", 40000)
    static let password = "0123456789abcdefghijkl"

    static func liteAgent() throws -> ICEAgent {
        var generator = SplitMix64(seed: 21)
        var agent = ICEAgent(
            mode: .lite, credentials: try ICECredentials(usernameFragment: "srvr", password: password),
            using: &generator)
        try agent.addLocalCandidate(.host(local), now: t0)
        while agent.pollOutput() != nil {}
        return agent
    }

    /// A check from the controlling peer with USE-CANDIDATE and the given PRIORITY.
    static func nominatingCheck(priority: UInt32, seed: UInt64) throws -> ByteBuffer {
        var generator = SplitMix64(seed: seed)
        let message = STUNMessage(
            method: .binding, messageClass: .request, transactionID: .random(using: &generator),
            attributes: [.username("srvr:clnt"), .iceControlling(tieBreaker: 1), .useCandidate, .priority(priority)])
        return try message.serialized(integrityKey: .shortTerm(password: password), fingerprint: true)
    }

    static func seconds(_ value: Double) -> NIODeadline { t0 + .nanoseconds(Int64(value * 1e9)) }

    @Test func higherPriorityNominationWinsWhileAlive() throws {
        var agent = try Self.liteAgent()
        let high = Candidate.priority(kind: .peerReflexive)
        let low = Candidate.priority(kind: .peerReflexive, localPreference: 100)
        var seed: UInt64 = 1
        func check(from source: SocketAddress, priority: UInt32, at time: Double) throws {
            seed += 1
            let outcome = agent.handleReceive(
                try Self.nominatingCheck(priority: priority, seed: seed), from: source, to: Self.local,
                now: Self.seconds(time))
            #expect(outcome == .handled)
            agent.handleTimeout(now: Self.seconds(time))
        }
        try check(from: Self.wifi, priority: high, at: 0)
        #expect(agent.selectedPair?.remote.address == Self.wifi)
        // A lower-priority nomination while the selected pair still sees checks: kept (highest priority wins).
        for second in 1...4 {
            try check(from: Self.wifi, priority: high, at: Double(second))
            try check(from: Self.cellular, priority: low, at: Double(second) + 0.5)
        }
        #expect(agent.selectedPair?.remote.address == Self.wifi)
        // Wi-Fi goes quiet; the peer keeps nominating the cellular pair: after a consent interval it takes over.
        var switchedAt: Double?
        for tenth in 50...150 {
            let time = Double(tenth) / 10
            try check(from: Self.cellular, priority: low, at: time)
            if switchedAt == nil, agent.selectedPair?.remote.address == Self.cellular { switchedAt = time }
        }
        let switched = try #require(switchedAt)
        #expect(switched >= 9 && switched <= 9.2, "switched at \(switched) s")  // 5 s after the last Wi-Fi check at 4 s
        var selections: [SocketAddress] = []
        while let output = agent.pollOutput() {
            if case .event(.selectedPairChanged(let pair)) = output { selections.append(pair.remote.address) }
        }
        #expect(selections == [Self.wifi, Self.cellular])
        #expect(agent.connectionState == .connected)
    }
}
