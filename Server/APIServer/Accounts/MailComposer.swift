import APIStore
import Foundation
import HTTPTypes
import ServerKit

/// Writes the apiserver's mails as outbox messages (RFC 5322 text, ready for SMTP): sign-in codes, invitations,
/// changes and cancellations. The outbox keeps them until an SMTP server takes them, so nothing is lost while no
/// SMTP server answers.
struct MailComposer: Sendable {
    /// Base URL for links in mails.
    let publicURL: String
    /// The From address and envelope sender.
    let sender: String

    func signInCode(to email: String, code: String, validMinutes: Int, now: Date) -> OutboxMessage {
        message(to: email, subject: "Your Meeting sign-in code: \(code)", body: """
            Your sign-in code is \(code)

            It is valid for \(validMinutes) minutes and can be used once. If you did not ask to sign in to \
            \(publicURL), ignore this mail.
            """, now: now)
    }

    func invitation(to email: String, meeting: Meeting, organizer: String, joinLink: String, passcode: String?,
        now: Date) -> OutboxMessage
    {
        var when = ""
        if let begin = meeting.beginAt, let end = meeting.endAt {
            when = "When: \(Self.rfc5322Date(begin)) to \(Self.rfc5322Date(end))\n"
        }
        let passcodeLine = passcode.map { "Passcode: \($0)\n" } ?? ""
        let subject = (meeting.sequence == 0 ? "Invitation: " : "Updated invitation: ") + meeting.title
        return message(to: email, subject: subject, body: """
            \(organizer) invites you to "\(meeting.title)".

            \(when)Join: \(joinLink)
            \(passcodeLine)
            """, now: now)
    }

    func cancellation(to email: String, meeting: Meeting, organizer: String, now: Date) -> OutboxMessage {
        message(to: email, subject: "Cancelled: \(meeting.title)",
            body: "\(organizer) cancelled \"\(meeting.title)\".\n", now: now)
    }

    /// One text/plain UTF-8 message. Header values come from validated input (no CR/LF); a non-ASCII subject is
    /// an RFC 2047 encoded-word.
    private func message(to recipient: String, subject: String, body: String, now: Date) -> OutboxMessage {
        let host = sender.split(separator: "@").last.map(String.init) ?? "localhost"
        let lines = [
            "From: Meeting <\(sender)>",
            "To: <\(recipient)>",
            "Subject: \(Self.encodeHeader(subject))",
            "Date: \(Self.rfc5322Date(now))",
            "Message-ID: <\(StoreID.random())@\(host)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "",
        ]
        let text = lines.joined(separator: "\r\n") + "\r\n"
            + body.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n") + "\r\n"
        return OutboxMessage(sender: sender, recipients: [recipient], message: Array(text.utf8), nextAttemptAt: now,
            createdAt: now)
    }

    static func encodeHeader(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value > 0x7E }) else { return text }
        return "=?UTF-8?B?\(Base64.encode(Array(text.utf8)))?="
    }

    /// RFC 5322 §3.3 date-time in UTC, e.g. `Mon, 23 Nov 2026 22:21:42 +0000`.
    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
