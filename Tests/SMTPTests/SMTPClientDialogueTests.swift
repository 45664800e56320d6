import SMTP
import Testing

/// The sans-IO dialogue driven by scripted server replies: what it sends, and what it concludes.
@Suite("SMTP client dialogue (RFC 5321, 3207, 4954)")
struct SMTPClientDialogueTests {
    static let envelope = SMTPEnvelope(sender: "m@example.org", recipients: ["a@example.net", "b@example.net"])
    static let message = Array("Subject: hi\n\n.dot\nbody\n".utf8)

    /// Feeds replies one by one and records every output as text ("STARTTLS!" for a TLS request, "CLOSE").
    static func run(_ dialogue: inout SMTPClientDialogue, _ replies: [String], tlsAfterStartTLS: Bool = true)
        -> [String]
    {
        var log: [String] = []
        func drain() {
            while let output = dialogue.pollOutput() {
                switch output {
                case .send(let bytes): log.append(String(decoding: bytes, as: UTF8.self))
                case .startTLS:
                    log.append("STARTTLS!")
                    if tlsAfterStartTLS { dialogue.handleTLSEstablished(); drain() }
                case .close: log.append("CLOSE")
                }
            }
        }
        var parser = SMTPReplyParser()
        for text in replies {
            parser.append(Array((text + "\r\n").utf8))
            while let reply = try? parser.nextReply() {
                dialogue.handleReply(reply)
                drain()
            }
        }
        return log
    }

    static func dialogue(_ security: SMTPTransportSecurity = .plain, credentials: SMTPCredentials? = nil,
        plaintextAuth: Bool = false, message: [UInt8] = message, envelope: SMTPEnvelope = envelope)
        -> SMTPClientDialogue
    {
        SMTPClientDialogue(configuration: SMTPDialogueConfiguration(clientName: "client.example.org",
            security: security, credentials: credentials, allowsAuthenticationWithoutTLS: plaintextAuth),
            envelope: envelope, message: message, tlsActive: security == .implicitTLS)
    }

    @Test("STARTTLS, a fresh EHLO, AUTH PLAIN, SIZE, two RCPTs, DATA dot-stuffed, QUIT")
    func fullDialogue() throws {
        var dialogue = Self.dialogue(.startTLS, credentials: SMTPCredentials(username: "u", password: "p"))
        let log = Self.run(&dialogue, [
            "220 mx ESMTP",
            "250-mx\r\n250-STARTTLS\r\n250 SIZE 100000",
            "220 go ahead",
            "250-mx\r\n250-AUTH LOGIN PLAIN\r\n250-SIZE 100000\r\n250 8BITMIME",
            "235 ok", "250 sender ok", "250 a ok", "250 b ok", "354 go", "250 queued", "221 bye",
        ])
        #expect(log == [
            "EHLO client.example.org\r\n", "STARTTLS\r\n", "STARTTLS!", "EHLO client.example.org\r\n",
            "AUTH PLAIN AHUAcA==\r\n", "MAIL FROM:<m@example.org> SIZE=27\r\n", "RCPT TO:<a@example.net>\r\n",
            "RCPT TO:<b@example.net>\r\n", "DATA\r\n", "Subject: hi\r\n\r\n..dot\r\nbody\r\n.\r\n", "QUIT\r\n",
            "CLOSE",
        ])
        let report = try #require(try dialogue.outcome?.get())
        #expect(report.accepted == ["a@example.net", "b@example.net"])
        #expect(dialogue.isFinished)
        #expect(dialogue.tlsActive)
    }

    @Test("EHLO refused with 5yz: HELO, and no extension is used")
    func heloFallback() throws {
        var dialogue = Self.dialogue()
        let log = Self.run(&dialogue, ["220 old", "502 what?", "250 hello", "250 ok", "250 ok", "250 ok", "354 go",
            "250 ok", "221 bye"])
        #expect(Array(log.prefix(3)) == ["EHLO client.example.org\r\n", "HELO client.example.org\r\n",
            "MAIL FROM:<m@example.org>\r\n"])
        #expect(try dialogue.outcome?.get().accepted.count == 2)
    }

    @Test("AUTH LOGIN when PLAIN is not offered (over implicit TLS)")
    func authLogin() throws {
        var dialogue = Self.dialogue(.implicitTLS, credentials: SMTPCredentials(username: "user", password: "pw"))
        let log = Self.run(&dialogue, ["220 tls", "250-mx\r\n250 AUTH LOGIN", "334 VXNlcm5hbWU6",
            "334 UGFzc3dvcmQ6", "235 ok"])
        #expect(Array(log.suffix(4)) == ["AUTH LOGIN\r\n", "dXNlcg==\r\n", "cHc=\r\n", "MAIL FROM:<m@example.org>\r\n"])
    }

    @Test("535 is a permanent AUTH failure, 454 a transient one", arguments: [(535, false), (454, true)])
    func authFailure(code: Int, transient: Bool) throws {
        var dialogue = Self.dialogue(.implicitTLS, credentials: SMTPCredentials(username: "u", password: "p"))
        let log = Self.run(&dialogue, ["220 tls", "250-mx\r\n250 AUTH PLAIN", "\(code) no", "221 bye"])
        #expect(Array(log.suffix(2)) == ["QUIT\r\n", "CLOSE"])
        let error = try #require(Self.failure(dialogue))
        #expect(error.code == .authenticationFailed)
        #expect(error.isTransient == transient)
    }

    @Test("No password over plaintext unless allowed")
    func noPlaintextPassword() throws {
        var dialogue = Self.dialogue(.plain, credentials: SMTPCredentials(username: "u", password: "p"))
        let log = Self.run(&dialogue, ["220 x", "250-mx\r\n250 AUTH PLAIN"])
        #expect(!log.contains { $0.hasPrefix("AUTH") })
        #expect(Self.failure(dialogue)?.code == .authenticationUnavailable)

        var allowed = Self.dialogue(.plain, credentials: SMTPCredentials(username: "u", password: "p"),
            plaintextAuth: true)
        #expect(Self.run(&allowed, ["220 x", "250-mx\r\n250 AUTH PLAIN"]).last == "AUTH PLAIN AHUAcA==\r\n")
    }

    @Test("SIZE limit exceeded: refused before MAIL, permanent for this server")
    func sizeLimit() throws {
        var dialogue = Self.dialogue()
        let log = Self.run(&dialogue, ["220 x", "250-mx\r\n250 SIZE 10"])
        #expect(!log.contains { $0.hasPrefix("MAIL") })
        let error = try #require(Self.failure(dialogue))
        #expect(error.code == .messageTooLarge)
        #expect(!error.isTransient && error.triesNextServer)
    }

    @Test("8-bit octets: BODY=8BITMIME when offered, refused when not")
    func eightBit() throws {
        let message = Array("Subject: é\r\n\r\nx\r\n".utf8)
        var with = Self.dialogue(message: message)
        #expect(Self.run(&with, ["220 x", "250-mx\r\n250 8BITMIME"]).last == "MAIL FROM:<m@example.org> BODY=8BITMIME\r\n")
        var without = Self.dialogue(message: message)
        _ = Self.run(&without, ["220 x", "250 mx"])
        #expect(Self.failure(without)?.code == .eightBitUnsupported)
    }

    @Test("Addresses with CR/LF or angle brackets are refused before anything is sent for them")
    func addressInjection() {
        for bad in ["a@b.c>\r\nRCPT TO:<evil@x.y", "x\n@y.z", "no-at-sign", "<a@b.c>"] {
            var dialogue = Self.dialogue(envelope: SMTPEnvelope(sender: "m@example.org", recipients: [bad]))
            let log = Self.run(&dialogue, ["220 x", "250 mx"])
            #expect(!log.contains { $0.hasPrefix("MAIL") || $0.hasPrefix("RCPT") })
            #expect(Self.failure(dialogue)?.code == .invalidAddress)
        }
    }

    @Test("421 at any step ends the dialogue without QUIT, transient")
    func serviceClosing() {
        var dialogue = Self.dialogue()
        let log = Self.run(&dialogue, ["220 x", "250 mx", "421 shutting down"])
        #expect(log.last == "CLOSE")
        #expect(!log.contains("QUIT\r\n"))
        #expect(Self.failure(dialogue)?.isTransient == true)
    }

    @Test("4yz to DATA's end is transient and keeps the per-recipient answers")
    func dataRejected() {
        var dialogue = Self.dialogue()
        _ = Self.run(&dialogue, ["220 x", "250 mx", "250 ok", "250 ok", "550 no b", "354 go", "452 full"])
        let error = Self.failure(dialogue)
        #expect(error?.isTransient == true)
        #expect(error?.recipients.map(\.reply.code) == [250, 550])
    }

    @Test("STARTTLS required, not offered; offered only opportunistically")
    func startTLSPolicy() {
        var required = Self.dialogue(.startTLS)
        _ = Self.run(&required, ["220 x", "250 mx"])
        #expect(Self.failure(required)?.code == .startTLSUnavailable)
        var opportunistic = Self.dialogue(.startTLSIfAvailable)
        #expect(Self.run(&opportunistic, ["220 x", "250 mx"]).last == "MAIL FROM:<m@example.org>\r\n")
    }

    @Test("Timeouts, lost connections and garbage end the dialogue as transient failures")
    func abnormalEnds() {
        var timedOut = Self.dialogue()
        timedOut.handleTimeout()
        #expect(timedOut.pollOutput() == .close)
        #expect(Self.failure(timedOut)?.code == .timeout)
        var closed = Self.dialogue()
        closed.handleConnectionClosed()
        #expect(Self.failure(closed)?.code == .connectionClosed)
        var garbage = Self.dialogue()
        garbage.handleMalformedReply(.badCode(line: "HTTP/1.1 400"))
        #expect(Self.failure(garbage)?.code == .malformedReply)
        #expect(Self.failure(garbage)?.isTransient == true)
    }

    @Test("Back-off doubles up to its maximum")
    func backoff() {
        let policy = SMTPRetryPolicy(rounds: 5, initialBackoff: .seconds(1), maximumBackoff: .seconds(5))
        #expect((0..<5).map { policy.backoff(afterRound: $0) } == [.seconds(1), .seconds(2), .seconds(4), .seconds(5),
            .seconds(5)])
    }

    @Test("Repeatable --mail* flags pair up by position")
    func flags() throws {
        let servers = try SMTPServerConfiguration.fromFlags(servers: ["a.example", "b.example"], ports: [465, 587],
            usernames: ["ua"], passwords: ["pa"], froms: ["m@example.org"])
        #expect(servers.map(\.security) == [.implicitTLS, .startTLS])
        #expect(servers.map(\.from) == ["m@example.org", "m@example.org"])
        #expect(servers.map(\.credentials) == [SMTPCredentials(username: "ua", password: "pa"),
            SMTPCredentials(username: "ua", password: "pa")])
        #expect(throws: SMTPError.self) {
            try SMTPServerConfiguration.fromFlags(servers: ["a", "b", "c"], ports: [1, 2], usernames: [],
                passwords: [], froms: ["m@x.y"])
        }
        #expect(throws: SMTPError.self) {
            try SMTPServerConfiguration.fromFlags(servers: ["a"], ports: [], usernames: [], passwords: [], froms: [])
        }
    }

    @Test("Dot-stuffing and CRLF normalization round-trip for random text")
    func dataEncodingProperty() {
        var random = SplitMix64(seed: 99)
        let alphabet = Array(".\r\na ".utf8)
        for _ in 0..<1000 {
            let message = (0..<Int(random.next() % 60)).map { _ in alphabet[Int(random.next() % 5)] }
            let encoded = SMTPDataEncoding.encode(message)
            #expect(SMTPDataEncoding.decode(encoded) == SMTPDataEncoding.normalizeLineEndings(message))
            // decode stops at the first lone "." line, so equality also proves no early terminator.
            #expect(String(decoding: encoded, as: UTF8.self).hasSuffix("\r\n.\r\n"))
        }
    }

    static func failure(_ dialogue: SMTPClientDialogue) -> SMTPError? {
        if case .failure(let error) = dialogue.outcome { return error }
        return nil
    }
}
