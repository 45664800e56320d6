import MIME

/// The MIME body of an invitation, change or cancellation mail, shaped as mail clients expect (RFC 6047 §2.4):
/// `multipart/mixed` of `multipart/alternative` (the text, optional HTML, and the event as
/// `text/calendar; method=…`, which Outlook and Gmail turn into Accept/Decline buttons) plus the same event as an
/// `.ics` attachment for clients that only import files.
public enum InvitationMail {
    public static func body(event: ICalendarEvent, text: String, html: String? = nil) -> MIMEPart {
        let calendar = event.render()
        var alternatives: [MIMEPart] = [.plainText(text)]
        if let html { alternatives.append(.html(html)) }
        alternatives.append(MIMEPart(content: .text(subtype: "calendar", text: calendar),
            parameters: [MIMEParameter("method", event.method.rawValue)]))
        let filename = event.method == .cancel ? "cancel.ics" : "invite.ics"
        let attachment = MIMEPart.attachment(Array(calendar.utf8), type: "application/ics", filename: filename)
        return .mixed([.alternative(alternatives), attachment])
    }
}
