/// Why obtaining or renewing a certificate failed, with a stable ``code`` and a message that says what happened
/// and, where it helps, what to fix. ACME problem documents (RFC 8555 §6.7, RFC 7807) keep their `type`.
public struct ACMEError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The ACME server could not be reached or answered with something that is not HTTP.
        case transport = "acme.transport"
        /// The server answered with a problem document (RFC 8555 §6.7); see ``problemType``.
        case problem = "acme.problem"
        /// The server's answer lacks something RFC 8555 requires (a nonce, a Location, a field).
        case malformedResponse = "acme.malformed_response"
        /// The challenge or the order became invalid (the CA could not validate the domain).
        case validationFailed = "acme.validation_failed"
        /// The order or authorization did not settle within the time allowed.
        case timeout = "acme.timeout"
        /// Key generation, signing, CSR or certificate parsing in OpenSSL failed.
        case crypto = "acme.crypto"
        /// Reading or writing the cache directory failed.
        case storage = "acme.storage"
        /// Bad settings (no domain, bad directory URL, unreadable CA file).
        case configuration = "acme.configuration"
    }

    public var code: Code
    public var message: String
    /// The problem document's `type` (`urn:ietf:params:acme:error:badNonce` …), when there was one.
    public var problemType: String?

    public init(_ code: Code, _ message: String, problemType: String? = nil) {
        self.code = code
        self.message = message
        self.problemType = problemType
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
