/// `a=group`: media sections that belong together (RFC 5888 §5), e.g. `a=group:BUNDLE 0 1 2` — one transport
/// for every listed mid (RFC 9143 §7.1) — or `LS` for lip sync.
public struct Group: Hashable, Sendable {
    /// `BUNDLE`, `LS`, `FID`, …
    public var semantics: String
    /// The `a=mid` values of the member sections, in order (the first is the BUNDLE "tagged" section).
    public var mids: [String]

    public init(semantics: String, mids: [String]) {
        self.semantics = semantics
        self.mids = mids
    }

    /// True for a BUNDLE group (semantics compared case-insensitively).
    public var isBundle: Bool { semantics.uppercased() == "BUNDLE" }

    static func parse(_ value: Substring, line: Int) throws(SDPParseError) -> Group {
        let fields = value.fields()
        guard let semantics = fields.first, semantics.allBytes(isTokenChar) else {
            throw .badAttribute(line: line, name: "group", reason: "expected \"<semantics> <mid>...\"")
        }
        return Group(semantics: String(semantics), mids: fields.dropFirst().map { String($0) })
    }

    func write(to out: inout String) {
        out += semantics
        for mid in mids {
            out += " "
            out += mid
        }
    }
}
