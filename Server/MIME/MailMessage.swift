/// An Internet message (RFC 5322) with a MIME body (RFC 2045–2049), rendered as the octets SMTP sends.
///
/// Everything it produces is 7-bit: non-ASCII header text becomes RFC 2047 encoded words, text bodies are
/// quoted-printable, binary parts base64, so no server needs 8BITMIME.
public struct MailMessage: Sendable, Hashable {
    public var from: MailAddress
    public var to: [MailAddress]
    public var cc: [MailAddress]
    public var replyTo: MailAddress?
    public var subject: String
    /// The Date header (RFC 5322 §3.6.1), seconds since 1970 in UTC.
    public var date: Int64
    /// The Message-ID without angle brackets (`id@domain`, RFC 5322 §3.6.4); see ``makeMessageID(domain:using:)``.
    public var messageID: String
    /// Further header fields in order (`Auto-Submitted`, `In-Reply-To` …); CR/LF in values are neutralized.
    public var extraHeaders: [(name: String, value: String)]
    public var body: MIMEPart

    public init(from: MailAddress, to: [MailAddress], cc: [MailAddress] = [], replyTo: MailAddress? = nil,
        subject: String, date: Int64, messageID: String, extraHeaders: [(name: String, value: String)] = [],
        body: MIMEPart)
    {
        self.from = from
        self.to = to
        self.cc = cc
        self.replyTo = replyTo
        self.subject = subject
        self.date = date
        self.messageID = messageID
        self.extraHeaders = extraHeaders
        self.body = body
    }

    public static func == (lhs: MailMessage, rhs: MailMessage) -> Bool {
        lhs.from == rhs.from && lhs.to == rhs.to && lhs.cc == rhs.cc && lhs.replyTo == rhs.replyTo
            && lhs.subject == rhs.subject && lhs.date == rhs.date && lhs.messageID == rhs.messageID
            && lhs.extraHeaders.map(\.name) == rhs.extraHeaders.map(\.name)
            && lhs.extraHeaders.map(\.value) == rhs.extraHeaders.map(\.value) && lhs.body == rhs.body
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(messageID)
        hasher.combine(subject)
    }

    /// A fresh globally unique id: 128 random bits in hex `@` the sender's domain.
    public static func makeMessageID(domain: String, using generator: inout some RandomNumberGenerator) -> String {
        let high = generator.next(), low = generator.next()
        return String(high, radix: 16).leftPadded(to: 16) + String(low, radix: 16).leftPadded(to: 16) + "@" + domain
    }

    /// The message with a system-random Message-ID and multipart boundaries.
    public func render() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return render(boundaries: &generator)
    }

    /// The message octets, CRLF line ends; `boundaries` supplies multipart boundaries (a seeded generator gives
    /// reproducible output in tests).
    public func render(boundaries: inout some RandomNumberGenerator) -> [UInt8] {
        // From first (RFC 5322 §3.6 allows any order): an outbox that stores rendered messages can then swap it
        // for each server's --mailFrom by replacing the first line.
        var text = ""
        text += HeaderText.field("From", from.headerValue)
        text += HeaderText.field("Date", RFC5322Date.format(unixSeconds: date))
        if !to.isEmpty { text += HeaderText.field("To", to.map(\.headerValue).joined(separator: ", ")) }
        if !cc.isEmpty { text += HeaderText.field("Cc", cc.map(\.headerValue).joined(separator: ", ")) }
        if let replyTo { text += HeaderText.field("Reply-To", replyTo.headerValue) }
        text += HeaderText.field("Subject", HeaderText.unstructured(subject))
        text += HeaderText.field("Message-ID", "<\(HeaderText.stripLineBreaks(messageID))>")
        for header in extraHeaders where Self.isFieldName(header.name) {
            text += HeaderText.field(header.name, HeaderText.unstructured(header.value))
        }
        text += "MIME-Version: 1.0\r\n"
        text += body.render(boundaries: &boundaries)
        return Array(text.utf8)
    }

    /// RFC 5322 §3.6.8: printable ASCII except colon.
    static func isFieldName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { (33...126).contains($0.value) && $0 != ":" }
    }
}

/// The date-time format of RFC 5322 §3.3, always in UTC (`+0000`).
public enum RFC5322Date {
    private static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Mon, 23 Nov 2026 22:21:31 +0000`.
    public static func format(unixSeconds: Int64) -> String {
        let civil = CivilTime(unixSeconds: unixSeconds)
        let days = unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400
        let weekday = weekdays[Int(((days % 7) + 7) % 7)]
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(weekday), \(civil.day) \(months[civil.month - 1]) \(civil.year) "
            + "\(two(civil.hour)):\(two(civil.minute)):\(two(civil.second)) +0000"
    }
}

/// A UTC calendar date and time of day from Unix seconds (proleptic Gregorian, H. Hinnant's days-to-civil).
public struct CivilTime: Sendable, Hashable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init(unixSeconds: Int64) {
        let seconds = Int(unixSeconds)
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        hour = secondOfDay / 3600
        minute = secondOfDay % 3600 / 60
        second = secondOfDay % 60
    }
}
