/// A mailbox as a header shows it (RFC 5322 §3.4): an optional display name and an address.
public struct MailAddress: Sendable, Hashable {
    /// The display name; may contain any Unicode (rendered as RFC 2047 encoded words when not ASCII).
    public var name: String?
    /// `local@domain`.
    public var address: String

    public init(name: String? = nil, address: String) {
        self.name = name
        self.address = address
    }

    /// The domain part of the address (after the last `@`), or `nil`.
    public var domain: String? {
        guard let at = address.lastIndex(of: "@") else { return nil }
        let domain = address[address.index(after: at)...]
        return domain.isEmpty ? nil : String(domain)
    }

    /// `Name <local@domain>`, with the name as a quoted string or encoded words as needed, or the bare address.
    public var headerValue: String {
        let address = HeaderText.stripLineBreaks(self.address)
        guard let name = name.map(HeaderText.stripLineBreaks), !name.isEmpty else { return address }
        return "\(HeaderText.phrase(name)) <\(address)>"
    }
}
