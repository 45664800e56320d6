/// `a=ssrc`: a source-level attribute (RFC 5576 §4.1): `<ssrc-id> <attribute>[:<value>]`, e.g.
/// `a=ssrc:3735928559 cname:4TOk42mSjXCkVIa6` or `a=ssrc:3735928559 msid:stream track`.
public struct SSRCAttribute: Hashable, Sendable {
    public var ssrc: UInt32
    /// The source attribute's name, e.g. `cname`, `msid`.
    public var attribute: String
    /// Everything after the first colon of the source attribute, as written; nil when there is no colon.
    public var value: String?

    public init(ssrc: UInt32, attribute: String, value: String? = nil) {
        self.ssrc = ssrc
        self.attribute = attribute
        self.value = value
    }

    static func parse(_ text: Substring, line: Int) throws(SDPParseError) -> SSRCAttribute {
        guard let (idText, rest) = text.splitOnce(.space) else {
            throw .badAttribute(line: line, name: "ssrc", reason: "expected \"<ssrc> <attribute>[:<value>]\"")
        }
        let ssrc: UInt32 = try parseNumber(idText, field: "ssrc", line: line)
        let attribute = rest.trimmingSpaces()
        guard !attribute.isEmpty else {
            throw .badAttribute(line: line, name: "ssrc", reason: "missing source attribute")
        }
        if let (name, value) = attribute.splitOnce(.colon) {
            guard !name.isEmpty else {
                throw .badAttribute(line: line, name: "ssrc", reason: "empty source attribute name")
            }
            return SSRCAttribute(ssrc: ssrc, attribute: String(name), value: String(value))
        }
        return SSRCAttribute(ssrc: ssrc, attribute: String(attribute), value: nil)
    }

    func write(to out: inout String) {
        out += String(ssrc)
        out += " "
        out += attribute
        if let value {
            out += ":"
            out += value
        }
    }
}

/// `a=ssrc-group`: sources that belong together (RFC 5576 §4.2): `<semantics> <ssrc> …`, e.g.
/// `FID 1 2` (RTX, RFC 4588 §8), `SIM 1 2 3` (legacy simulcast), `FEC-FR 1 2`.
public struct SSRCGroup: Hashable, Sendable {
    public var semantics: String
    public var ssrcs: [UInt32]

    public init(semantics: String, ssrcs: [UInt32]) {
        self.semantics = semantics
        self.ssrcs = ssrcs
    }

    static func parse(_ value: Substring, line: Int) throws(SDPParseError) -> SSRCGroup {
        let fields = value.fields()
        guard let semantics = fields.first, semantics.allBytes(isTokenChar) else {
            throw .badAttribute(line: line, name: "ssrc-group", reason: "expected \"<semantics> <ssrc>...\"")
        }
        var ssrcs: [UInt32] = []
        ssrcs.reserveCapacity(fields.count - 1)
        for field in fields.dropFirst() {
            ssrcs.append(try parseNumber(field, field: "ssrc-group ssrc", line: line))
        }
        return SSRCGroup(semantics: String(semantics), ssrcs: ssrcs)
    }

    func write(to out: inout String) {
        out += semantics
        for ssrc in ssrcs {
            out += " "
            out += String(ssrc)
        }
    }
}
