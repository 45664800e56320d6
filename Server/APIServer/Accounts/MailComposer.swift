import APIStore
import Foundation
import ICalendar
import MIME
import ServerKit

/// Writes the apiserver's mails as outbox messages (RFC 5322, rendered by `MIME`): sign-in codes, and invitations,
/// changes and cancellations with an RFC 5545 event (`ICalendar`: METHOD:REQUEST or CANCEL, one UID per meeting,
/// SEQUENCE from the meeting). The outbox keeps them until an SMTP server takes them.
struct MailComposer: Sendable {
    /// Base URL for links in mails.
    let publicURL: String
    /// The From address and envelope sender (the first `--mailFrom`; each server's own is put in at delivery).
    let sender: String

    var domain: String { sender.split(separator: "@").last.map(String.init) ?? "localhost" }

    func signInCode(to email: String, code: String, validMinutes: Int, now: Date) -> OutboxMessage {
        message(to: email, subject: "Your Meeting sign-in code: \(code)", body: .plainText("""
            Your sign-in code is \(code)

            It is valid for \(validMinutes) minutes and can be used once. If you did not ask to sign in to \
            \(publicURL), ignore this mail.
            """), now: now)
    }

    /// An invitation (or, with `sequence` > 0, an update) to a scheduled meeting, with its event.
    func invitation(to email: String, meeting: Meeting, organizer: User, attendees: [String], joinLink: String,
        passcode: String?, now: Date) -> OutboxMessage
    {
        let passcodeLine = passcode.map { "Passcode: \($0)\n" } ?? ""
        let text = """
            \(organizer.displayName) invites you to "\(meeting.title)".

            Join: \(joinLink)
            \(passcodeLine)
            """
        let subject = (meeting.sequence == 0 ? "Invitation: " : "Updated invitation: ") + meeting.title
        guard let event = event(.request, meeting: meeting, organizer: organizer, attendees: attendees,
            joinLink: joinLink, now: now)
        else {
            return message(to: email, subject: subject, body: .plainText(text), now: now)
        }
        return message(to: email, subject: subject, body: InvitationMail.body(event: event, text: text), now: now)
    }

    func cancellation(to email: String, meeting: Meeting, organizer: User, attendees: [String], now: Date)
        -> OutboxMessage
    {
        let text = "\(organizer.displayName) cancelled \"\(meeting.title)\".\n"
        let subject = "Cancelled: \(meeting.title)"
        guard let event = event(.cancel, meeting: meeting, organizer: organizer, attendees: attendees,
            joinLink: nil, now: now)
        else {
            return message(to: email, subject: subject, body: .plainText(text), now: now)
        }
        return message(to: email, subject: subject, body: InvitationMail.body(event: event, text: text), now: now)
    }

    private func event(_ method: ICalendarMethod, meeting: Meeting, organizer: User, attendees: [String],
        joinLink: String?, now: Date) -> ICalendarEvent?
    {
        guard let begin = meeting.beginAt, let end = meeting.endAt else { return nil }
        return ICalendarEvent(method: method, uid: ICalendarEvent.uid(meetingID: meeting.id, domain: domain),
            sequence: meeting.sequence, stamp: now.unixSeconds, start: begin.unixSeconds, end: end.unixSeconds,
            summary: meeting.title, joinURL: joinLink,
            organizer: MailAddress(name: organizer.displayName, address: organizer.email),
            attendees: attendees.map { ICalendarAttendee(address: MailAddress(address: $0)) })
    }

    private func message(to recipient: String, subject: String, body: MIMEPart, now: Date) -> OutboxMessage {
        var generator = SystemRandomNumberGenerator()
        let mail = MailMessage(from: MailAddress(name: "Meeting", address: sender),
            to: [MailAddress(address: recipient)], subject: subject, date: now.unixSeconds,
            messageID: MailMessage.makeMessageID(domain: domain, using: &generator), body: body)
        return OutboxMessage(sender: sender, recipients: [recipient], message: mail.render(), nextAttemptAt: now,
            createdAt: now)
    }
}
