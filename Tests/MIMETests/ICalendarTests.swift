import ICalendar
import MIME
import Testing

@Suite("iCalendar (RFC 5545) invitations")
struct ICalendarTests {
    @Test("TEXT escaping (§3.3.11)")
    func escaping() {
        #expect(ICalendarText.escape("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf")
        #expect(ICalendarText.escape("bell\u{7}") == "bell")
        #expect(ICalendarText.parameterValue("Lee, Ann") == "\"Lee, Ann\"")
        #expect(ICalendarText.parameterValue("A \"B\"") == "A B")
    }

    @Test("Folding (§3.1): physical lines ≤ 75 octets, never inside a UTF-8 sequence, unfolding restores the line")
    func folding() {
        var random = SplitMix64(seed: 3)
        let pieces = ["a", "é", "€", "📅", " ", ";"]
        for _ in 0..<300 {
            let line = "DESCRIPTION:" + (0..<Int(random.next() % 300)).map { _ in pieces[Int(random.next() % 6)] }
                .joined()
            let folded = ICalendarText.fold(line)
            #expect(folded.hasSuffix("\r\n"))
            let physical = folded.utf8.split(separator: 10).map { Array($0.dropLast()) }
            for bytes in physical {
                #expect(bytes.count <= 75)
                #expect(String(validating: bytes, as: UTF8.self) != nil)
            }
            #expect(folded.replacingOccurrences("\r\n ", "").replacingOccurrences("\r\n", "") == line)
        }
    }

    @Test("UTC date-times (§3.3.5)")
    func dateTimes() {
        #expect(ICalendarText.utcDateTime(unixSeconds: 1_795_000_000) == "20261118T110640Z")
        #expect(ICalendarText.utcDateTime(unixSeconds: 0) == "19700101T000000Z")
    }

    @Test("An invitation and its cancellation share the UID; the cancellation has STATUS:CANCELLED")
    func requestAndCancel() {
        let organizer = MailAddress(name: "Org", address: "org@example.org")
        var event = ICalendarEvent(method: .request, uid: ICalendarEvent.uid(meetingID: "7", domain: "example.org"),
            sequence: 0, stamp: 0, start: 3600, end: 7200, summary: "Sync", joinURL: "https://m.example.org/j/7",
            organizer: organizer, attendees: [ICalendarAttendee(address: MailAddress(address: "a@example.net"))])
        let request = event.render()
        #expect(request.hasPrefix("BEGIN:VCALENDAR\r\n"))
        #expect(request.hasSuffix("END:VCALENDAR\r\n"))
        for line in ["METHOD:REQUEST", "UID:meeting-7@example.org", "SEQUENCE:0", "DTSTART:19700101T010000Z",
            "DTEND:19700101T020000Z", "STATUS:CONFIRMED", "ORGANIZER;CN=Org:mailto:org@example.org",
            "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:a@example.net"]
        {
            #expect(request.unfolded.contains("\r\n" + line + "\r\n"), "\(line)")
        }
        event.method = .cancel
        event.sequence = 1
        let cancel = event.render().unfolded
        #expect(cancel.contains("\r\nMETHOD:CANCEL\r\n"))
        #expect(cancel.contains("\r\nSTATUS:CANCELLED\r\n"))
        #expect(cancel.contains("\r\nSEQUENCE:1\r\n"))
        #expect(cancel.contains("\r\nUID:meeting-7@example.org\r\n"))
    }
}

extension String {
    var unfolded: String { replacingOccurrences("\r\n ", "") }
}
