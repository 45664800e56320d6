/// Why a session description (or a standalone ICE candidate) could not be parsed.
///
/// Every case carries the 1-based line number where the problem was found (a standalone candidate string is
/// line 1) and enough detail to say what was wrong. ``description`` is a sentence for logs and error replies;
/// ``code`` is stable and meant for metrics and tests.
public enum SDPParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The text holds no lines at all.
    case empty
    /// The first line is not `v=` (RFC 8866 §5: a description starts with the version line).
    case missingVersion(line: Int)
    /// `v=` holds something other than `0` (RFC 8866 §5.1).
    case unsupportedVersion(line: Int, found: String)
    /// A required line (`o=`, `s=`, `t=`) is absent; `line` is the line where it was due.
    case missingLine(line: Int, type: String)
    /// A line is not `<type>=<value>` with a single lowercase letter as the type (RFC 8866 §5).
    case malformedLine(line: Int, text: String)
    /// A line holds a control character (NUL, or CR not followed by LF) that no SDP text may contain.
    case invalidCharacter(line: Int)
    /// The line's type letter is not one RFC 8866 defines; §5 allows rejecting such a description.
    case unknownLineType(line: Int, type: String)
    /// A known line appears where it may not (a second `o=`, `t=` inside a media section, `r=` before `t=`).
    case unexpectedLine(line: Int, type: String, reason: String)
    /// `o=` is not `username sess-id sess-version nettype addrtype unicast-address` (RFC 8866 §5.2).
    case badOrigin(line: Int, reason: String)
    /// `c=` is not `nettype addrtype connection-address` (RFC 8866 §5.7).
    case badConnectionData(line: Int, reason: String)
    /// `b=` is not `bwtype:bandwidth` (RFC 8866 §5.8).
    case badBandwidth(line: Int, reason: String)
    /// `t=` is not `start-time SP stop-time` (RFC 8866 §5.9).
    case badTiming(line: Int, reason: String)
    /// `m=` is not `media port[/count] proto fmt ...` (RFC 8866 §5.14).
    case badMediaLine(line: Int, reason: String)
    /// A port is not a number from 0 to 65535.
    case badPort(line: Int, text: String)
    /// An RTP payload type is not a number from 0 to 127 (RFC 3550 §5.1).
    case badPayloadType(line: Int, text: String)
    /// A numeric field is not an unsigned decimal number in range.
    case badNumber(line: Int, field: String, text: String)
    /// A known attribute's value does not follow its grammar.
    case badAttribute(line: Int, name: String, reason: String)
    /// An ICE candidate does not follow RFC 8839 §5.1.
    case badCandidate(line: Int, reason: String)
    /// A fingerprint does not follow RFC 8122 §5 (hash function, then colon-separated uppercase hex bytes).
    case badFingerprint(line: Int, reason: String)

    /// The line the problem was found on (0 for ``empty``).
    public var line: Int {
        switch self {
        case .empty: return 0
        case .missingVersion(let line), .invalidCharacter(let line): return line
        case .unsupportedVersion(let line, _), .missingLine(let line, _), .malformedLine(let line, _),
            .unknownLineType(let line, _), .badOrigin(let line, _), .badConnectionData(let line, _),
            .badBandwidth(let line, _), .badTiming(let line, _), .badMediaLine(let line, _), .badPort(let line, _),
            .badPayloadType(let line, _), .badCandidate(let line, _), .badFingerprint(let line, _):
            return line
        case .unexpectedLine(let line, _, _), .badNumber(let line, _, _), .badAttribute(let line, _, _):
            return line
        }
    }

    /// A stable identifier of the kind of error, e.g. `sdp.bad-candidate`.
    public var code: String {
        switch self {
        case .empty: return "sdp.empty"
        case .missingVersion: return "sdp.missing-version"
        case .unsupportedVersion: return "sdp.unsupported-version"
        case .missingLine: return "sdp.missing-line"
        case .malformedLine: return "sdp.malformed-line"
        case .invalidCharacter: return "sdp.invalid-character"
        case .unknownLineType: return "sdp.unknown-line-type"
        case .unexpectedLine: return "sdp.unexpected-line"
        case .badOrigin: return "sdp.bad-origin"
        case .badConnectionData: return "sdp.bad-connection-data"
        case .badBandwidth: return "sdp.bad-bandwidth"
        case .badTiming: return "sdp.bad-timing"
        case .badMediaLine: return "sdp.bad-media-line"
        case .badPort: return "sdp.bad-port"
        case .badPayloadType: return "sdp.bad-payload-type"
        case .badNumber: return "sdp.bad-number"
        case .badAttribute: return "sdp.bad-attribute"
        case .badCandidate: return "sdp.bad-candidate"
        case .badFingerprint: return "sdp.bad-fingerprint"
        }
    }

    public var description: String {
        switch self {
        case .empty:
            return "SDP is empty"
        case .missingVersion(let line):
            return "SDP line \(line): a session description must start with \"v=0\""
        case .unsupportedVersion(let line, let found):
            return "SDP line \(line): unsupported protocol version \"\(found)\" (only 0 exists)"
        case .missingLine(let line, let type):
            return "SDP line \(line): the required \"\(type)=\" line is missing"
        case .malformedLine(let line, let text):
            return "SDP line \(line): not a \"<letter>=<value>\" line: \"\(Self.excerpt(text))\""
        case .invalidCharacter(let line):
            return "SDP line \(line): contains a NUL or a carriage return that does not end the line"
        case .unknownLineType(let line, let type):
            return "SDP line \(line): unknown line type \"\(type)=\""
        case .unexpectedLine(let line, let type, let reason):
            return "SDP line \(line): unexpected \"\(type)=\" line: \(reason)"
        case .badOrigin(let line, let reason):
            return "SDP line \(line): bad origin (o=) line: \(reason)"
        case .badConnectionData(let line, let reason):
            return "SDP line \(line): bad connection (c=) line: \(reason)"
        case .badBandwidth(let line, let reason):
            return "SDP line \(line): bad bandwidth (b=) line: \(reason)"
        case .badTiming(let line, let reason):
            return "SDP line \(line): bad timing (t=) line: \(reason)"
        case .badMediaLine(let line, let reason):
            return "SDP line \(line): bad media (m=) line: \(reason)"
        case .badPort(let line, let text):
            return "SDP line \(line): \"\(Self.excerpt(text))\" is not a port number (0-65535)"
        case .badPayloadType(let line, let text):
            return "SDP line \(line): \"\(Self.excerpt(text))\" is not an RTP payload type (0-127)"
        case .badNumber(let line, let field, let text):
            return "SDP line \(line): \(field) \"\(Self.excerpt(text))\" is not an unsigned decimal number in range"
        case .badAttribute(let line, let name, let reason):
            return "SDP line \(line): bad a=\(Self.excerpt(name)) attribute: \(reason)"
        case .badCandidate(let line, let reason):
            return "SDP line \(line): bad ICE candidate: \(reason)"
        case .badFingerprint(let line, let reason):
            return "SDP line \(line): bad fingerprint: \(reason)"
        }
    }

    /// Keeps quoted input short in messages.
    private static func excerpt(_ text: String) -> String {
        text.utf8.count <= 80 ? text : String(text.prefix(77)) + "..."
    }
}
