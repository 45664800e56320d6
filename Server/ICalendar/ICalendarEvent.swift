import MIME

/// The iTIP method of a calendar object (RFC 5546 §1.4): what the receiving calendar should do with it.
public enum ICalendarMethod: String, Sendable, Hashable {
    /// An invitation, or an update of one (higher SEQUENCE) (RFC 5546 §3.2.2).
    case request = "REQUEST"
    /// The meeting is cancelled (RFC 5546 §3.2.5).
    case cancel = "CANCEL"
}

/// An attendee's participation status (RFC 5545 §3.2.12).
public enum ICalendarParticipationStatus: String, Sendable, Hashable {
    case needsAction = "NEEDS-ACTION"
    case accepted = "ACCEPTED"
    case declined = "DECLINED"
    case tentative = "TENTATIVE"
}

/// The organizer or an attendee: a calendar user address (`mailto:`) with a common name.
public struct ICalendarAttendee: Sendable, Hashable {
    public var address: MailAddress
    public var participationStatus: ICalendarParticipationStatus
    /// Whether the organizer asks for a reply (RFC 5545 §3.2.17).
    public var rsvp: Bool
    /// `REQ-PARTICIPANT` or `OPT-PARTICIPANT` (RFC 5545 §3.2.16).
    public var isOptional: Bool

    public init(address: MailAddress, participationStatus: ICalendarParticipationStatus = .needsAction,
        rsvp: Bool = true, isOptional: Bool = false)
    {
        self.address = address
        self.participationStatus = participationStatus
        self.rsvp = rsvp
        self.isOptional = isOptional
    }
}

/// One meeting as a VEVENT (RFC 5545 §3.6.1) inside a VCALENDAR with an iTIP method — an invitation, a change
/// or a cancellation as calendar clients (Outlook, Google Calendar, Thunderbird, Apple Calendar) expect it.
///
/// Times are UTC (`…Z`), so no VTIMEZONE is needed. Keep ``uid`` the same for every mail about one meeting
/// (``uid(meetingID:domain:)``) and raise ``sequence`` on each change (RFC 5545 §3.8.7.4), so clients update the
/// entry instead of adding a second one.
public struct ICalendarEvent: Sendable, Hashable {
    public var method: ICalendarMethod
    public var uid: String
    public var sequence: Int
    /// When this object was created (DTSTAMP), Unix seconds.
    public var stamp: Int64
    public var start: Int64
    public var end: Int64
    public var summary: String
    /// Free text; put the join link here too, since some clients show only DESCRIPTION.
    public var description: String?
    /// The join link, as LOCATION and URL.
    public var joinURL: String?
    public var organizer: MailAddress
    public var attendees: [ICalendarAttendee]
    /// The product that made the object (PRODID, RFC 5545 §3.7.3).
    public var productID: String

    public init(method: ICalendarMethod, uid: String, sequence: Int, stamp: Int64, start: Int64, end: Int64,
        summary: String, description: String? = nil, joinURL: String? = nil, organizer: MailAddress,
        attendees: [ICalendarAttendee], productID: String = "-//Meeting//Meeting apiserver//EN")
    {
        self.method = method
        self.uid = uid
        self.sequence = sequence
        self.stamp = stamp
        self.start = start
        self.end = end
        self.summary = summary
        self.description = description
        self.joinURL = joinURL
        self.organizer = organizer
        self.attendees = attendees
        self.productID = productID
    }

    /// A UID that is the same for every message about one meeting and unique across deployments
    /// (RFC 5545 §3.8.4.7 recommends the `@domain` form).
    public static func uid(meetingID: String, domain: String) -> String {
        "meeting-\(meetingID)@\(domain)"
    }

    /// The iCalendar object: `BEGIN:VCALENDAR` … `END:VCALENDAR`, folded, CRLF line ends.
    public func render() -> String {
        var lines: [String] = [
            "BEGIN:VCALENDAR",
            "PRODID:" + ICalendarText.escape(productID),
            "VERSION:2.0",
            "CALSCALE:GREGORIAN",
            "METHOD:" + method.rawValue,
            "BEGIN:VEVENT",
            "UID:" + ICalendarText.escape(uid),
            "SEQUENCE:\(max(0, sequence))",
            "DTSTAMP:" + ICalendarText.utcDateTime(unixSeconds: stamp),
            "DTSTART:" + ICalendarText.utcDateTime(unixSeconds: start),
            "DTEND:" + ICalendarText.utcDateTime(unixSeconds: max(start, end)),
            "SUMMARY:" + ICalendarText.escape(summary),
        ]
        if let description { lines.append("DESCRIPTION:" + ICalendarText.escape(description)) }
        if let joinURL {
            lines.append("LOCATION:" + ICalendarText.escape(joinURL))
            // URL is a URI value, not TEXT (RFC 5545 §3.8.4.6): no escaping, but no control characters either.
            lines.append("URL:" + joinURL.filter { !$0.isNewline && $0 != "\t" })
        }
        lines.append("ORGANIZER" + Self.commonName(organizer) + ":" + Self.mailto(organizer))
        for attendee in attendees {
            lines.append("ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=" + (attendee.isOptional ? "OPT" : "REQ")
                + "-PARTICIPANT;PARTSTAT=" + attendee.participationStatus.rawValue + ";RSVP="
                + (attendee.rsvp && method == .request ? "TRUE" : "FALSE") + Self.commonName(attendee.address) + ":"
                + Self.mailto(attendee.address))
        }
        lines.append("STATUS:" + (method == .cancel ? "CANCELLED" : "CONFIRMED"))
        lines.append("TRANSP:OPAQUE")
        lines += ["END:VEVENT", "END:VCALENDAR"]
        return lines.map(ICalendarText.fold).joined()
    }

    private static func commonName(_ address: MailAddress) -> String {
        guard let name = address.name, !name.isEmpty else { return "" }
        return ";CN=" + ICalendarText.parameterValue(name)
    }

    private static func mailto(_ address: MailAddress) -> String {
        "mailto:" + address.address.filter { !$0.isWhitespace && !$0.isNewline }
    }
}
