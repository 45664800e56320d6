/// A `name=value` parameter of Content-Type or Content-Disposition (RFC 2045 §5.1).
public struct MIMEParameter: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// `; name=value`, quoted when the value has tspecials or spaces; a non-ASCII value uses RFC 2231 §4
    /// (`name*=UTF-8''percent-encoded`).
    var rendered: String {
        let value = HeaderText.stripLineBreaks(self.value)
        if !HeaderText.isPrintableASCII(value) {
            var encoded = ""
            for byte in value.utf8 {
                let unreserved = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte)
                    || (0x61...0x7A).contains(byte) || "!#$&+-.^_`|~".utf8.contains(byte)
                encoded += unreserved ? String(UnicodeScalar(byte)) : "%" + String(byte, radix: 16, uppercase: true)
                    .leftPadded(to: 2)
            }
            return "; \(name)*=UTF-8''\(encoded)"
        }
        let tspecials = Set("()<>@,;:\\\"/[]?= \t".unicodeScalars)
        if !value.isEmpty && !value.unicodeScalars.contains(where: { tspecials.contains($0) }) {
            return "; \(name)=\(value)"
        }
        let escaped = value.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"")
        return "; \(name)=\"\(escaped)\""
    }
}

/// One body part (RFC 2045, RFC 2046): text, binary data, or a multipart of further parts.
public struct MIMEPart: Sendable, Hashable {
    /// What the part holds.
    public indirect enum Content: Sendable, Hashable {
        /// UTF-8 text of type `text/<subtype>`, sent quoted-printable (7-bit, readable).
        case text(subtype: String, text: String)
        /// Octets of type `<type>`, sent base64.
        case data(type: String, bytes: [UInt8])
        /// `multipart/<subtype>` (mixed, alternative, related) of the given parts (RFC 2046 §5.1).
        case multipart(subtype: String, parts: [MIMEPart])
    }

    public var content: Content
    /// Extra Content-Type parameters (`method=REQUEST` for text/calendar; charset is added for text).
    public var parameters: [MIMEParameter]
    /// `inline` or `attachment` with a file name (RFC 2183), or none.
    public var disposition: Disposition?

    /// Content-Disposition (RFC 2183).
    public struct Disposition: Sendable, Hashable {
        public var isAttachment: Bool
        public var filename: String?

        public init(isAttachment: Bool, filename: String?) {
            self.isAttachment = isAttachment
            self.filename = filename
        }
    }

    public init(content: Content, parameters: [MIMEParameter] = [], disposition: Disposition? = nil) {
        self.content = content
        self.parameters = parameters
        self.disposition = disposition
    }

    /// `text/plain; charset=UTF-8`.
    public static func plainText(_ text: String) -> MIMEPart { MIMEPart(content: .text(subtype: "plain", text: text)) }
    /// `text/html; charset=UTF-8`.
    public static func html(_ html: String) -> MIMEPart { MIMEPart(content: .text(subtype: "html", text: html)) }
    /// `multipart/alternative`: the same content in several forms, simplest first (RFC 2046 §5.1.4).
    public static func alternative(_ parts: [MIMEPart]) -> MIMEPart {
        MIMEPart(content: .multipart(subtype: "alternative", parts: parts))
    }
    /// `multipart/mixed`: a body followed by attachments (RFC 2046 §5.1.3).
    public static func mixed(_ parts: [MIMEPart]) -> MIMEPart {
        MIMEPart(content: .multipart(subtype: "mixed", parts: parts))
    }
    /// A file attachment, base64.
    public static func attachment(_ bytes: [UInt8], type: String, filename: String,
        parameters: [MIMEParameter] = []) -> MIMEPart
    {
        MIMEPart(content: .data(type: type, bytes: bytes), parameters: parameters + [MIMEParameter("name", filename)],
            disposition: Disposition(isAttachment: true, filename: filename))
    }

    /// The part's header fields and body, CRLF line ends; the body's last line has no line break of its own. `boundaries` yields a fresh boundary per multipart.
    func render(boundaries: inout some RandomNumberGenerator) -> String {
        var headers = ""
        var body = ""
        let parameterText = parameters.map(\.rendered).joined()
        switch content {
        case .text(let subtype, let text):
            headers += HeaderText.field("Content-Type", "text/\(subtype); charset=UTF-8" + parameterText)
            headers += "Content-Transfer-Encoding: quoted-printable\r\n"
            body = QuotedPrintable.encode(text)
        case .data(let type, let bytes):
            headers += HeaderText.field("Content-Type", type + parameterText)
            headers += "Content-Transfer-Encoding: base64\r\n"
            body = Base64.encodeLines(bytes).split(separator: "\r\n").joined(separator: "\r\n")
        case .multipart(let subtype, let parts):
            let boundary = MIMEPart.makeBoundary(using: &boundaries)
            headers += HeaderText.field("Content-Type",
                "multipart/\(subtype)" + MIMEParameter("boundary", boundary).rendered + parameterText)
            // The CRLF before each delimiter belongs to the delimiter (RFC 2046 §5.1.1), so a part's own final
            // line break survives.
            for part in parts {
                body += "--\(boundary)\r\n" + part.render(boundaries: &boundaries) + "\r\n"
            }
            body += "--\(boundary)--\r\n"
        }
        if let disposition {
            var value = disposition.isAttachment ? "attachment" : "inline"
            if let filename = disposition.filename { value += MIMEParameter("filename", filename).rendered }
            headers += HeaderText.field("Content-Disposition", value)
        }
        return headers + "\r\n" + body
    }

    /// `=_` and 32 hex digits: `=_` never occurs in quoted-printable or base64 bodies (RFC 2046 §5.1.1 asks for a
    /// boundary that cannot appear in the encapsulated parts).
    static func makeBoundary(using generator: inout some RandomNumberGenerator) -> String {
        let high = generator.next(), low = generator.next()
        return "=_" + String(high, radix: 16).leftPadded(to: 16) + String(low, radix: 16).leftPadded(to: 16)
    }
}

extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }

    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
