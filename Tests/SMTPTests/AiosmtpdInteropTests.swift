import TestSupport
import Foundation
import ICalendar
import MIME
import SMTP
import Testing

/// Our SMTP client against aiosmtpd 1.4.6 (PyPI), a server we did not write, on loopback: plain, HELO-only,
/// STARTTLS, implicit TLS, AUTH PLAIN and LOGIN; what arrives is parsed by Python's `email` and `icalendar`.
@Suite("SMTP client against aiosmtpd", .enabled(if: SMTPPeer.shouldRun,
    "needs python3 with aiosmtpd==1.4.6 and icalendar==7.3.0, and openssl (scripts/install-deps.sh test); under CI=true this fails instead"))
struct AiosmtpdInteropTests {
    static let organizer = MailAddress(name: "Zoë Organizer", address: "zoe@example.org")
    static let start: Int64 = 1_795_000_000  // 2026-11-18T11:06:40Z

    static func invitation(method: ICalendarMethod = .request, sequence: Int = 0, to: [MailAddress])
        -> (message: MailMessage, event: ICalendarEvent)
    {
        let event = ICalendarEvent(method: method, uid: ICalendarEvent.uid(meetingID: "m-42", domain: "example.org"),
            sequence: sequence, stamp: start - 3600, start: start, end: start + 1800,
            summary: "Planung für Q1 – Café, Budget; \"Ziele\"",
            description: "Join: https://meet.example.org/j/m-42?p=1234\nAgenda: a, b; c\\d",
            joinURL: "https://meet.example.org/j/m-42?p=1234", organizer: organizer,
            attendees: to.map { ICalendarAttendee(address: $0) })
        let text = "Zoë invites you.\nJoin: https://meet.example.org/j/m-42?p=1234\n"
        var generator = SystemRandomNumberGenerator()
        let message = MailMessage(from: MailAddress(name: "Meeting", address: "meeting@example.org"), to: to,
            subject: method == .cancel ? "Abgesagt: Planung für Q1 – Café" : "Einladung: Planung für Q1 – Café 📅",
            date: start - 3600, messageID: MailMessage.makeMessageID(domain: "example.org", using: &generator),
            body: InvitationMail.body(event: event, text: text))
        return (message, event)
    }

    static func deliver(_ message: MailMessage, to recipients: [String], through server: SMTPServerConfiguration)
        async throws(SMTPError) -> SMTPDeliveryReport
    {
        try await SMTPConnection.deliver(message.render(),
            envelope: SMTPEnvelope(sender: server.from, recipients: recipients), through: server)
    }

    @Test("Plain: an invitation with a non-ASCII subject and an .ics arrives and parses in Python")
    func invitationArrivesAndParses() async throws {
        try await SMTPPeer.withPeer { peer in
            let invitee = MailAddress(name: "Jürgen Müller", address: "juergen@example.net")
            let (message, event) = Self.invitation(to: [invitee])
            let report = try await Self.deliver(message, to: [invitee.address],
                through: peer.server("plain", security: .plain))
            #expect(report.accepted == [invitee.address])
            #expect(report.dataReply.code == 250)
            let received = try peer.onlyMessage()
            #expect(received.envelope["mail_from"] as? String == "meeting@example.org")
            #expect(received.envelope["rcpt_tos"] as? [String] == [invitee.address])
            #expect((received.envelope["mail_options"] as? [String] ?? []).contains { $0.hasPrefix("SIZE=") })

            let parsed = try peer.inspect(received.raw)
            #expect(parsed["subject"] as? String == message.subject)
            #expect(parsed["from"] as? String == "Meeting <meeting@example.org>")
            #expect(parsed["to"] as? String == "Jürgen Müller <juergen@example.net>")
            #expect(parsed["message_id"] as? String == "<\(message.messageID)>")
            #expect(parsed["date_parsed"] as? String == "2026-11-18T10:06:40+00:00")
            #expect(parsed["defects"] as? [String] == [])
            #expect(parsed["eight_bit"] as? Bool == false)
            #expect(parsed["bare_lf"] as? Int == 0)
            #expect((parsed["longest_line"] as? Int ?? 999) <= 78)
            // The decoded payload keeps the wire's CRLF line ends, and its final line break.
            #expect(parsed["text"] as? String == "Zoë invites you.\r\nJoin: https://meet.example.org/j/m-42?p=1234\r\n")
            let types = (parsed["parts"] as? [[String: Any]] ?? []).map { $0["type"] as? String ?? "" }
            #expect(types == ["multipart/mixed", "multipart/alternative", "text/plain", "text/calendar",
                "application/ics"])
            let parts = parsed["parts"] as? [[String: Any]] ?? []
            let calendarPart = try #require(parts.first { $0["type"] as? String == "text/calendar" })
            #expect((calendarPart["params"] as? [String: String])?["method"] == "REQUEST")
            let attachment = try #require(parts.last)
            #expect(attachment["filename"] as? String == "invite.ics")
            #expect(attachment["disposition"] as? String == "attachment")

            let calendars = parsed["calendars"] as? [[String: Any]] ?? []
            #expect(calendars.count == 2)
            for calendar in calendars {
                #expect(calendar["method"] as? String == "REQUEST")
                #expect(calendar["version"] as? String == "2.0")
                let events = calendar["events"] as? [[String: Any]] ?? []
                let parsedEvent = try #require(events.first)
                #expect(events.count == 1)
                #expect(parsedEvent["uid"] as? String == event.uid)
                #expect(parsedEvent["sequence"] as? Int == 0)
                #expect(parsedEvent["summary"] as? String == event.summary)
                #expect(parsedEvent["description"] as? String == event.description)
                #expect(parsedEvent["location"] as? String == event.joinURL)
                #expect(parsedEvent["status"] as? String == "CONFIRMED")
                #expect(parsedEvent["dtstart"] as? String == "2026-11-18T11:06:40+00:00")
                #expect(parsedEvent["dtend"] as? String == "2026-11-18T11:36:40+00:00")
                #expect(parsedEvent["organizer"] as? String == "mailto:zoe@example.org")
                #expect(parsedEvent["organizer_cn"] as? String == "Zoë Organizer")
                let attendees = parsedEvent["attendees"] as? [[String: Any]] ?? []
                #expect(attendees.count == 1)
                #expect(attendees.first?["address"] as? String == "mailto:juergen@example.net")
                #expect(attendees.first?["cn"] as? String == "Jürgen Müller")
                #expect(attendees.first?["partstat"] as? String == "NEEDS-ACTION")
                #expect(attendees.first?["rsvp"] as? String == "TRUE")
            }
        }
    }

    @Test("A cancellation: METHOD:CANCEL, STATUS:CANCELLED, same UID, higher SEQUENCE")
    func cancellation() async throws {
        try await SMTPPeer.withPeer { peer in
            let invitee = MailAddress(address: "bob@example.net")
            let (message, event) = Self.invitation(method: .cancel, sequence: 2, to: [invitee])
            _ = try await Self.deliver(message, to: [invitee.address], through: peer.server("plain", security: .plain))
            let parsed = try peer.inspect(try peer.onlyMessage().raw)
            let calendars = parsed["calendars"] as? [[String: Any]] ?? []
            #expect(calendars.count == 2)
            for calendar in calendars {
                #expect(calendar["method"] as? String == "CANCEL")
                let parsedEvent = try #require((calendar["events"] as? [[String: Any]])?.first)
                #expect(parsedEvent["uid"] as? String == event.uid)
                #expect(parsedEvent["sequence"] as? Int == 2)
                #expect(parsedEvent["status"] as? String == "CANCELLED")
            }
            let attachment = try #require((parsed["parts"] as? [[String: Any]])?.last)
            #expect(attachment["filename"] as? String == "cancel.ics")
        }
    }

    @Test("A server that refuses EHLO gets HELO and the message")
    func heloFallback() async throws {
        try await SMTPPeer.withPeer { peer in
            let (message, _) = Self.invitation(to: [MailAddress(address: "bob@example.net")])
            let report = try await Self.deliver(message, to: ["bob@example.net"],
                through: peer.server("helo_only", security: .plain))
            #expect(report.accepted == ["bob@example.net"])
            let received = try peer.onlyMessage()
            #expect(received.envelope["mail_options"] as? [String] == [])
        }
    }

    @Test("STARTTLS (RFC 3207) with the test CA trusted")
    func startTLS() async throws {
        try await SMTPPeer.withPeer { peer in
            let (message, _) = Self.invitation(to: [MailAddress(address: "bob@example.net")])
            let report = try await Self.deliver(message, to: ["bob@example.net"],
                through: peer.server("starttls", security: .startTLS))
            #expect(report.accepted == ["bob@example.net"])
            #expect(try peer.onlyMessage().envelope["tls"] as? Bool == true)
        }
    }

    @Test("Implicit TLS (RFC 8314)")
    func implicitTLS() async throws {
        try await SMTPPeer.withPeer { peer in
            let (message, _) = Self.invitation(to: [MailAddress(address: "bob@example.net")])
            let report = try await Self.deliver(message, to: ["bob@example.net"],
                through: peer.server("implicit", security: .implicitTLS))
            #expect(report.accepted == ["bob@example.net"])
            #expect(try peer.onlyMessage().envelope["listener"] as? String == "implicit")
        }
    }

    @Test("Certificate verification is on: an untrusted CA fails the TLS handshake, nothing is sent",
        arguments: [("starttls", SMTPTransportSecurity.startTLS), ("implicit", .implicitTLS)])
    func untrustedCertificate(listener: String, security: SMTPTransportSecurity) async throws {
        try await SMTPPeer.withPeer { peer in
            var server = try peer.server(listener, security: security)
            server.trust = .systemDefault
            let (message, _) = Self.invitation(to: [MailAddress(address: "bob@example.net")])
            let error = await #expect(throws: SMTPError.self) {
                try await Self.deliver(message, to: ["bob@example.net"], through: server)
            }
            #expect(error?.code == .tlsFailed, "\(String(describing: error))")
            #expect(error?.triesNextServer == true)
            #expect(try peer.received().isEmpty)
        }
    }

    @Test("STARTTLS required but not offered: a permanent error for this server, next server please")
    func startTLSRequiredButMissing() async throws {
        try await SMTPPeer.withPeer { peer in
            let (message, _) = Self.invitation(to: [MailAddress(address: "bob@example.net")])
            let error = await #expect(throws: SMTPError.self) {
                try await Self.deliver(message, to: ["bob@example.net"],
                    through: peer.server("plain", security: .startTLS))
            }
            #expect(error?.code == .startTLSUnavailable)
            #expect(error?.isTransient == false)
            #expect(error?.triesNextServer == true)
        }
    }

    @Test("AUTH PLAIN after STARTTLS, AUTH LOGIN after STARTTLS, AUTH over implicit TLS",
        arguments: [("auth_starttls", SMTPTransportSecurity.startTLS), ("auth_login", .startTLS),
            ("auth_implicit", .implicitTLS)])
    func authentication(listener: String, security: SMTPTransportSecurity) async throws {
        try await SMTPPeer.withPeer { peer in
            let server = try peer.server(listener, security: security,
                credentials: SMTPCredentials(username: SMTPPeer.user, password: SMTPPeer.password))
            let (message, _) = Self.invitation(to: [MailAddress(address: "bob@example.net")])
            let report = try await Self.deliver(message, to: ["bob@example.net"], through: server)
            #expect(report.accepted == ["bob@example.net"])
            #expect(try peer.onlyMessage().envelope["authenticated"] as? Bool == true)
        }
    }

    @Test("A wrong password is a permanent authentication error", arguments: ["auth_starttls", "auth_login"])
    func wrongPassword(listener: String) async throws {
        try await SMTPPeer.withPeer { peer in
            let server = try peer.server(listener, security: .startTLS,
                credentials: SMTPCredentials(username: SMTPPeer.user, password: "wrong"))
            let (message, _) = Self.invitation(to: [MailAddress(address: "bob@example.net")])
            let error = await #expect(throws: SMTPError.self) {
                try await Self.deliver(message, to: ["bob@example.net"], through: server)
            }
            #expect(error?.code == .authenticationFailed)
            #expect(error?.isTransient == false)
            #expect(error?.reply?.code == 535)
            #expect(try peer.received().isEmpty)
        }
    }

    @Test("Several recipients: each RCPT's answer is reported; the message goes to those accepted")
    func perRecipientResults() async throws {
        try await SMTPPeer.withPeer { peer in
            let recipients = ["ann@example.net", "tempfail-1@example.net", "reject-1@example.net", "cy@example.net"]
            let (message, _) = Self.invitation(to: recipients.map { MailAddress(address: $0) })
            let report = try await Self.deliver(message, to: recipients, through: peer.server("plain", security: .plain))
            #expect(report.accepted == ["ann@example.net", "cy@example.net"])
            #expect(report.transientlyRejected == ["tempfail-1@example.net"])
            #expect(report.permanentlyRejected == ["reject-1@example.net"])
            #expect(report.recipients.map(\.reply.code) == [250, 451, 550, 250])
            #expect(try peer.onlyMessage().envelope["rcpt_tos"] as? [String] == ["ann@example.net", "cy@example.net"])
        }
    }

    @Test("A 4xx for every recipient is transient; a 5xx for every recipient is permanent")
    func transientAndPermanent() async throws {
        try await SMTPPeer.withPeer { peer in
            let server = try peer.server("plain", security: .plain)
            let (message, _) = Self.invitation(to: [MailAddress(address: "x@example.net")])
            let transient = await #expect(throws: SMTPError.self) {
                try await Self.deliver(message, to: ["tempfail@example.net"], through: server)
            }
            #expect(transient?.code == .allRecipientsRejected)
            #expect(transient?.isTransient == true)
            #expect(transient?.recipients.first?.reply.code == 451)
            let permanent = await #expect(throws: SMTPError.self) {
                try await Self.deliver(message, to: ["reject@example.net", "reject-2@example.net"], through: server)
            }
            #expect(permanent?.isTransient == false)
            #expect(permanent?.triesNextServer == false)
            #expect(try peer.received().isEmpty)
        }
    }

    @Test("The first server is down: the sender uses the second")
    func failover() async throws {
        try await SMTPPeer.withPeer { peer in
            let closedPort = try ClosedPort.find()
            let down = SMTPServerConfiguration(host: "127.0.0.1", port: closedPort, security: .plain,
                from: "first@example.org")
            let up = try peer.server("plain", security: .plain, from: "second@example.org")
            let sender = SMTPSender(servers: [down, up], retryPolicy: .oncePerServer)
            let report = try await sender.send(to: ["bob@example.net"]) { from in
                var message = Self.invitation(to: [MailAddress(address: "bob@example.net")]).message
                message.from = MailAddress(name: "Meeting", address: from)
                return message.render()
            }
            #expect(report.server == up.description)
            let received = try peer.onlyMessage()
            #expect(received.envelope["mail_from"] as? String == "second@example.org")
            #expect(try peer.inspect(received.raw)["from"] as? String == "Meeting <second@example.org>")
        }
    }

    @Test("A transient refusal everywhere: the sender backs off and goes round again, then reports it transient")
    func backoffRounds() async throws {
        try await SMTPPeer.withPeer { peer in
            let policy = SMTPRetryPolicy(rounds: 2, initialBackoff: .milliseconds(50), maximumBackoff: .seconds(1))
            let sender = SMTPSender(servers: [try peer.server("plain", security: .plain)], retryPolicy: policy)
            let error = await #expect(throws: SMTPError.self) {
                try await sender.send(to: ["tempfail-9@example.net"]) { _ in Array("Subject: x\r\n\r\nx\r\n".utf8) }
            }
            #expect(error?.isTransient == true)
            #expect(error?.code == .allRecipientsRejected)
            // Both rounds reached the server: the message names the refusal twice.
            #expect(error?.message.components(separatedBy: "451").count == 3, "\(String(describing: error))")
            #expect(try peer.received().isEmpty)
        }
    }

    @Test("Every server down: one transient error naming each")
    func allDown() async throws {
        let servers = try (0..<2).map { index in
            SMTPServerConfiguration(host: "127.0.0.1", port: try ClosedPort.find(), security: .plain,
                from: "m\(index)@example.org")
        }
        let sender = SMTPSender(servers: servers, retryPolicy: .oncePerServer)
        let error = await #expect(throws: SMTPError.self) {
            try await sender.send(to: ["bob@example.net"]) { _ in Array("Subject: x\r\n\r\nx\r\n".utf8) }
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.isTransient == true)
        #expect(error?.message.contains(servers[0].description) == true)
        #expect(error?.message.contains(servers[1].description) == true)
    }

    @Test("Dot-stuffing round trip: lines starting with '.' and a lone '.' arrive unchanged")
    func dotStuffing() async throws {
        try await SMTPPeer.withPeer { peer in
            let body = "Subject: dots\r\nFrom: a@example.org\r\n\r\n.\r\n..\r\n.hidden\r\n. \r\nend\n.\n"
            let report = try await SMTPConnection.deliver(Array(body.utf8),
                envelope: SMTPEnvelope(sender: "a@example.org", recipients: ["b@example.net"]),
                through: peer.server("plain", security: .plain))
            #expect(report.accepted == ["b@example.net"])
            let expected = "Subject: dots\r\nFrom: a@example.org\r\n\r\n.\r\n..\r\n.hidden\r\n. \r\nend\r\n.\r\n"
            #expect(String(decoding: try peer.onlyMessage().raw, as: UTF8.self) == expected)
        }
    }
}

/// A loopback TCP port with nothing listening: bound, then closed.
enum ClosedPort {
    static func find() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw PeerError("socket failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else { throw PeerError("bind failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
