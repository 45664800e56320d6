/// `a=rtcp-fb`: an RTCP feedback message the receiver understands for a payload type (RFC 4585 §4.2), e.g.
/// `96 nack`, `96 nack pli`, `96 ccm fir` (RFC 5104 §7.1), `96 goog-remb`, `96 transport-cc`, `* nack`.
public struct RTCPFeedback: Hashable, Sendable {
    /// The payload types a feedback line applies to.
    public enum PayloadTypes: Hashable, Sendable {
        /// `*`: every payload type of the media section.
        case all
        case payloadType(UInt8)
    }

    public var payloadTypes: PayloadTypes
    /// The feedback type: `ack`, `nack`, `trr-int`, `ccm`, `goog-remb`, `transport-cc`, …
    public var type: String
    /// The rest after the type, e.g. `pli` for `nack pli`, `fir` for `ccm fir`; nil when absent.
    public var parameter: String?

    public init(payloadTypes: PayloadTypes, type: String, parameter: String? = nil) {
        self.payloadTypes = payloadTypes
        self.type = type
        self.parameter = parameter
    }

    /// True if this line applies to `payloadType` (directly or through `*`).
    public func applies(to payloadType: UInt8) -> Bool {
        switch payloadTypes {
        case .all: return true
        case .payloadType(let value): return value == payloadType
        }
    }

    static func parse(_ value: Substring, line: Int) throws(SDPParseError) -> RTCPFeedback {
        let fields = value.fields()
        guard fields.count >= 2 else {
            throw .badAttribute(line: line, name: "rtcp-fb", reason: "expected \"<pt> <type> [<parameter>]\"")
        }
        let payloadTypes: PayloadTypes
        if fields[0] == "*" {
            payloadTypes = .all
        } else {
            payloadTypes = .payloadType(try parsePayloadType(fields[0], line: line))
        }
        var parameter: String? = nil
        if fields.count > 2 {
            parameter = fields[2...].joined(separator: " ")
        }
        return RTCPFeedback(payloadTypes: payloadTypes, type: String(fields[1]), parameter: parameter)
    }

    func write(to out: inout String) {
        switch payloadTypes {
        case .all: out += "*"
        case .payloadType(let value): out += String(value)
        }
        out += " "
        out += type
        if let parameter {
            out += " "
            out += parameter
        }
    }
}
