/// Why a delivery attempt failed, with what the outbox needs to decide: ``isTransient`` (retry later) and
/// ``triesNextServer`` (another configured server may succeed now).
///
/// `code` is stable (for logs, metrics and tests); `message` is for people and includes the server's reply text.
public struct SMTPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure, stable across releases.
    public enum Code: String, Sendable, Hashable {
        /// TCP connect failed (refused, unreachable, name not resolved). Transient.
        case connectionFailed = "smtp.connection_failed"
        /// The server closed the connection before the dialogue ended. Transient.
        case connectionClosed = "smtp.connection_closed"
        /// No reply within the configured time. Transient.
        case timeout = "smtp.timeout"
        /// The TLS handshake or certificate verification failed. Transient for the message; next server.
        case tlsFailed = "smtp.tls_failed"
        /// STARTTLS is required but the server does not offer it (RFC 3207 §4). Next server.
        case startTLSUnavailable = "smtp.starttls_unavailable"
        /// Credentials are configured but the server offers neither PLAIN nor LOGIN (or only on plaintext). Next server.
        case authenticationUnavailable = "smtp.auth_unavailable"
        /// The server refused the credentials: 535 is permanent, 454 transient (RFC 4954 §6).
        case authenticationFailed = "smtp.auth_failed"
        /// The message exceeds the server's SIZE limit (RFC 1870). Next server.
        case messageTooLarge = "smtp.message_too_large"
        /// The message has 8-bit octets and the server lacks 8BITMIME (RFC 6152).
        case eightBitUnsupported = "smtp.8bit_unsupported"
        /// A sender or recipient address is unusable (CR, LF, angle brackets, non-ASCII without SMTPUTF8).
        case invalidAddress = "smtp.invalid_address"
        /// The server answered a command with a failure code; 4yz transient, 5yz permanent.
        case rejected = "smtp.rejected"
        /// Every recipient was refused; transient if any refusal was 4yz.
        case allRecipientsRejected = "smtp.all_recipients_rejected"
        /// The server's bytes are not SMTP replies.
        case malformedReply = "smtp.malformed_reply"
        /// No server is configured.
        case noServers = "smtp.no_servers"
    }

    public var code: Code
    /// What happened, for people: includes the server, stage and reply text.
    public var message: String
    /// `true` when the same message may be delivered later (4yz, connection, TLS, timeout); `false` for 5yz and
    /// for our own bad input.
    public var isTransient: Bool
    /// The reply that caused the failure, if a reply did.
    public var reply: SMTPReply?
    /// Per-recipient outcomes when the failure came after RCPT TO.
    public var recipients: [SMTPRecipientResult]

    public init(_ code: Code, _ message: String, transient: Bool, reply: SMTPReply? = nil,
        recipients: [SMTPRecipientResult] = [])
    {
        self.code = code
        self.message = message
        self.isTransient = transient
        self.reply = reply
        self.recipients = recipients
    }

    /// Whether trying the next configured server makes sense now: every transient failure, plus permanent ones
    /// that belong to this server rather than to the message (its TLS, AUTH, SIZE or 8BITMIME support, our
    /// credentials for it).
    public var triesNextServer: Bool {
        if isTransient { return true }
        switch code {
        case .startTLSUnavailable, .authenticationUnavailable, .authenticationFailed, .messageTooLarge,
            .eightBitUnsupported, .tlsFailed:
            return true
        default:
            return false
        }
    }

    /// A failure reply to a command: transient for 4yz, permanent for 5yz (RFC 5321 §4.2.1).
    static func rejected(_ reply: SMTPReply, stage: String) -> SMTPError {
        SMTPError(.rejected, "\(stage) refused: \(reply)", transient: !reply.isPermanentNegative, reply: reply)
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
