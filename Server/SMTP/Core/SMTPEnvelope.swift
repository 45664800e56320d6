/// The envelope of one message (RFC 5321 §2.3.1): the reverse path and the forward paths, apart from the
/// header fields in the message itself (Bcc recipients appear here only).
public struct SMTPEnvelope: Sendable, Hashable {
    /// The MAIL FROM address (bounces go here); empty means the null reverse path `<>`.
    public var sender: String
    /// The RCPT TO addresses, in order; one RCPT per address.
    public var recipients: [String]

    public init(sender: String, recipients: [String]) {
        self.sender = sender
        self.recipients = recipients
    }
}

/// What the server answered to one RCPT TO.
public struct SMTPRecipientResult: Sendable, Hashable {
    public var address: String
    public var reply: SMTPReply

    public init(address: String, reply: SMTPReply) {
        self.address = address
        self.reply = reply
    }

    /// 250/251: the server takes responsibility for this recipient.
    public var isAccepted: Bool { reply.isPositiveCompletion }
    /// 4yz: the recipient may be accepted later; the outbox should retry it.
    public var isTransientFailure: Bool { reply.isTransientNegative }
}

/// The outcome of a successful transaction: the message was accepted for at least one recipient.
public struct SMTPDeliveryReport: Sendable, Hashable {
    /// Every recipient's RCPT reply, in envelope order; some may have failed (retry the transient ones).
    public var recipients: [SMTPRecipientResult]
    /// The reply to the end of DATA (often carries the server's queue id).
    public var dataReply: SMTPReply
    /// The server that accepted it (`host:port`), filled in by the driver.
    public var server: String

    public init(recipients: [SMTPRecipientResult], dataReply: SMTPReply, server: String = "") {
        self.recipients = recipients
        self.dataReply = dataReply
        self.server = server
    }

    public var accepted: [String] { recipients.filter(\.isAccepted).map(\.address) }
    /// Refused recipients whose refusal was transient (4yz).
    public var transientlyRejected: [String] { recipients.filter(\.isTransientFailure).map(\.address) }
    /// Refused recipients whose refusal was permanent (5yz).
    public var permanentlyRejected: [String] {
        recipients.filter { $0.reply.isPermanentNegative }.map(\.address)
    }
}
