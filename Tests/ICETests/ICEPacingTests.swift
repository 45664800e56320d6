import ICE
import NIOCore
import STUN
import Testing

/// The timing rules of a full agent's checks, measured on its output alone: pacing by Ta (RFC 8445 §14.2), the
/// retransmission schedule (RFC 8445 §14.3, RFC 8489 §6.2.1) and pair failure after the last attempt.
struct ICEPacingTests {
    struct Sent {
        var time: Double
        var transactionID: STUNTransactionID
        var to: SocketAddress
    }

    /// Runs an agent whose checks are never answered and returns every request it sent, with times in seconds.
    static func unansweredChecks(seconds: Int64) throws -> (sent: [Sent], agent: ICEAgent) {
        var generator = SplitMix64(seed: 5)
        var agent = ICEAgent(mode: .full, role: .controlling, using: &generator)
        agent.addHostCandidates([address("192.0.2.1", 4000), address("192.0.2.2", 4000)], now: t0)
        agent.setRemoteCredentials(try ICECredentials(usernameFragment: "peer", password: "peerpeerpeerpeerpeerpe"))
        try agent.addRemoteCandidate(Candidate.host(address("198.51.100.1", 5000)))
        try agent.addRemoteCandidate(Candidate.host(address("198.51.100.2", 5000)))
        agent.endOfRemoteCandidates()
        var sent: [Sent] = []
        var now = t0
        for _ in 0..<1000 {
            while let output = agent.pollOutput() {
                if case .transmit(let bytes, _, let to) = output {
                    let message = try STUNMessage(parsing: bytes)
                    sent.append(Sent(time: Double((now - t0).nanoseconds) / 1e9, transactionID: message.transactionID, to: to))
                }
            }
            guard let deadline = agent.nextDeadline(), deadline - t0 <= .seconds(seconds) else { break }
            if deadline > now { now = deadline }
            agent.handleTimeout(now: now)
        }
        return (sent, agent)
    }

    @Test func checksArePacedByTa() throws {
        let (sent, _) = try Self.unansweredChecks(seconds: 1)
        var firsts: [Sent] = []
        for item in sent where !firsts.contains(where: { $0.transactionID == item.transactionID }) { firsts.append(item) }
        #expect(firsts.count == 4)  // 2 × 2 pairs, one new check each
        for (earlier, later) in zip(firsts, firsts.dropFirst()) {
            #expect(later.time - earlier.time >= 0.05 - 1e-9)
        }
        #expect(Set(firsts.map(\.to)).count == 2)
    }

    @Test func retransmissionsDoubleAndEnd() throws {
        let (sent, agent) = try Self.unansweredChecks(seconds: 30)
        let first = try #require(sent.first)
        let times = sent.filter { $0.transactionID == first.transactionID }.map(\.time)
        // 7 requests (Rc), RTO 500 ms doubling, capped at 3 s.
        let expected = [0.0, 0.5, 1.5, 3.5, 6.5, 9.5, 12.5]
        #expect(times.count == expected.count)
        for (time, want) in zip(times, expected) { #expect(abs(time - want) < 1e-6, "sent at \(time), expected \(want)") }
        // Every pair failed after its last attempt; with end-of-candidates, the agent failed (RFC 8838 §8).
        #expect(agent.candidatePairs.allSatisfy { $0.state == .failed })
        #expect(agent.connectionState == .failed)
        #expect(agent.nextDeadline() == nil)
    }
}
