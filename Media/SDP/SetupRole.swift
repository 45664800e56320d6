/// `a=setup`: which side opens the DTLS (or TCP) connection (RFC 4145 §4, RFC 8842 §5.1).
///
/// JSEP offers `actpass`; the answerer picks `active` (RFC 8842 §5.3) or `passive`.
public enum SetupRole: String, Hashable, Sendable, CaseIterable {
    /// Will initiate the connection (DTLS client).
    case active
    /// Will accept the connection (DTLS server).
    case passive
    /// Either; the answer decides.
    case actpass
    /// Does not want a connection now.
    case holdconn
}
