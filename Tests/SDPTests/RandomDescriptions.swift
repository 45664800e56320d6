import SDP

/// Builds random but valid models: every value is one this module writes canonically and reads back equal, so
/// `parse(serialize(x)) == x` must hold for all of them.
struct RandomDescriptions {
    var random: SplitMix64

    init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    // MARK: Text pieces

    private static let tokenAlphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
    private static let iceAlphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/")
    private static let ridAlphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
    /// Free text may hold anything but CR, LF and NUL: spaces, tabs, punctuation, non-ASCII.
    private static let textAlphabet = Array("abc XYZ 019 \t:;,/=~*#@<>é日本🎉\u{301}")

    mutating func string(from alphabet: [Character], length: ClosedRange<Int>) -> String {
        var out = ""
        for _ in 0..<random.int(length) { out.append(random.pick(alphabet)) }
        return out
    }

    mutating func token(_ length: ClosedRange<Int> = 1...10) -> String { string(from: Self.tokenAlphabet, length: length) }
    mutating func iceChars(_ length: ClosedRange<Int>) -> String { string(from: Self.iceAlphabet, length: length) }
    mutating func ridID() -> String { string(from: Self.ridAlphabet, length: 1...6) }
    mutating func text(_ length: ClosedRange<Int> = 0...20) -> String { string(from: Self.textAlphabet, length: length) }
    mutating func digits() -> String { String(random.value(UInt64.self) >> UInt64(random.int(0...63))) }
    mutating func optional<T>(_ make: (inout RandomDescriptions) -> T) -> T? {
        random.chance(0.5) ? make(&self) : nil
    }
    /// Tokens joined by single spaces (what the parser re-joins after splitting fields).
    mutating func words(_ count: ClosedRange<Int>) -> String {
        var parts: [String] = []
        for _ in 0..<random.int(count) { parts.append(token()) }
        return parts.joined(separator: " ")
    }

    // MARK: Model

    mutating func sessionDescription() -> SessionDescription {
        var description = SessionDescription(
            origin: Origin(
                username: token(), sessionID: digits(), sessionVersion: random.value(), networkType: token(),
                addressType: token(), unicastAddress: token()),
            sessionName: text())
        description.information = optional { $0.text() }
        description.uri = optional { $0.text() }
        description.emails = (0..<random.int(0...2)).map { _ in text() }
        description.phones = (0..<random.int(0...2)).map { _ in text() }
        description.connection = optional { $0.connectionData() }
        description.bandwidths = (0..<random.int(0...2)).map { _ in bandwidth() }
        description.timings = (0..<random.int(1...2)).map { _ in
            Timing(start: random.value(), stop: random.value(), repeats: (0..<random.int(0...2)).map { _ in text() })
        }
        description.timeZones = optional { $0.text() }
        description.encryptionKey = optional { $0.text() }
        description.attributes = AttributeList((0..<random.int(0...8)).map { _ in attribute() })
        description.media = (0..<random.int(0...4)).map { _ in mediaDescription() }
        description.lineEnding = random.chance(0.5) ? .crlf : .lf
        description.endsWithLineEnding = random.chance(0.8)
        return description
    }

    mutating func connectionData() -> ConnectionData {
        ConnectionData(networkType: token(), addressType: token(), address: token())
    }

    mutating func bandwidth() -> Bandwidth {
        Bandwidth(type: random.pick(["AS", "TIAS", "CT", "RR", "X-YZ"]), value: random.value())
    }

    mutating func mediaDescription() -> MediaDescription {
        MediaDescription(
            kind: random.chance(0.7) ? random.pick([.audio, .video, .application]) : MediaKind(rawValue: token()),
            port: random.value(), portCount: optional { $0.random.value() },
            proto: random.pick(["UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP", "RTP/AVP", token()]),
            formats: (0..<random.int(0...6)).map { _ in random.chance(0.8) ? String(random.int(0...127)) : token() },
            title: optional { $0.text() },
            connections: (0..<random.int(0...2)).map { _ in connectionData() },
            bandwidths: (0..<random.int(0...2)).map { _ in bandwidth() },
            encryptionKey: optional { $0.text() },
            attributes: AttributeList((0..<random.int(0...25)).map { _ in attribute() }))
    }

    mutating func payloadType() -> UInt8 { UInt8(random.int(0...127)) }

    mutating func attribute() -> SDPAttribute {
        switch random.int(0...31) {
        case 0: return .group(Group(semantics: random.pick(["BUNDLE", "LS", "FID"]), mids: (0..<random.int(0...4)).map { _ in token() }))
        case 1: return .mid(token())
        case 2: return .msidSemantic(MSIDSemantic(semantic: token(), identifiers: (0..<random.int(0...3)).map { _ in token() }))
        case 3: return .msid(MediaStreamID(streamID: token(), trackID: optional { $0.token() }))
        case 4: return .iceLite
        case 5: return .iceUfrag(iceChars(4...8))
        case 6: return .icePwd(iceChars(22...32))
        case 7: return .iceOptions((0..<random.int(1...3)).map { _ in token() })
        case 8: return .candidate(candidate())
        case 9: return .endOfCandidates
        case 10: return .fingerprint(fingerprint())
        case 11: return .setup(random.pick(SetupRole.allCases))
        case 12: return .direction(random.pick(MediaDirection.allCases))
        case 13: return .rtcp(RTCPAddress(port: random.value(), connection: optional { $0.connectionData() }))
        case 14: return .rtcpMux
        case 15: return .rtcpMuxOnly
        case 16: return .rtcpReducedSize
        case 17:
            return .rtpMap(
                RTPMap(payloadType: payloadType(), encodingName: token(), clockRate: random.value(),
                       encodingParameters: optional { $0.random.value() }))
        case 18:
            let format = random.chance(0.9) ? String(payloadType()) : token()
            return .formatParameters(FormatParameters(format: format, parameters: text()))
        case 19:
            return .rtcpFeedback(
                RTCPFeedback(
                    payloadTypes: random.chance(0.2) ? .all : .payloadType(payloadType()), type: token(),
                    parameter: random.chance(0.5) ? words(1...3) : nil))
        case 20:
            return .extensionMap(
                ExtensionMap(
                    id: random.value(), direction: optional { $0.random.pick(MediaDirection.allCases) },
                    uri: "urn:" + token(), attributes: random.chance(0.3) ? words(1...3) : nil))
        case 21: return .extensionMapAllowMixed
        case 22:
            // The value may hold spaces and colons inside, not at its ends.
            let value: String? = random.chance(0.8) ? token() + random.pick(["", " ", ":", " x:y "]) + token() : nil
            return .ssrc(SSRCAttribute(ssrc: random.value(), attribute: token(), value: value))
        case 23:
            return .ssrcGroup(SSRCGroup(semantics: random.pick(["FID", "SIM", "FEC-FR"]), ssrcs: (0..<random.int(0...4)).map { _ in random.value() }))
        case 24: return .simulcast(simulcast())
        case 25: return .rid(rid())
        case 26: return .sctpPort(random.value())
        case 27: return .maxMessageSize(random.value())
        case 28: return .other(name: "x-" + token(), value: optional { $0.text() })
        case 29: return .other(name: random.pick(["ptime", "maxptime", "tls-id", "rtcp-xr", "framerate"]), value: token())
        case 30: return .other(name: "x-" + token(), value: "")
        default: return .candidate(candidate())
        }
    }

    mutating func candidate() -> ICECandidate {
        var candidate = ICECandidate(
            foundation: iceChars(1...32), component: UInt16(random.int(1...256)),
            transport: random.pick([.udp, .tcp, .other("x" + token(1...4))]), priority: random.value(),
            address: random.pick(["192.0.2.1", "2001:db8::1", "fd00::2", token() + ".local", token()]),
            port: random.value(),
            kind: random.pick([.host, .serverReflexive, .peerReflexive, .relay, .other("x" + token(1...4))]))
        if random.chance(0.4) { candidate.relatedAddress = token() }
        if random.chance(0.4) { candidate.relatedPort = random.value() }
        for _ in 0..<random.int(0...5) {
            switch random.int(0...6) {
            case 0: candidate.extensions.append(.init(name: "tcptype", value: random.pick(ICECandidate.TCPType.allCases).rawValue))
            case 1: candidate.extensions.append(.init(name: "generation", value: String(random.value(UInt32.self))))
            case 2: candidate.extensions.append(.init(name: "network-id", value: String(random.value(UInt32.self))))
            case 3: candidate.extensions.append(.init(name: "network-cost", value: String(random.value(UInt32.self))))
            case 4: candidate.extensions.append(.init(name: "ufrag", value: iceChars(4...8)))
            default: candidate.extensions.append(.init(name: "x" + token(), value: token()))
            }
        }
        return candidate
    }

    mutating func fingerprint() -> Fingerprint {
        let known: [(String, Int)] = [("sha-1", 20), ("sha-256", 32), ("sha-384", 48), ("sha-512", 64), ("md5", 16)]
        let (name, length) = random.chance(0.8) ? random.pick(known) : ("x-" + token(), random.int(1...40))
        return Fingerprint(hashFunction: name, bytes: (0..<length).map { _ in random.value() })
    }

    mutating func simulcastStreams() -> [Simulcast.Stream] {
        (0..<random.int(1...4)).map { _ in
            Simulcast.Stream(
                alternatives: (0..<random.int(1...3)).map { _ in .init(rid: ridID(), isPaused: random.chance(0.2)) })
        }
    }

    mutating func simulcast() -> Simulcast {
        switch random.int(0...2) {
        case 0: return Simulcast(send: simulcastStreams())
        case 1: return Simulcast(receive: simulcastStreams())
        default: return Simulcast(send: simulcastStreams(), receive: simulcastStreams())
        }
    }

    mutating func rid() -> RID {
        var parameters: [RID.Parameter] = []
        if random.chance(0.5) {
            parameters.append(.init(name: "pt", value: (0..<random.int(1...3)).map { _ in String(payloadType()) }.joined(separator: ",")))
        }
        for _ in 0..<random.int(0...3) {
            let name = random.pick(["max-width", "max-height", "max-fps", "max-br", "depend", "x-" + token()])
            parameters.append(.init(name: name, value: random.chance(0.8) ? token() : nil))
        }
        return RID(id: ridID(), direction: random.pick(RID.Direction.allCases), parameters: parameters)
    }
}
