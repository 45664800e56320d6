/// A `b=` line (RFC 8866 §5.8): a proposed bandwidth limit, e.g. `b=AS:2000` (kbit/s, application specific)
/// or `b=TIAS:2000000` (bit/s, RFC 3890).
public struct Bandwidth: Hashable, Sendable {
    /// The bandwidth type: `AS`, `CT`, `TIAS`, `RR`, `RS`, or an extension token.
    public var type: String
    /// The value, in the unit `type` defines.
    public var value: UInt64

    public init(type: String, value: UInt64) {
        self.type = type
        self.value = value
    }

    static func parse(_ text: Substring, line: Int) throws(SDPParseError) -> Bandwidth {
        guard let (type, number) = text.splitOnce(.colon) else {
            throw .badBandwidth(line: line, reason: "expected \"type:value\"")
        }
        guard type.allBytes(isTokenChar) else {
            throw .badBandwidth(line: line, reason: "\"\(type)\" is not a bandwidth type token")
        }
        guard let value: UInt64 = parseDecimal(number) else {
            throw .badBandwidth(line: line, reason: "\"\(number)\" is not a decimal number")
        }
        return Bandwidth(type: String(type), value: value)
    }

    func write(to out: inout String) {
        out += type
        out += ":"
        out += String(value)
    }
}
