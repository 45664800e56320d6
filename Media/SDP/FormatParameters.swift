/// `a=fmtp`: format-specific parameters of one payload format (RFC 8866 §6.15), e.g.
/// `a=fmtp:111 minptime=10;useinbandfec=1` or `a=fmtp:97 apt=96`.
///
/// The parameter text is kept exactly as written in ``parameters`` (codecs define their own syntax);
/// ``parameterList`` reads it as the usual `;`-separated `name=value` list.
public struct FormatParameters: Hashable, Sendable {
    /// One `name=value` (or bare `name`) entry of the usual fmtp syntax.
    public struct Parameter: Hashable, Sendable {
        public var name: String
        public var value: String?

        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    /// The payload format the parameters apply to: an RTP payload type in WebRTC.
    public var format: String
    /// The text after the format and its space, as written.
    public var parameters: String

    public init(format: String, parameters: String) {
        self.format = format
        self.parameters = parameters
    }

    /// Builds the usual syntax, `name=value;name=value`, from a list.
    public init(payloadType: UInt8, parameterList: [Parameter]) {
        self.format = String(payloadType)
        var text = ""
        for (index, parameter) in parameterList.enumerated() {
            if index > 0 { text += ";" }
            text += parameter.name
            if let value = parameter.value {
                text += "="
                text += value
            }
        }
        self.parameters = text
    }

    /// ``format`` as an RTP payload type, if it is one.
    public var payloadType: UInt8? {
        guard let value: UInt8 = parseDecimal(Substring(format)), value <= 127 else { return nil }
        return value
    }

    /// ``parameters`` split at `;`, each entry trimmed and split at its first `=`. Empty entries are skipped.
    public var parameterList: [Parameter] {
        var list: [Parameter] = []
        for entry in Substring(parameters).splitKeepingEmpty(.semicolon) {
            let trimmed = entry.trimmingSpaces()
            if trimmed.isEmpty { continue }
            if let (name, value) = trimmed.splitOnce(.equals) {
                list.append(Parameter(name: String(name.trimmingSpaces()), value: String(value.trimmingSpaces())))
            } else {
                list.append(Parameter(name: String(trimmed), value: nil))
            }
        }
        return list
    }

    /// The value of the first parameter named `name` (case-insensitive, as RFC 8866 §6.15 media types are), or
    /// nil. A bare parameter has the value "".
    public func value(for name: String) -> String? {
        let lowered = name.lowercased()
        for parameter in parameterList where parameter.name.lowercased() == lowered {
            return parameter.value ?? ""
        }
        return nil
    }

    static func parse(_ value: Substring, line: Int) throws(SDPParseError) -> FormatParameters {
        guard let (format, rest) = value.splitOnce(.space), !format.isEmpty else {
            throw .badAttribute(line: line, name: "fmtp", reason: "expected \"<format> <parameters>\"")
        }
        guard !format.containsWhitespace else {
            throw .badAttribute(line: line, name: "fmtp", reason: "bad format \"\(format)\"")
        }
        return FormatParameters(format: String(format), parameters: String(rest))
    }

    func write(to out: inout String) {
        out += format
        out += " "
        out += parameters
    }
}
