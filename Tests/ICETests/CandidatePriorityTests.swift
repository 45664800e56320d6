import ICE
import NIOCore
import SDP
import Testing

/// Candidate and pair priorities against the numbers RFC 8445 defines, and the SDP form of candidates.
struct CandidatePriorityTests {
    /// RFC 8445 §5.1.2.1 with the §5.1.2.2 type preferences: 2^24 × type + 2^8 × local preference + (256 − component).
    @Test func candidatePriorityFormula() {
        #expect(Candidate.priority(kind: .host) == 2_130_706_431)  // 126 << 24 | 65535 << 8 | 255
        #expect(Candidate.priority(kind: .peerReflexive) == 1_862_270_975)
        #expect(Candidate.priority(kind: .serverReflexive) == 1_694_498_815)
        #expect(Candidate.priority(kind: .relay) == 16_777_215)
        #expect(Candidate.priority(kind: .host, component: 2) == 2_130_706_430)
        #expect(Candidate.priority(kind: .host, localPreference: 0, component: 256) == 126 << 24)
        // Chromium's PRIORITY in its checks (Fixtures/packets/chromium-stun.hex): prflx, local preference 0x7e1e.
        #expect(Candidate.priority(kind: .peerReflexive, localPreference: 0x7E1E) == 0x6E7E_1EFF)
        #expect(Candidate.Kind.allCases.map(\.typePreference) == [126, 100, 110, 0])
    }

    /// RFC 8445 §6.1.2.3: 2^32 × MIN(G,D) + 2 × MAX(G,D) + (G > D ? 1 : 0).
    @Test func pairPriorityFormula() {
        let host = Candidate.priority(kind: .host)
        let srflx = Candidate.priority(kind: .serverReflexive)
        #expect(CandidatePair.priority(controlling: host, controlled: srflx) == 7_277_816_997_797_167_103)
        #expect(CandidatePair.priority(controlling: srflx, controlled: host) == 7_277_816_997_797_167_102)
        #expect(CandidatePair.priority(controlling: 1, controlled: 1) == (1 << 32) + 2)
        // A hostile PRIORITY of 2^32 − 1 from the network wraps instead of trapping.
        _ = CandidatePair.priority(controlling: .max, controlled: .max)
    }

    @Test func hostCandidatesRankInTheGivenOrder() {
        let candidates = Candidate.hostCandidates(for: [address("2001:db8::1", 5000), address("192.0.2.1", 5000)])
        #expect(candidates.map(\.localPreference) == [65535, 65534])
        #expect(candidates[0].priority > candidates[1].priority)
        #expect(candidates.allSatisfy { $0.kind == .host && $0.base == $0.address })
        // Same type, base IP and server → same foundation; different base → different (RFC 8445 §5.1.1.3).
        #expect(
            Candidate.foundation(kind: .host, base: address("192.0.2.1", 1))
                == Candidate.foundation(kind: .host, base: address("192.0.2.1", 2)))
        #expect(
            Candidate.foundation(kind: .host, base: address("192.0.2.1", 1))
                != Candidate.foundation(kind: .host, base: address("192.0.2.2", 1)))
        #expect(
            Candidate.foundation(kind: .host, base: address("192.0.2.1", 1))
                != Candidate.foundation(kind: .serverReflexive, base: address("192.0.2.1", 1)))
    }

    @Test func sdpRoundTrip() throws {
        let parsed = try ICECandidate.parse(
            "candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 10.0.0.5 rport 61665 generation 0 ufrag 7cIK network-cost 999")
        let candidate = try Candidate(parsed)
        #expect(candidate.kind == .serverReflexive)
        #expect(candidate.address == address("203.0.113.7", 61665))
        #expect(candidate.relatedAddress == address("10.0.0.5", 61665))
        #expect(candidate.priority == 1_677_729_535)
        #expect(candidate.foundation == "842163049")
        let back = candidate.sdpCandidate(usernameFragment: "7cIK")
        #expect(back.serialize()
            == "candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 10.0.0.5 rport 61665 ufrag 7cIK")
        #expect(try Candidate(ICECandidate.parse(back.serialize())) == candidate)

        let host = Candidate.host(address("2001:db8::5", 9))
        let line = host.sdpCandidate().serialize()
        #expect(line == "candidate:\(host.foundation) 1 udp 2130706431 2001:db8::5 9 typ host")
        #expect(try Candidate(ICECandidate.parse(line)) == host)
    }

    @Test func sdpCandidatesTheAgentCannotUse() throws {
        let mdns = try ICECandidate.parse("candidate:1 1 udp 2122260223 6d3f7a2c-0b6e-4c1e-9a3b-1f2e3d4c5b6a.local 54321 typ host")
        #expect(throws: ICEError.unresolvableAddress("6d3f7a2c-0b6e-4c1e-9a3b-1f2e3d4c5b6a.local")) { try Candidate(mdns) }
        let tcp = try ICECandidate.parse("candidate:2 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active")
        #expect(throws: ICEError.unsupportedTransport("tcp")) { try Candidate(tcp) }
    }

    @Test func credentialsFollowTheGrammar() throws {
        var generator = SplitMix64(seed: 1)
        for _ in 0..<50 {
            let credentials = ICECredentials.random(using: &generator)
            #expect(credentials.usernameFragment.utf8.count >= 4)
            #expect(credentials.password.utf8.count >= 22)
            _ = try ICECredentials(usernameFragment: credentials.usernameFragment, password: credentials.password)
        }
        #expect(throws: ICEError.self) { try ICECredentials(usernameFragment: "abc", password: String(repeating: "a", count: 22)) }
        #expect(throws: ICEError.self) { try ICECredentials(usernameFragment: "abcd", password: String(repeating: "a", count: 21)) }
        #expect(throws: ICEError.self) { try ICECredentials(usernameFragment: "ab:d", password: String(repeating: "a", count: 22)) }
        #expect(!"\(ICECredentials.random(using: &generator))".contains("password"))
    }
}
