/// One `a=` line, typed for the attributes WebRTC uses (RFC 8866 §6, RFC 8829 §5) and kept as name and value
/// for any other.
///
/// Property attributes (no value) and value attributes map to cases; ``other(name:value:)`` holds every attribute
/// this module does not model, byte for byte, so unknown attributes survive a round trip. (Constructing `other`
/// with the name of a modelled attribute is allowed, but such a line parses back as the typed case.)
public enum SDPAttribute: Hashable, Sendable {
    // MARK: Grouping and identification
    /// `a=group` (RFC 5888 §5).
    case group(Group)
    /// `a=mid` (RFC 5888 §4): the media section's identification tag.
    case mid(String)
    /// `a=msid-semantic` (session level, Chromium/aiortc).
    case msidSemantic(MSIDSemantic)
    /// `a=msid` (RFC 8830 §2).
    case msid(MediaStreamID)

    // MARK: ICE (RFC 8839 §5)
    /// `a=ice-lite` (RFC 8839 §5.3): the agent is ICE lite (servers such as an SFU).
    case iceLite
    /// `a=ice-ufrag` (RFC 8839 §5.4).
    case iceUfrag(String)
    /// `a=ice-pwd` (RFC 8839 §5.4).
    case icePwd(String)
    /// `a=ice-options` (RFC 8839 §5.6), e.g. `trickle` (RFC 8840 §4.1.1), `renomination`.
    case iceOptions([String])
    /// `a=candidate` (RFC 8839 §5.1).
    case candidate(ICECandidate)
    /// `a=end-of-candidates` (RFC 8840 §8.2).
    case endOfCandidates

    // MARK: DTLS (RFC 8842)
    /// `a=fingerprint` (RFC 8122 §5).
    case fingerprint(Fingerprint)
    /// `a=setup` (RFC 4145 §4, RFC 8842 §5.1).
    case setup(SetupRole)

    // MARK: RTP and RTCP
    /// `a=sendrecv` / `a=sendonly` / `a=recvonly` / `a=inactive` (RFC 8866 §6.7).
    case direction(MediaDirection)
    /// `a=rtcp` (RFC 3605).
    case rtcp(RTCPAddress)
    /// `a=rtcp-mux` (RFC 5761 §5.1.1): RTP and RTCP share one port.
    case rtcpMux
    /// `a=rtcp-mux-only` (RFC 8858 §3).
    case rtcpMuxOnly
    /// `a=rtcp-rsize` (RFC 5506 §5): reduced-size RTCP is allowed.
    case rtcpReducedSize
    /// `a=rtpmap` (RFC 8866 §6.6).
    case rtpMap(RTPMap)
    /// `a=fmtp` (RFC 8866 §6.15).
    case formatParameters(FormatParameters)
    /// `a=rtcp-fb` (RFC 4585 §4.2).
    case rtcpFeedback(RTCPFeedback)
    /// `a=extmap` (RFC 8285 §8).
    case extensionMap(ExtensionMap)
    /// `a=extmap-allow-mixed` (RFC 8285 §6): one- and two-byte header extensions may be mixed.
    case extensionMapAllowMixed
    /// `a=ssrc` (RFC 5576 §4.1).
    case ssrc(SSRCAttribute)
    /// `a=ssrc-group` (RFC 5576 §4.2).
    case ssrcGroup(SSRCGroup)
    /// `a=simulcast` (RFC 8853 §5.1).
    case simulcast(Simulcast)
    /// `a=rid` (RFC 8851 §4).
    case rid(RID)

    // MARK: Data channels (RFC 8841)
    /// `a=sctp-port` (RFC 8841 §5.1).
    case sctpPort(UInt16)
    /// `a=max-message-size` (RFC 8841 §6.1), in bytes.
    case maxMessageSize(UInt64)

    // MARK: Anything else
    /// Any other attribute: its name and, if the line has a colon, the text after the first colon.
    case other(name: String, value: String?)

    /// The attribute name, as after `a=`.
    public var name: String {
        switch self {
        case .group: return "group"
        case .mid: return "mid"
        case .msidSemantic: return "msid-semantic"
        case .msid: return "msid"
        case .iceLite: return "ice-lite"
        case .iceUfrag: return "ice-ufrag"
        case .icePwd: return "ice-pwd"
        case .iceOptions: return "ice-options"
        case .candidate: return "candidate"
        case .endOfCandidates: return "end-of-candidates"
        case .fingerprint: return "fingerprint"
        case .setup: return "setup"
        case .direction(let direction): return direction.rawValue
        case .rtcp: return "rtcp"
        case .rtcpMux: return "rtcp-mux"
        case .rtcpMuxOnly: return "rtcp-mux-only"
        case .rtcpReducedSize: return "rtcp-rsize"
        case .rtpMap: return "rtpmap"
        case .formatParameters: return "fmtp"
        case .rtcpFeedback: return "rtcp-fb"
        case .extensionMap: return "extmap"
        case .extensionMapAllowMixed: return "extmap-allow-mixed"
        case .ssrc: return "ssrc"
        case .ssrcGroup: return "ssrc-group"
        case .simulcast: return "simulcast"
        case .rid: return "rid"
        case .sctpPort: return "sctp-port"
        case .maxMessageSize: return "max-message-size"
        case .other(let name, _): return name
        }
    }

    /// The canonical text after `a=` (name, and `:value` for value attributes).
    public var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    /// Appends the canonical text after `a=`.
    func write(to out: inout String) {
        out += name
        switch self {
        case .iceLite, .endOfCandidates, .direction, .rtcpMux, .rtcpMuxOnly, .rtcpReducedSize,
            .extensionMapAllowMixed:
            return
        case .other(_, let value):
            if let value {
                out += ":"
                out += value
            }
            return
        default:
            out += ":"
        }
        switch self {
        case .group(let group): group.write(to: &out)
        case .mid(let mid): out += mid
        case .msidSemantic(let semantic): semantic.write(to: &out)
        case .msid(let msid): msid.write(to: &out)
        case .iceUfrag(let ufrag): out += ufrag
        case .icePwd(let pwd): out += pwd
        case .iceOptions(let options):
            for (index, option) in options.enumerated() {
                if index > 0 { out += " " }
                out += option
            }
        case .candidate(let candidate): candidate.write(to: &out)
        case .fingerprint(let fingerprint): fingerprint.write(to: &out)
        case .setup(let role): out += role.rawValue
        case .rtcp(let rtcp): rtcp.write(to: &out)
        case .rtpMap(let map): map.write(to: &out)
        case .formatParameters(let parameters): parameters.write(to: &out)
        case .rtcpFeedback(let feedback): feedback.write(to: &out)
        case .extensionMap(let map): map.write(to: &out)
        case .ssrc(let ssrc): ssrc.write(to: &out)
        case .ssrcGroup(let group): group.write(to: &out)
        case .simulcast(let simulcast): simulcast.write(to: &out)
        case .rid(let rid): rid.write(to: &out)
        case .sctpPort(let port): out += String(port)
        case .maxMessageSize(let size): out += String(size)
        case .iceLite, .endOfCandidates, .direction, .rtcpMux, .rtcpMuxOnly, .rtcpReducedSize,
            .extensionMapAllowMixed, .other:
            break
        }
    }

    /// Parses the text after `a=`.
    ///
    /// Attributes this module models must follow their grammar or parsing fails with a specific error; any other
    /// attribute becomes ``other(name:value:)``. A modelled property attribute written with a value (`a=rtcp-mux:x`)
    /// is kept as `other` too.
    /// - Throws: ``SDPParseError`` (line 1); also ``SDPParseError/invalidCharacter(line:)`` if the text holds a CR,
    ///   LF or NUL.
    public static func parse(_ text: String) throws(SDPParseError) -> SDPAttribute {
        let value = Substring(text)
        guard !value.containsLineBreakOrNUL else { throw .invalidCharacter(line: 1) }
        return try parse(value, line: 1)
    }

    static func parse(_ text: Substring, line: Int) throws(SDPParseError) -> SDPAttribute {
        guard let (name, value) = text.splitOnce(.colon) else {
            switch text {
            case "ice-lite": return .iceLite
            case "end-of-candidates": return .endOfCandidates
            case "sendrecv": return .direction(.sendrecv)
            case "sendonly": return .direction(.sendonly)
            case "recvonly": return .direction(.recvonly)
            case "inactive": return .direction(.inactive)
            case "rtcp-mux": return .rtcpMux
            case "rtcp-mux-only": return .rtcpMuxOnly
            case "rtcp-rsize": return .rtcpReducedSize
            case "extmap-allow-mixed": return .extensionMapAllowMixed
            case "group", "mid", "msid-semantic", "msid", "ice-ufrag", "ice-pwd", "ice-options", "candidate",
                "fingerprint", "setup", "rtcp", "rtpmap", "fmtp", "rtcp-fb", "extmap", "ssrc", "ssrc-group",
                "simulcast", "rid", "sctp-port", "max-message-size":
                throw .badAttribute(line: line, name: String(text), reason: "missing value")
            default: return .other(name: String(text), value: nil)
            }
        }
        switch name {
        case "candidate": return .candidate(try ICECandidate.parseValue(value, line: line))
        case "rtpmap": return .rtpMap(try RTPMap.parse(value, line: line))
        case "fmtp": return .formatParameters(try FormatParameters.parse(value, line: line))
        case "rtcp-fb": return .rtcpFeedback(try RTCPFeedback.parse(value, line: line))
        case "extmap": return .extensionMap(try ExtensionMap.parse(value, line: line))
        case "ssrc": return .ssrc(try SSRCAttribute.parse(value, line: line))
        case "ssrc-group": return .ssrcGroup(try SSRCGroup.parse(value, line: line))
        case "mid": return .mid(try singleToken(value, name: "mid", line: line))
        case "msid": return .msid(try MediaStreamID.parse(value, line: line))
        case "group": return .group(try Group.parse(value, line: line))
        case "msid-semantic": return .msidSemantic(try MSIDSemantic.parse(value, line: line))
        case "ice-ufrag": return .iceUfrag(try singleToken(value, name: "ice-ufrag", line: line))
        case "ice-pwd": return .icePwd(try singleToken(value, name: "ice-pwd", line: line))
        case "ice-options":
            let options = value.fields()
            guard !options.isEmpty else {
                throw .badAttribute(line: line, name: "ice-options", reason: "no options")
            }
            return .iceOptions(options.map { String($0) })
        case "fingerprint": return .fingerprint(try Fingerprint.parse(value, line: line))
        case "setup":
            guard let role = SetupRole(rawValue: String(value.trimmingSpaces())) else {
                throw .badAttribute(
                    line: line, name: "setup", reason: "\"\(value)\" is not active, passive, actpass or holdconn")
            }
            return .setup(role)
        case "rtcp": return .rtcp(try RTCPAddress.parse(value, line: line))
        case "simulcast": return .simulcast(try Simulcast.parse(value, line: line))
        case "rid": return .rid(try RID.parse(value, line: line))
        case "sctp-port":
            guard let port: UInt16 = parseDecimal(value.trimmingSpaces()) else {
                throw .badPort(line: line, text: String(value))
            }
            return .sctpPort(port)
        case "max-message-size":
            return .maxMessageSize(try parseNumber(value.trimmingSpaces(), field: "max-message-size", line: line))
        default:
            return .other(name: String(name), value: String(value))
        }
    }

    /// A value that must be one non-empty token without spaces (mid, ice-ufrag, ice-pwd).
    private static func singleToken(_ value: Substring, name: String, line: Int) throws(SDPParseError) -> String {
        let fields = value.fields()
        guard fields.count == 1, let token = fields.first else {
            throw .badAttribute(line: line, name: name, reason: "expected one value without spaces")
        }
        return String(token)
    }
}
