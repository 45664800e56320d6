import SDP
import Testing

@Suite("ICE candidates")
struct ICECandidateTests {
    @Test func serverReflexiveWithRelatedAddress() throws {
        let text = "candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 192.168.1.5 rport 61665 generation 0 network-cost 10"
        let candidate = try ICECandidate.parse(text)
        #expect(candidate.kind == .serverReflexive)
        #expect(candidate.relatedAddress == "192.168.1.5")
        #expect(candidate.relatedPort == 61665)
        #expect(candidate.generation == 0)
        #expect(candidate.networkCost == 10)
        #expect(candidate.networkID == nil)
        #expect(candidate.serialize() == text)
        #expect(candidate.description == text)
    }

    @Test func relayIPv6AndPeerReflexive() throws {
        let relay = try ICECandidate.parse("a=candidate:3 1 UDP 41885439 2001:db8::5 3478 typ relay raddr 0.0.0.0 rport 0")
        #expect(relay.kind == .relay)
        #expect(relay.transport == .udp)
        #expect(relay.address == "2001:db8::5")
        // The transport is written lowercase, everything else as given.
        #expect(relay.serialize() == "candidate:3 1 udp 41885439 2001:db8::5 3478 typ relay raddr 0.0.0.0 rport 0")
        let prflx = try ICECandidate.parse("candidate:4 2 udp 1845501695 198.51.100.9 40000 typ prflx")
        #expect(prflx.kind == .peerReflexive)
        #expect(prflx.component == 2)
    }

    @Test(arguments: ICECandidate.TCPType.allCases)
    func tcpTypes(type: ICECandidate.TCPType) throws {
        let text = "candidate:1 1 tcp 1518280447 192.0.2.1 9 typ host tcptype \(type.rawValue) generation 0"
        let candidate = try ICECandidate.parse(text)
        #expect(candidate.transport == .tcp)
        #expect(candidate.tcpType == type)
        #expect(candidate.serialize() == text)
    }

    @Test func mdnsHost() throws {
        let candidate = try ICECandidate.parse(
            "candidate:632351600 1 udp 2113937151 672d0d72-4d0d-4ceb-8d23-9f03184e5037.local 38144 typ host generation 0 network-cost 999")
        #expect(candidate.isMDNSAddress)
        #expect(candidate.address == "672d0d72-4d0d-4ceb-8d23-9f03184e5037.local")
    }

    @Test func unknownExtensionsAndTypesAreKeptInOrder() throws {
        let text = "candidate:abc+/ 1 sctp 5 host.example 1 typ future zeta 1 generation 3 alpha x ufrag F00"
        let candidate = try ICECandidate.parse(text)
        #expect(candidate.transport == .other("sctp"))
        #expect(candidate.kind == .other("future"))
        #expect(candidate.extensions.map(\.name) == ["zeta", "generation", "alpha", "ufrag"])
        #expect(candidate.generation == 3)
        #expect(candidate.usernameFragment == "F00")
        #expect(candidate.serialize() == text)
    }

    @Test func typedSettersEditExtensionsInPlace() throws {
        var candidate = ICECandidate(
            foundation: "1", priority: 1, address: "192.0.2.1", port: 5000, kind: .host)
        candidate.generation = 0
        candidate.usernameFragment = "abcd"
        candidate.networkID = 1
        candidate.networkCost = 10
        #expect(candidate.serialize() == "candidate:1 1 udp 1 192.0.2.1 5000 typ host generation 0 ufrag abcd network-id 1 network-cost 10")
        candidate.generation = 2
        candidate.usernameFragment = nil
        #expect(candidate.serialize() == "candidate:1 1 udp 1 192.0.2.1 5000 typ host generation 2 network-id 1 network-cost 10")
        #expect(try ICECandidate.parse(candidate.serialize()) == candidate)
    }

    @Test func trailingLineEndingIsIgnored() throws {
        let candidate = try ICECandidate.parse("a=candidate:1 1 udp 1 192.0.2.1 5000 typ host\r\n")
        #expect(candidate.serialize() == "candidate:1 1 udp 1 192.0.2.1 5000 typ host")
    }

    @Test(arguments: [
        ("", "does not start"),
        ("candidate", "does not start"),
        ("a=ssrc:1 cname:x", "does not start"),
        ("candidate:1 1 udp 1 192.0.2.1 5000 typ", "at least 8"),
        ("candidate:1 0 udp 1 192.0.2.1 5000 typ host", "component"),
        ("candidate:1 257 udp 1 192.0.2.1 5000 typ host", "component"),
        ("candidate:1 1 udp 4294967296 192.0.2.1 5000 typ host", "priority"),
        ("candidate:1 1 udp -1 192.0.2.1 5000 typ host", "priority"),
        ("candidate:1 1 udp 1 192.0.2.1 65536 typ host", "port"),
        ("candidate:1 1 udp 1 192.0.2.1 5000 type host", "typ"),
        ("candidate:1 1 udp 1 192.0.2.1 5000 typ srflx raddr 1.2.3.4 rport x", "rport"),
        ("candidate:1 1 tcp 1 192.0.2.1 9 typ host tcptype sideways", "tcptype"),
        ("candidate:1 1 udp 1 192.0.2.1 5000 typ host generation", "no value"),
        ("candidate:1 1 udp 1 192.0.2.1 5000 typ host generation x", "generation"),
        ("candidate:f-o 1 udp 1 192.0.2.1 5000 typ host", "foundation"),
        ("candidate:123456789012345678901234567890123 1 udp 1 192.0.2.1 5000 typ host", "foundation"),
        // Found by libFuzzer: a line break inside, followed by a space, used to survive parsing and then vanish.
        ("candidate:1 1 udp 1 192.0.2.1 5000 typ host a b\r\n ", "line break"),
        ("candidate:1 1 udp 1 192.0.2.1 5000 typ host a b\nc d", "line break"),
        ("candidate:1 1 udp 1 192.0.2.1 5000 typ host a \u{0}", "line break"),
    ])
    func malformedCandidates(text: String, mentions: String) {
        #expect {
            _ = try ICECandidate.parse(text)
        } throws: { error in
            guard let error = error as? SDPParseError, case .badCandidate(let line, let reason) = error else {
                return false
            }
            return line == 1 && reason.contains(mentions) && error.code == "sdp.bad-candidate"
        }
    }
}
