import Foundation

/// How the connection to a server is protected.
public enum SMTPTransportSecurity: String, Sendable, Hashable, CaseIterable {
    /// Plain TCP; credentials are refused unless explicitly allowed (only sensible on loopback).
    case plain
    /// STARTTLS is required (RFC 3207); a server that does not offer it is skipped. Port 587.
    case startTLS
    /// STARTTLS when offered, otherwise plain (opportunistic; for relays on a trusted network).
    case startTLSIfAvailable
    /// TLS from the first byte (RFC 8314 §3.3, "submissions", port 465).
    case implicitTLS
}

/// A user name and password for SMTP AUTH (RFC 4954) with PLAIN (RFC 4616) or LOGIN.
public struct SMTPCredentials: Sendable, Hashable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

/// The parts of a server's configuration the dialogue needs.
public struct SMTPDialogueConfiguration: Sendable, Hashable {
    /// The domain (or address literal) we announce in EHLO/HELO (RFC 5321 §4.1.1.1).
    public var clientName: String
    public var security: SMTPTransportSecurity
    /// Credentials for AUTH; `nil` sends without authenticating.
    public var credentials: SMTPCredentials?
    /// Allows AUTH over an unencrypted connection. Off by default: PLAIN and LOGIN send the password in the clear.
    public var allowsAuthenticationWithoutTLS: Bool

    public init(clientName: String, security: SMTPTransportSecurity, credentials: SMTPCredentials? = nil,
        allowsAuthenticationWithoutTLS: Bool = false)
    {
        self.clientName = clientName
        self.security = security
        self.credentials = credentials
        self.allowsAuthenticationWithoutTLS = allowsAuthenticationWithoutTLS
    }
}

/// The client side of one SMTP transaction as a sans-IO state machine (RFC 5321 §3, §4.1): replies in,
/// commands out. It holds no socket, clock or TLS; its driver feeds it parsed replies, performs the TLS handshake
/// when asked, and reports timeouts and closed connections.
///
/// Dialogue: greeting 220 → EHLO (HELO when EHLO is not recognized, §4.1.4) → STARTTLS and a fresh EHLO after the
/// handshake (RFC 3207 §4.2: the extensions learned before TLS are discarded) → AUTH PLAIN or LOGIN → MAIL FROM
/// with SIZE and BODY=8BITMIME when relevant → one RCPT TO per recipient, each reply kept → DATA with the
/// dot-stuffed message → QUIT. Any failure sets ``outcome`` and ends with QUIT (when the connection is still
/// usable) and ``Output/close``.
public struct SMTPClientDialogue: Sendable {
    /// What the driver must do next.
    public enum Output: Sendable, Hashable {
        /// Write these bytes.
        case send([UInt8])
        /// Start a TLS handshake as client on this connection, then call ``handleTLSEstablished()``.
        case startTLS
        /// Close the connection; the dialogue is over (read ``outcome``).
        case close
    }

    enum State: Sendable, Hashable {
        case awaitingGreeting
        case awaitingEHLO
        case awaitingHELO
        case awaitingStartTLS
        case tlsHandshake
        case awaitingAuthPlain
        case awaitingAuthLoginUsername
        case awaitingAuthLoginPassword
        case awaitingAuthLoginResult
        case awaitingMail
        case awaitingRecipient(index: Int)
        case awaitingDataGo
        case awaitingDataResult
        case awaitingQuit
        case closed
    }

    public let configuration: SMTPDialogueConfiguration
    public let envelope: SMTPEnvelope
    let message: [UInt8]

    private(set) var state: State = .awaitingGreeting
    /// Whether the connection is TLS-protected now (implicit TLS from the start, or after STARTTLS).
    public private(set) var tlsActive: Bool
    /// The extensions of the latest EHLO reply (empty after HELO and right after STARTTLS).
    public private(set) var extensions = SMTPExtensions()
    private var recipientResults: [SMTPRecipientResult] = []
    private var outputs: [Output] = []
    /// `nil` while the dialogue runs; then the delivery report or the failure.
    public private(set) var outcome: Result<SMTPDeliveryReport, SMTPError>?

    /// - Parameters:
    ///   - message: the whole RFC 5322 message (headers and body); line ends are normalized to CRLF here.
    ///   - tlsActive: `true` when the driver already runs TLS (implicit TLS).
    public init(configuration: SMTPDialogueConfiguration, envelope: SMTPEnvelope, message: [UInt8],
        tlsActive: Bool = false)
    {
        self.configuration = configuration
        self.envelope = envelope
        self.message = SMTPDataEncoding.normalizeLineEndings(message)
        self.tlsActive = tlsActive
    }

    /// Whether the dialogue is over (``outcome`` is set and ``Output/close`` was emitted).
    public var isFinished: Bool { state == .closed }

    /// A short name of the current step, for timeouts and logs.
    public var stage: String {
        switch state {
        case .awaitingGreeting: "greeting"
        case .awaitingEHLO: "EHLO"
        case .awaitingHELO: "HELO"
        case .awaitingStartTLS: "STARTTLS"
        case .tlsHandshake: "TLS handshake"
        case .awaitingAuthPlain, .awaitingAuthLoginUsername, .awaitingAuthLoginPassword, .awaitingAuthLoginResult:
            "AUTH"
        case .awaitingMail: "MAIL FROM"
        case .awaitingRecipient: "RCPT TO"
        case .awaitingDataGo: "DATA"
        case .awaitingDataResult: "end of data"
        case .awaitingQuit: "QUIT"
        case .closed: "closed"
        }
    }

    /// The next thing to do, or `nil` when the dialogue waits for input.
    public mutating func pollOutput() -> Output? {
        outputs.isEmpty ? nil : outputs.removeFirst()
    }

    // MARK: Inputs

    /// A complete reply from the server.
    public mutating func handleReply(_ reply: SMTPReply) {
        // 421 may come at any time: the server is shutting the channel (RFC 5321 §3.8); no QUIT.
        if reply.code == 421, state != .awaitingQuit, state != .closed {
            fail(SMTPError(.rejected, "server closing the channel during \(stage): \(reply)", transient: true,
                reply: reply, recipients: recipientResults), quit: false)
            return
        }
        switch state {
        case .awaitingGreeting:
            guard reply.code == 220 else { return fail(.rejected(reply, stage: "greeting")) }
            sendEHLO()
        case .awaitingEHLO:
            if reply.isPositiveCompletion {
                extensions = SMTPExtensions(ehloReply: reply)
                afterHello()
            } else if reply.isPermanentNegative && !tlsActive {
                // §4.1.4: a server that does not know EHLO answers 5yz; fall back to HELO (no extensions).
                state = .awaitingHELO
                send("HELO \(configuration.clientName)")
            } else {
                fail(.rejected(reply, stage: "EHLO"))
            }
        case .awaitingHELO:
            guard reply.isPositiveCompletion else { return fail(.rejected(reply, stage: "HELO")) }
            extensions = SMTPExtensions()
            afterHello()
        case .awaitingStartTLS:
            guard reply.code == 220 else {
                if configuration.security == .startTLSIfAvailable && reply.isPermanentNegative {
                    return afterSecurity()
                }
                return fail(SMTPError(.startTLSUnavailable, "STARTTLS refused: \(reply)",
                    transient: reply.isTransientNegative, reply: reply))
            }
            state = .tlsHandshake
            outputs.append(.startTLS)
        case .tlsHandshake:
            // RFC 3207 §5: nothing may be read between 220 and the handshake; a reply here is a protocol error.
            fail(SMTPError(.malformedReply, "reply before the TLS handshake: \(reply)", transient: true), quit: false)
        case .awaitingAuthPlain:
            if reply.code == 334 {
                // The server did not take the initial response (RFC 4954 §4): send it as the answer.
                send(plainResponse())
            } else {
                authenticationFinished(reply)
            }
        case .awaitingAuthLoginUsername:
            guard reply.code == 334 else { return authenticationFinished(reply) }
            state = .awaitingAuthLoginPassword
            send(Self.base64(Array((configuration.credentials?.username ?? "").utf8)))
        case .awaitingAuthLoginPassword:
            guard reply.code == 334 else { return authenticationFinished(reply) }
            state = .awaitingAuthLoginResult
            send(Self.base64(Array((configuration.credentials?.password ?? "").utf8)))
        case .awaitingAuthLoginResult:
            authenticationFinished(reply)
        case .awaitingMail:
            guard reply.isPositiveCompletion else { return fail(.rejected(reply, stage: "MAIL FROM")) }
            sendRecipient(0)
        case .awaitingRecipient(let index):
            recipientResults.append(SMTPRecipientResult(address: envelope.recipients[index], reply: reply))
            if index + 1 < envelope.recipients.count {
                sendRecipient(index + 1)
            } else if recipientResults.contains(where: \.isAccepted) {
                state = .awaitingDataGo
                send("DATA")
            } else {
                let transient = recipientResults.contains(where: \.isTransientFailure)
                let summary = recipientResults.map { "\($0.address): \($0.reply)" }.joined(separator: "; ")
                fail(SMTPError(.allRecipientsRejected, "every recipient refused: \(summary)", transient: transient,
                    reply: reply, recipients: recipientResults))
            }
        case .awaitingDataGo:
            guard reply.code == 354 else { return fail(.rejected(reply, stage: "DATA")) }
            state = .awaitingDataResult
            outputs.append(.send(SMTPDataEncoding.encode(message)))
        case .awaitingDataResult:
            guard reply.isPositiveCompletion else {
                var error = SMTPError.rejected(reply, stage: "message")
                error.recipients = recipientResults
                return fail(error)
            }
            outcome = .success(SMTPDeliveryReport(recipients: recipientResults, dataReply: reply))
            state = .awaitingQuit
            send("QUIT")
        case .awaitingQuit:
            state = .closed
            outputs.append(.close)
        case .closed:
            break
        }
    }

    /// The TLS handshake asked for by ``Output/startTLS`` succeeded; the dialogue starts over with EHLO.
    public mutating func handleTLSEstablished() {
        guard state == .tlsHandshake else { return }
        tlsActive = true
        extensions = SMTPExtensions()
        sendEHLO()
    }

    /// The driver lost the connection (closed by the server, reset, TLS failure); `reason` says which.
    public mutating func handleConnectionClosed(reason: String? = nil, code: SMTPError.Code = .connectionClosed) {
        switch state {
        case .closed:
            return
        case .awaitingQuit where outcome != nil:
            state = .closed
            return
        default:
            fail(SMTPError(code, "connection lost during \(stage)" + (reason.map { ": \($0)" } ?? ""),
                transient: true, recipients: recipientResults), quit: false)
        }
    }

    /// The server's bytes could not be parsed as replies.
    public mutating func handleMalformedReply(_ error: SMTPReplyParseError) {
        guard state != .closed else { return }
        if state == .awaitingQuit, outcome != nil {
            state = .closed
            outputs.append(.close)
            return
        }
        fail(SMTPError(.malformedReply, "during \(stage): \(error)", transient: true), quit: false)
    }

    /// No reply came in time for the current step (the driver keeps the clock).
    public mutating func handleTimeout() {
        guard state != .closed else { return }
        if state == .awaitingQuit, outcome != nil {
            state = .closed
            outputs.append(.close)
            return
        }
        fail(SMTPError(.timeout, "no reply during \(stage)", transient: true, recipients: recipientResults),
            quit: false)
    }

    // MARK: Steps

    private mutating func sendEHLO() {
        state = .awaitingEHLO
        send("EHLO \(configuration.clientName)")
    }

    private mutating func afterHello() {
        if !tlsActive {
            switch configuration.security {
            case .startTLS, .startTLSIfAvailable:
                if extensions.startTLS {
                    state = .awaitingStartTLS
                    send("STARTTLS")
                    return
                }
                if configuration.security == .startTLS {
                    return fail(SMTPError(.startTLSUnavailable,
                        "the server does not offer STARTTLS, which is required (RFC 3207)", transient: false))
                }
            case .plain, .implicitTLS:
                break
            }
        }
        afterSecurity()
    }

    private mutating func afterSecurity() {
        guard let credentials = configuration.credentials else { return sendMail() }
        guard tlsActive || configuration.allowsAuthenticationWithoutTLS else {
            return fail(SMTPError(.authenticationUnavailable,
                "refusing to send the password for \(credentials.username) without TLS", transient: false))
        }
        let mechanisms = extensions.authenticationMechanisms
        if mechanisms.contains("PLAIN") {
            state = .awaitingAuthPlain
            send("AUTH PLAIN " + plainResponse())
        } else if mechanisms.contains("LOGIN") {
            state = .awaitingAuthLoginUsername
            send("AUTH LOGIN")
        } else {
            let offered = mechanisms.isEmpty ? "none" : mechanisms.sorted().joined(separator: " ")
            fail(SMTPError(.authenticationUnavailable,
                "the server offers no AUTH PLAIN or LOGIN (offered: \(offered))", transient: false))
        }
    }

    private mutating func authenticationFinished(_ reply: SMTPReply) {
        guard reply.code == 235 else {
            let who = configuration.credentials?.username ?? ""
            return fail(SMTPError(.authenticationFailed, "authentication as \(who) refused: \(reply)",
                transient: !reply.isPermanentNegative, reply: reply))
        }
        sendMail()
    }

    private mutating func sendMail() {
        let addresses = [envelope.sender] + envelope.recipients
        for address in addresses {
            if let problem = Self.addressProblem(address, allowEmpty: address == envelope.sender) {
                return fail(SMTPError(.invalidAddress, "\(address.debugDescription): \(problem)", transient: false))
            }
        }
        guard !envelope.recipients.isEmpty else {
            return fail(SMTPError(.invalidAddress, "the envelope has no recipient", transient: false))
        }
        var parameters = ""
        if let limit = extensions.sizeLimit {
            if limit > 0 && message.count > limit {
                return fail(SMTPError(.messageTooLarge,
                    "message of \(message.count) octets exceeds the server's SIZE \(limit) (RFC 1870)",
                    transient: false))
            }
            parameters += " SIZE=\(message.count)"
        }
        if message.contains(where: { $0 >= 0x80 }) {
            guard extensions.eightBitMIME else {
                return fail(SMTPError(.eightBitUnsupported,
                    "the message has 8-bit octets and the server lacks 8BITMIME (RFC 6152)", transient: false))
            }
            parameters += " BODY=8BITMIME"
        }
        if addresses.contains(where: { $0.utf8.contains(where: { $0 >= 0x80 }) }) {
            guard extensions.smtpUTF8 else {
                return fail(SMTPError(.invalidAddress,
                    "a non-ASCII address needs SMTPUTF8 (RFC 6531), which the server does not offer",
                    transient: false))
            }
            parameters += " SMTPUTF8"
        }
        state = .awaitingMail
        send("MAIL FROM:<\(envelope.sender)>" + parameters)
    }

    private mutating func sendRecipient(_ index: Int) {
        state = .awaitingRecipient(index: index)
        send("RCPT TO:<\(envelope.recipients[index])>")
    }

    private mutating func fail(_ error: SMTPError, quit: Bool = true) {
        if outcome == nil { outcome = .failure(error) }
        if quit {
            state = .awaitingQuit
            send("QUIT")
        } else {
            state = .closed
            outputs.append(.close)
        }
    }

    private mutating func send(_ command: String) {
        outputs.append(.send(Array((command + "\r\n").utf8)))
    }

    private func plainResponse() -> String {
        // RFC 4616 §2: [authzid] NUL authcid NUL passwd, base64 in the AUTH command (RFC 4954 §4).
        let credentials = configuration.credentials ?? SMTPCredentials(username: "", password: "")
        return Self.base64([0] + Array(credentials.username.utf8) + [0] + Array(credentials.password.utf8))
    }

    static func base64(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    /// Why an address cannot go into MAIL FROM/RCPT TO as it is: control characters (CR/LF would inject
    /// commands), angle brackets, spaces outside quotes, or no `@`.
    static func addressProblem(_ address: String, allowEmpty: Bool) -> String? {
        if address.isEmpty { return allowEmpty ? nil : "empty address" }
        if address.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "contains control characters"
        }
        if address.contains("<") || address.contains(">") { return "contains angle brackets" }
        if address.contains(" ") && !address.hasPrefix("\"") { return "contains a space" }
        guard let at = address.lastIndex(of: "@"), at != address.startIndex,
            address.index(after: at) != address.endIndex
        else { return "not of the form local@domain" }
        return nil
    }
}
