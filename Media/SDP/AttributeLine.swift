/// One `a=` line of a parsed or built description: the typed ``attribute`` and, when the original text was not in
/// the canonical form this module writes (`a=msid-semantic: WMS`, lowercase fingerprint hex, double spaces …),
/// that original text, so serializing reproduces the input byte for byte.
///
/// Assigning ``attribute`` drops the original text: a changed attribute is written canonically.
public struct AttributeLine: Hashable, Sendable {
    /// The attribute.
    public var attribute: SDPAttribute {
        didSet { originalText = nil }
    }

    /// The text after `a=` as it was parsed, kept only when it differs from the canonical ``SDPAttribute/text``.
    public private(set) var originalText: String?

    public init(_ attribute: SDPAttribute) {
        self.attribute = attribute
        self.originalText = nil
    }

    /// Parses the text after `a=`, remembering it if it is not canonical. `scratch` is reused between lines.
    init(parsing text: Substring, line: Int, scratch: inout String) throws(SDPParseError) {
        let attribute = try SDPAttribute.parse(text, line: line)
        self.attribute = attribute
        switch attribute {
        case .other, .formatParameters:
            // Lossless by construction: name and value (or format, one space, parameters) are kept as written.
            self.originalText = nil
        default:
            scratch.removeAll(keepingCapacity: true)
            attribute.write(to: &scratch)
            self.originalText = scratch.isByteEqual(to: text) ? nil : String(text)
        }
    }

    /// Appends the text after `a=`: the original if kept, else the canonical form.
    func write(to out: inout String) {
        if let originalText {
            out += originalText
        } else {
            attribute.write(to: &out)
        }
    }
}
