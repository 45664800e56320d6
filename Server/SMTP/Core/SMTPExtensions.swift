/// The service extensions a server announced in its EHLO reply (RFC 5321 §4.1.1.1): every line after the first
/// is a keyword and its parameters. Keywords are compared case-insensitively.
public struct SMTPExtensions: Sendable, Hashable {
    /// Upper-cased keyword → its parameters as sent.
    public var keywords: [String: [String]]

    public init(keywords: [String: [String]] = [:]) {
        self.keywords = keywords
    }

    /// Reads the extension lines of a 250 reply to EHLO (the first line is the server's greeting, skipped).
    public init(ehloReply reply: SMTPReply) {
        var keywords: [String: [String]] = [:]
        for line in reply.lines.dropFirst() {
            let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard let keyword = words.first else { continue }
            keywords[keyword.uppercased()] = Array(words.dropFirst())
        }
        self.keywords = keywords
    }

    public func supports(_ keyword: String) -> Bool { keywords[keyword.uppercased()] != nil }

    /// RFC 3207: the server accepts STARTTLS.
    public var startTLS: Bool { supports("STARTTLS") }
    /// RFC 6152: the server accepts `BODY=8BITMIME`.
    public var eightBitMIME: Bool { supports("8BITMIME") }
    /// RFC 6531: the server accepts non-ASCII addresses with `SMTPUTF8`.
    public var smtpUTF8: Bool { supports("SMTPUTF8") }
    /// RFC 4954: the SASL mechanisms offered, upper-cased.
    public var authenticationMechanisms: Set<String> { Set((keywords["AUTH"] ?? []).map { $0.uppercased() }) }

    /// RFC 1870: `nil` when SIZE is not announced, 0 when it is announced without a limit, else the limit in octets.
    public var sizeLimit: Int? {
        guard let parameters = keywords["SIZE"] else { return nil }
        guard let first = parameters.first else { return 0 }
        return Int(first) ?? 0
    }
}
