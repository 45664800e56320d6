import APIServer
import APIStore
import Foundation
import NIOHTTP1
import SMTP
import ServerKit
import TestSupport
import Testing

/// The apiserver's mail through a real SMTP server (aiosmtpd): the sign-in code arrives by mail and signs in, and
/// a scheduled meeting's invitation arrives with an RFC 5545 event that Python's `icalendar` parses.
@Suite("API mail through aiosmtpd", .serialized, .enabled(if: SMTPPeer.shouldRun, "pip install aiosmtpd icalendar"))
struct APIMailTests {
    @Test("A sign-in code mailed to aiosmtpd is used to sign in; an invitation's .ics parses")
    func codeAndInvitation() async throws {
        try await SMTPPeer.withPeer { peer in
            let (store, cleanup) = try await StoreBackends.sqlite()
            defer { cleanup() }
            let allocator = try await TestAllocateServer.start()
            let smtp = try peer.server("plain", security: .plain, from: "meeting@example.org")
            let api = try await RunningAPIServer.start(store: store) {
                $0.allocateServerURL = allocator.url
                $0.mailServers = [smtp]
                $0.mailFrom = "meeting@example.org"
                $0.onSignInCode = nil
            }
            do {
                let client = APIClient(api)
                #expect(try await client.call(.POST, "/v1/signin/code", ["email": "ada@example.com"]).status == 202)
                var code: String?
                try await eventually("the code mail reaches aiosmtpd") {
                    guard let mail = try peer.received().first else { return false }
                    let inspected = try peer.inspect(mail.raw)
                    let text = inspected["text"] as? String ?? ""
                    code = text.split(whereSeparator: { !$0.isNumber }).first { $0.count == 6 }.map(String.init)
                    return code != nil
                }
                let verified = try await client.call(.POST, "/v1/signin/verify",
                    ["email": "ada@example.com", "code": try #require(code)])
                #expect(verified.status == 200, "\(verified)")
                let ada = APIClient(api, token: try #require(verified.string("token")))
                let begin: Int64 = 1_900_000_000
                let created = try await ada.call(.POST, "/v1/meetings", ["title": "Quarterly plan",
                    "beginAt": begin, "endAt": begin + 5400, "invitees": [["email": "bob@example.com"]]])
                #expect(created.status == 201, "\(created)")
                let id = try #require(created.string("id"))
                var invitation: [String: Any] = [:]
                try await eventually("the invitation reaches aiosmtpd") {
                    let all = try peer.received()
                    guard all.count >= 2 else { return false }
                    #expect(all[1].envelope["rcpt_tos"] as? [String] == ["bob@example.com"])
                    invitation = try peer.inspect(all[1].raw)
                    return true
                }
                #expect((invitation["defects"] as? [String] ?? []).isEmpty, "\(invitation)")
                let calendars = try #require(invitation["calendars"] as? [[String: Any]])
                let calendar = try #require(calendars.first)
                #expect(calendar["method"] as? String == "REQUEST", "\(calendar)")
                let event = try #require((calendar["events"] as? [[String: Any]])?.first)
                #expect(event["summary"] as? String == "Quarterly plan", "\(event)")
                #expect((event["uid"] as? String)?.contains(id) == true, "\(event)")
                // 1_900_000_000 is 2030-03-17T17:46:40Z; the meeting lasts 90 minutes.
                #expect((event["dtstart"] as? String)?.hasPrefix("2030-03-17T17:46:40") == true, "\(event)")
                #expect((event["dtend"] as? String)?.hasPrefix("2030-03-17T19:16:40") == true, "\(event)")
                #expect((event["attendees"] as? [[String: Any]])?.first?["address"] as? String == "mailto:bob@example.com",
                    "\(event)")
            } catch {
                await api.stop(); await allocator.stop()
                throw error
            }
            await api.stop(); await allocator.stop()
        }
    }
}
