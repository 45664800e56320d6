/// `a=rtpmap`: what an RTP payload type carries (RFC 8866 §6.6):
/// `<payload type> <encoding name>/<clock rate>[/<encoding parameters>]`, e.g. `111 opus/48000/2`.
public struct RTPMap: Hashable, Sendable {
    /// The dynamic (96–127) or static payload type.
    public var payloadType: UInt8
    /// The codec's media subtype as registered, e.g. `opus`, `VP8`, `H264`, `rtx`, `red`, `ulpfec`.
    /// Compare case-insensitively.
    public var encodingName: String
    /// The RTP timestamp rate in Hz.
    public var clockRate: UInt32
    /// For audio the channel count (`2` for Opus, RFC 7587 §7); absent for video.
    public var encodingParameters: UInt32?

    public init(payloadType: UInt8, encodingName: String, clockRate: UInt32, encodingParameters: UInt32? = nil) {
        self.payloadType = payloadType
        self.encodingName = encodingName
        self.clockRate = clockRate
        self.encodingParameters = encodingParameters
    }

    static func parse(_ value: Substring, line: Int) throws(SDPParseError) -> RTPMap {
        let fields = value.fields()
        guard fields.count == 2 else {
            throw .badAttribute(line: line, name: "rtpmap", reason: "expected \"<pt> <name>/<rate>\"")
        }
        let payloadType = try parsePayloadType(fields[0], line: line)
        let parts = fields[1].splitKeepingEmpty(.slash)
        guard parts.count == 2 || parts.count == 3, let name = parts.first, !name.isEmpty else {
            throw .badAttribute(line: line, name: "rtpmap", reason: "expected \"<name>/<rate>[/<parameters>]\"")
        }
        let clockRate: UInt32 = try parseNumber(parts[1], field: "rtpmap clock rate", line: line)
        var parameters: UInt32? = nil
        if parts.count == 3 {
            parameters = try parseNumber(parts[2], as: UInt32.self, field: "rtpmap encoding parameters", line: line)
        }
        return RTPMap(
            payloadType: payloadType, encodingName: String(name), clockRate: clockRate, encodingParameters: parameters)
    }

    func write(to out: inout String) {
        out += String(payloadType)
        out += " "
        out += encodingName
        out += "/"
        out += String(clockRate)
        if let encodingParameters {
            out += "/"
            out += String(encodingParameters)
        }
    }
}

/// Parses an RTP payload type: a decimal number from 0 to 127 (RFC 3550 §5.1).
func parsePayloadType(_ text: Substring, line: Int) throws(SDPParseError) -> UInt8 {
    guard let value: UInt8 = parseDecimal(text), value <= 127 else {
        throw .badPayloadType(line: line, text: String(text))
    }
    return value
}
