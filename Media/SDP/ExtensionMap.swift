/// `a=extmap`: binds an RTP header extension URI to a local id (RFC 8285 §8):
/// `<id>[/<direction>] <uri> [<extension attributes>]`, e.g. `3 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time`.
public struct ExtensionMap: Hashable, Sendable {
    /// 1–14 for one-byte headers, 1–255 with two-byte headers (RFC 8285 §4.2, §4.3); 4096–4351 in offers only.
    public var id: UInt16
    /// Restricts the extension to one direction; absent means the media section's direction.
    public var direction: MediaDirection?
    /// The extension's URI, e.g. `urn:ietf:params:rtp-hdrext:sdes:mid`.
    public var uri: String
    /// Extension-specific attributes after the URI, as written.
    public var attributes: String?

    public init(id: UInt16, direction: MediaDirection? = nil, uri: String, attributes: String? = nil) {
        self.id = id
        self.direction = direction
        self.uri = uri
        self.attributes = attributes
    }

    static func parse(_ value: Substring, line: Int) throws(SDPParseError) -> ExtensionMap {
        let fields = value.fields()
        guard fields.count >= 2 else {
            throw .badAttribute(line: line, name: "extmap", reason: "expected \"<id>[/<direction>] <uri>\"")
        }
        var idText = fields[0]
        var direction: MediaDirection? = nil
        if let (head, tail) = fields[0].splitOnce(.slash) {
            idText = head
            guard let parsed = MediaDirection(rawValue: String(tail)) else {
                throw .badAttribute(line: line, name: "extmap", reason: "unknown direction \"\(tail)\"")
            }
            direction = parsed
        }
        let id: UInt16 = try parseNumber(idText, field: "extmap id", line: line)
        var attributes: String? = nil
        if fields.count > 2 {
            attributes = fields[2...].joined(separator: " ")
        }
        return ExtensionMap(id: id, direction: direction, uri: String(fields[1]), attributes: attributes)
    }

    func write(to out: inout String) {
        out += String(id)
        if let direction {
            out += "/"
            out += direction.rawValue
        }
        out += " "
        out += uri
        if let attributes {
            out += " "
            out += attributes
        }
    }
}
