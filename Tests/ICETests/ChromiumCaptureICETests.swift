import ICE
import NIOCore
import STUN
import Testing
import TestSupport

/// Real checks from headless Chromium (Fixtures/packets/chromium-stun.hex, captured against aiortc). A lite agent
/// holding aiortc's credentials must accept Chromium's checks — USERNAME `<our ufrag>:<Chromium's ufrag>`,
/// MESSAGE-INTEGRITY keyed with our ice-pwd — and answer with the success response Chromium accepted from aiortc,
/// byte for byte.
struct ChromiumCaptureICETests {
    static let path = "packets/chromium-stun.hex"
    static let chromium = address("192.0.2.2", 51900)
    static let local = address("127.0.0.1", 40000)

    struct CapturedPacket {
        var direction: String  // "chromium->aiortc" or "aiortc->chromium"
        var bytes: [UInt8]
    }

    static func packets() throws -> [CapturedPacket] {
        var result: [CapturedPacket] = []
        var direction = ""
        for line in try Fixtures.text(path).split(separator: "\n") {
            if line.hasPrefix("# chromium->aiortc") || line.hasPrefix("# aiortc->chromium") {
                direction = String(line.dropFirst(2).prefix { $0 != " " })
            } else if !line.hasPrefix("#"), let bytes = Fixtures.hex(String(line)), !bytes.isEmpty {
                result.append(CapturedPacket(direction: direction, bytes: bytes))
            }
        }
        return result
    }

    static func value(_ name: String, of agent: String) throws -> String {
        let text = try Fixtures.text(path)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("# \(name) ") })
        let pair = try #require(line.split(separator: " ").first { $0.hasPrefix("\(agent)=") })
        return String(pair.dropFirst(agent.count + 1))
    }

    static func credentials(of agent: String) throws -> ICECredentials {
        try ICECredentials(usernameFragment: value("ice-ufrag", of: agent), password: value("ice-pwd", of: agent))
    }

    @Test func liteAgentAnswersChromiumChecks() throws {
        let ours = try Self.credentials(of: "aiortc")
        var generator = SplitMix64(seed: 1)
        var agent = ICEAgent(mode: .lite, credentials: ours, using: &generator)
        try agent.addLocalCandidate(.host(Self.local), now: t0)
        while agent.pollOutput() != nil {}

        let packets = try Self.packets()
        #expect(packets.count >= 10)
        var now = t0
        var answered = 0
        var nominated = false
        for (index, packet) in packets.enumerated() {
            now = now + .milliseconds(50)
            let message = try STUNMessage(parsing: packet.bytes)
            let outcome = agent.handleReceive(ByteBuffer(bytes: packet.bytes), from: Self.chromium, to: Self.local, now: now)
            var outputs: [ICEOutput] = []
            while let output = agent.pollOutput() { outputs.append(output) }

            switch (packet.direction, message.messageClass) {
            case ("chromium->aiortc", .request):
                #expect(outcome == .handled)
                let transmits = outputs.compactMap { output -> (ByteBuffer, SocketAddress, SocketAddress)? in
                    if case .transmit(let bytes, let from, let to) = output { return (bytes, from, to) }
                    return nil
                }
                try #require(transmits.count == 1)
                let (response, from, to) = transmits[0]
                #expect(from == Self.local && to == Self.chromium)
                // What Chromium checks: our password's MESSAGE-INTEGRITY, the transaction ID, XOR-MAPPED-ADDRESS.
                let parsed = try STUNMessage(parsing: response, integrityKey: .shortTerm(password: ours.password))
                #expect(parsed.messageClass == .successResponse)
                #expect(parsed.transactionID == message.transactionID)
                #expect(parsed.xorMappedAddress.flatMap { try? $0.socketAddress() } == Self.chromium)
                #expect(parsed.attributes.last?.type == .fingerprint)
                // And it is exactly what aiortc answered (and Chromium accepted).
                let captured = try #require(packets.dropFirst(index + 1).first { $0.direction == "aiortc->chromium" })
                #expect(Array(response.readableBytesView) == captured.bytes)
                answered += 1
                if message.attributes.contains(.useCandidate) {
                    nominated = true
                    #expect(agent.selectedPair?.remote.address == Self.chromium)
                    #expect(agent.selectedPair?.local.address == Self.local)
                    #expect(agent.connectionState == .connected)
                }
            case ("aiortc->chromium", .request):
                // Addressed to Chromium's ufrag: not ours.
                #expect(outcome == .rejected(.unknownUsername(message.username ?? "")))
            case ("chromium->aiortc", _):
                // Chromium's answers to aiortc's checks: no transaction of ours.
                #expect(outcome == .rejected(.unknownTransaction))
                #expect(outputs.isEmpty)
            default:
                break  // aiortc's own responses, replayed towards us: not ours either.
            }
        }
        #expect(answered >= 5)
        #expect(nominated)
        // Chromium's checks arrive from an address no signaled candidate had: a peer-reflexive remote candidate.
        #expect(agent.remoteCandidates.first?.kind == .peerReflexive)
        #expect(agent.remoteCandidates.first?.priority == 0x6E7E_1EFF)
    }

    /// A server with many lite agents on one port routes a new check by the ufrag it is addressed to.
    @Test func checksAreRoutedByUsernameFragment() throws {
        for packet in try Self.packets() {
            let recipient = ICEAgent.recipientUsernameFragment(of: ByteBuffer(bytes: packet.bytes))
            switch (packet.direction, packet.bytes.starts(with: [0x00, 0x01])) {
            case ("chromium->aiortc", true): #expect(recipient == "ZsMq")
            case ("aiortc->chromium", true): #expect(recipient == "7cIK")
            default: #expect(recipient == nil)  // responses
            }
        }
        #expect(ICEAgent.recipientUsernameFragment(of: ByteBuffer(bytes: [0x16, 0xFE, 0xFD])) == nil)
    }

    @Test func checksWithTheWrongPasswordAreRefused() throws {
        // Keyed with Chromium's own password instead of ours: 401 without integrity.
        let wrong = try ICECredentials(usernameFragment: "ZsMq", password: "oYkN9kvCRZHkvwGVVIo+Nt/Z")
        var generator = SplitMix64(seed: 2)
        var agent = ICEAgent(mode: .lite, credentials: wrong, using: &generator)
        try agent.addLocalCandidate(.host(Self.local), now: t0)
        while agent.pollOutput() != nil {}
        let request = try #require(try Self.packets().first { $0.direction == "chromium->aiortc" && $0.bytes.starts(with: [0x00, 0x01]) })
        let outcome = agent.handleReceive(ByteBuffer(bytes: request.bytes), from: Self.chromium, to: Self.local, now: t0)
        #expect(outcome == .rejected(.badIntegrity))
        guard case .transmit(let bytes, _, _) = agent.pollOutput() else {
            Issue.record("no error response")
            return
        }
        let response = try STUNMessage(parsing: bytes)
        #expect(response.messageClass == .errorResponse)
        #expect(response.errorCode?.code == 401)
        #expect(agent.selectedPair == nil)
    }

    /// Our full agent's check, as Chromium would receive it: USERNAME `<Chromium's ufrag>:<ours>`, MESSAGE-INTEGRITY
    /// verifying with Chromium's password, and the ICE attributes Chromium's own checks carry.
    @Test func fullAgentChecksAreWhatChromiumExpects() throws {
        let ours = try Self.credentials(of: "aiortc")
        let theirs = try Self.credentials(of: "chromium")
        var generator = SplitMix64(seed: 3)
        var agent = ICEAgent(mode: .full, role: .controlled, credentials: ours, using: &generator)
        try agent.addLocalCandidate(.host(Self.local), now: t0)
        agent.setRemoteCredentials(theirs)
        try agent.addRemoteCandidate(Candidate.host(Self.chromium))
        agent.handleTimeout(now: t0)
        var checks: [ByteBuffer] = []
        while let output = agent.pollOutput() {
            if case .transmit(let bytes, let from, let to) = output {
                #expect(from == Self.local && to == Self.chromium)
                checks.append(bytes)
            }
        }
        let check = try #require(checks.first)
        let message = try STUNMessage(parsing: check, integrityKey: .shortTerm(password: theirs.password))
        #expect(message.messageClass == .request && message.method == .binding)
        #expect(message.username == "7cIK:ZsMq")
        #expect(message.attributes.contains(.iceControlled(tieBreaker: agent.tieBreaker)))
        #expect(message.attributes.contains(.priority(Candidate.priority(kind: .peerReflexive))))
        #expect(!message.attributes.contains(.useCandidate))
        #expect(message.attributes.last?.type == .fingerprint)
        #expect(agent.connectionState == .checking)
    }
}
