/// `a=rid`: a restriction identifier — an RTP stream id with the constraints on what it carries (RFC 8851 §4):
/// `<rid-id> send|recv [pt=<pt>,…][;<name>=<value>…]`, e.g. `a=rid:h send pt=96;max-width=1280;max-height=720`.
public struct RID: Hashable, Sendable {
    /// The direction of the RTP stream a RID names (RFC 8851 §10 `rid-dir`).
    public enum Direction: String, Hashable, Sendable, CaseIterable {
        case send
        case receive = "recv"
    }

    /// One `name=value` restriction (or a bare name).
    public struct Parameter: Hashable, Sendable {
        public var name: String
        public var value: String?

        public init(name: String, value: String? = nil) {
            self.name = name
            self.value = value
        }
    }

    /// 1*(alpha-numeric / "-" / "_"); the value carried in the RTP `rtp-stream-id` header extension.
    public var id: String
    public var direction: Direction
    /// The restrictions in order: `pt`, `max-width`, `max-height`, `max-fps`, `max-fs`, `max-br`, `max-pps`,
    /// `max-bpp`, `depend`, or extensions.
    public var parameters: [Parameter]

    public init(id: String, direction: Direction, parameters: [Parameter] = []) {
        self.id = id
        self.direction = direction
        self.parameters = parameters
    }

    /// The value of the first restriction named `name`.
    public func value(for name: String) -> String? {
        parameters.first { $0.name == name }.flatMap { $0.value }
    }

    /// The payload types of `pt=` (RFC 8851 §4: the formats this RID may use); empty when unrestricted.
    public var payloadTypes: [UInt8] {
        guard let list = value(for: "pt") else { return [] }
        var result: [UInt8] = []
        for text in Substring(list).splitKeepingEmpty(.comma) {
            if let value: UInt8 = parseDecimal(text), value <= 127 { result.append(value) }
        }
        return result
    }

    /// `max-width` in pixels.
    public var maxWidth: UInt32? { value(for: "max-width").flatMap { parseDecimal(Substring($0)) } }
    /// `max-height` in pixels.
    public var maxHeight: UInt32? { value(for: "max-height").flatMap { parseDecimal(Substring($0)) } }
    /// `max-br` in bits per second.
    public var maxBitrate: UInt32? { value(for: "max-br").flatMap { parseDecimal(Substring($0)) } }

    static func parse(_ value: Substring, line: Int) throws(SDPParseError) -> RID {
        let fields = value.fields()
        guard fields.count == 2 || fields.count == 3 else {
            throw .badAttribute(line: line, name: "rid", reason: "expected \"<rid-id> send|recv [<restrictions>]\"")
        }
        guard fields[0].allBytes(isRIDChar) else {
            throw .badAttribute(line: line, name: "rid", reason: "\"\(fields[0])\" is not a rid-id")
        }
        guard let direction = Direction(rawValue: String(fields[1])) else {
            throw .badAttribute(line: line, name: "rid", reason: "direction \"\(fields[1])\" is not send or recv")
        }
        var parameters: [Parameter] = []
        if fields.count == 3 {
            for entry in fields[2].splitKeepingEmpty(.semicolon) {
                guard !entry.isEmpty else {
                    throw .badAttribute(line: line, name: "rid", reason: "empty restriction")
                }
                if let (name, text) = entry.splitOnce(.equals) {
                    guard !name.isEmpty else {
                        throw .badAttribute(line: line, name: "rid", reason: "restriction \"\(entry)\" has no name")
                    }
                    if name == "pt" {
                        for payloadType in text.splitKeepingEmpty(.comma) {
                            _ = try parsePayloadType(payloadType, line: line)
                        }
                    }
                    parameters.append(Parameter(name: String(name), value: String(text)))
                } else {
                    parameters.append(Parameter(name: String(entry), value: nil))
                }
            }
        }
        return RID(id: String(fields[0]), direction: direction, parameters: parameters)
    }

    func write(to out: inout String) {
        out += id
        out += " "
        out += direction.rawValue
        for (index, parameter) in parameters.enumerated() {
            out += index == 0 ? " " : ";"
            out += parameter.name
            if let value = parameter.value {
                out += "="
                out += value
            }
        }
    }
}
