import ICE
import NIOCore
import STUN
import Testing

/// Hostile and broken datagrams: the agent never traps, refuses what is wrong with the RFC's error codes and
/// passes on what is not ICE.
struct ICEMalformedInputTests {
    static let local = address("198.51.100.1", 3478)
    static let peer = address("203.0.113.9", 5000)

    static func liteAgent() throws -> ICEAgent {
        var generator = SplitMix64(seed: 9)
        var agent = ICEAgent(
            mode: .lite,
            credentials: try ICECredentials(usernameFragment: "srvr", password: "0123456789abcdefghijkl"),
            using: &generator)
        try agent.addLocalCandidate(.host(local), now: t0)
        while agent.pollOutput() != nil {}
        return agent
    }

    static func check(_ attributes: [STUNAttribute], key: String? = "0123456789abcdefghijkl") throws -> ByteBuffer {
        var generator = SplitMix64(seed: 4)
        let message = STUNMessage(
            method: .binding, messageClass: .request, transactionID: .random(using: &generator), attributes: attributes)
        return try message.serialized(integrityKey: key.map { .shortTerm(password: $0) }, fingerprint: true)
    }

    static func errorCode(after outcome: ICEReceiveOutcome, _ agent: inout ICEAgent) -> Int? {
        guard case .transmit(let bytes, _, _) = agent.pollOutput(), let message = try? STUNMessage(parsing: bytes) else {
            return nil
        }
        return message.errorCode?.code
    }

    @Test func notSTUNIsPassedOn() throws {
        var agent = try Self.liteAgent()
        for first in [UInt8(0x16), 0x80, 0x40, 0x14] {  // DTLS, RTP, ChannelData, DTLS ChangeCipherSpec
            let datagram = ByteBuffer(bytes: [first] + [UInt8](repeating: 0, count: 40))
            #expect(agent.handleReceive(datagram, from: Self.peer, to: Self.local, now: t0) == .notICE)
        }
        // A TURN Allocate request is STUN but not ICE's.
        let allocate = try STUNMessage(method: .allocate, messageClass: .request).serialized()
        #expect(agent.handleReceive(allocate, from: Self.peer, to: Self.local, now: t0) == .notICE)
        #expect(agent.pollOutput() == nil)
    }

    @Test func refusalsUseTheRFCErrorCodes() throws {
        var agent = try Self.liteAgent()
        let good: [STUNAttribute] = [.username("srvr:clnt"), .iceControlling(tieBreaker: 1), .priority(1)]

        var outcome = agent.handleReceive(try Self.check([.priority(1)]), from: Self.peer, to: Self.local, now: t0)
        #expect(outcome == .rejected(.missingUsername))
        #expect(Self.errorCode(after: outcome, &agent) == 400)

        outcome = agent.handleReceive(try Self.check([.username("other:clnt"), .priority(1)]), from: Self.peer, to: Self.local, now: t0)
        #expect(outcome == .rejected(.unknownUsername("other:clnt")))
        #expect(Self.errorCode(after: outcome, &agent) == 401)

        outcome = agent.handleReceive(try Self.check(good, key: nil), from: Self.peer, to: Self.local, now: t0)
        #expect(outcome == .rejected(.missingIntegrity))
        #expect(Self.errorCode(after: outcome, &agent) == 400)

        outcome = agent.handleReceive(try Self.check(good, key: "wrongwrongwrongwrongwr"), from: Self.peer, to: Self.local, now: t0)
        #expect(outcome == .rejected(.badIntegrity))
        #expect(Self.errorCode(after: outcome, &agent) == 401)

        outcome = agent.handleReceive(
            try Self.check([.username("srvr:clnt"), .iceControlling(tieBreaker: 1)]), from: Self.peer, to: Self.local, now: t0)
        #expect(outcome == .rejected(.missingPriority))
        #expect(Self.errorCode(after: outcome, &agent) == 400)

        let unknown = STUNAttributeType(rawValue: 0x0042)
        outcome = agent.handleReceive(
            try Self.check(good + [.unknown(unknown, [1, 2, 3, 4])]), from: Self.peer, to: Self.local, now: t0)
        #expect(outcome == .rejected(.unknownAttributes([unknown])))
        #expect(Self.errorCode(after: outcome, &agent) == 420)

        let elsewhere = address("198.51.100.1", 9)
        outcome = agent.handleReceive(try Self.check(good), from: Self.peer, to: elsewhere, now: t0)
        #expect(outcome == .rejected(.unknownLocalAddress("\(elsewhere)")))
        #expect(agent.pollOutput() == nil)

        outcome = agent.handleReceive(try Self.check(good), from: Self.peer, to: Self.local, now: t0)
        #expect(outcome == .handled)
        #expect(agent.connectionState == .checking)
        #expect(agent.selectedPair == nil)  // no USE-CANDIDATE yet
    }

    /// A full agent's answer to both sides claiming the controlling role (RFC 8445 §7.3.1.1).
    @Test func roleConflictIsAnsweredWith487() throws {
        var generator = SplitMix64(seed: 10)
        var agent = ICEAgent(
            mode: .full, role: .controlling,
            credentials: try ICECredentials(usernameFragment: "srvr", password: "0123456789abcdefghijkl"),
            using: &generator)
        try agent.addLocalCandidate(.host(Self.local), now: t0)
        while agent.pollOutput() != nil {}
        let lower = agent.tieBreaker == 0 ? 0 : agent.tieBreaker - 1
        let outcome = agent.handleReceive(
            try Self.check([.username("srvr:clnt"), .iceControlling(tieBreaker: lower), .priority(1)]),
            from: Self.peer, to: Self.local, now: t0)
        #expect(outcome == .rejected(.roleConflict))
        guard case .transmit(let bytes, _, _) = agent.pollOutput() else {
            Issue.record("no 487")
            return
        }
        // 487 carries MESSAGE-INTEGRITY with our password.
        let response = try STUNMessage(parsing: bytes, integrityKey: .shortTerm(password: "0123456789abcdefghijkl"))
        #expect(response.errorCode?.code == 487)
        #expect(agent.role == .controlling)

        // A larger tie-breaker wins: we switch to controlled and answer with success.
        let higher = agent.tieBreaker == .max ? .max : agent.tieBreaker + 1
        if higher > agent.tieBreaker {
            let accepted = agent.handleReceive(
                try Self.check([.username("srvr:clnt"), .iceControlling(tieBreaker: higher), .priority(1)]),
                from: Self.peer, to: Self.local, now: t0)
            #expect(accepted == .handled)
            #expect(agent.role == .controlled)
        }
    }

    /// Random bytes, truncations and bit flips of a valid check, into a lite agent and into a full agent in the
    /// middle of its checks: no trap, and every outcome is a refusal, a pass-on or a handled message.
    @Test func randomAndMutatedDatagramsNeverTrap() throws {
        var lite = try Self.liteAgent()
        var generator = SplitMix64(seed: 11)
        var full = ICEAgent(mode: .full, role: .controlling, using: &generator)
        try full.addLocalCandidate(.host(address("192.0.2.1", 4000)), now: t0)
        full.setRemoteCredentials(try ICECredentials(usernameFragment: "srvr", password: "0123456789abcdefghijkl"))
        try full.addRemoteCandidate(Candidate.host(Self.peer))
        full.handleTimeout(now: t0)
        while full.pollOutput() != nil {}

        let valid = Array(try Self.check([.username("srvr:clnt"), .iceControlling(tieBreaker: 7), .useCandidate, .priority(9)]).readableBytesView)
        var random = SplitMix64(seed: 12)
        var now = t0
        for round in 0..<3000 {
            var bytes: [UInt8]
            switch round % 3 {
            case 0:
                bytes = (0..<Int(random.next() % 120)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                if bytes.count >= 8, round % 2 == 0 {  // make it look like STUN often
                    bytes[0] = bytes[0] & 0x3F
                    bytes.replaceSubrange(4..<8, with: [0x21, 0x12, 0xA4, 0x42])
                }
            case 1:
                bytes = Array(valid.prefix(Int(random.next() % UInt64(valid.count + 1))))
            default:
                bytes = valid
                for _ in 0..<(1 + random.next() % 3) {
                    let index = Int(random.next() % UInt64(bytes.count))
                    bytes[index] ^= UInt8(truncatingIfNeeded: 1 << (random.next() % 8))
                }
            }
            now = now + .milliseconds(3)
            _ = lite.handleReceive(ByteBuffer(bytes: bytes), from: Self.peer, to: Self.local, now: now)
            _ = full.handleReceive(ByteBuffer(bytes: bytes), from: Self.peer, to: address("192.0.2.1", 4000), now: now)
            if let deadline = full.nextDeadline(), deadline <= now { full.handleTimeout(now: now) }
            while lite.pollOutput() != nil {}
            while full.pollOutput() != nil {}
        }
        // The untouched check still works afterwards.
        #expect(lite.handleReceive(ByteBuffer(bytes: valid), from: Self.peer, to: Self.local, now: now) == .handled)
    }
}
