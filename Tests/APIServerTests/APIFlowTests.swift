import NIOHTTP1
import APIServer
import APIStore
import Foundation
import HTTPTypes
import ServerKit
import Testing

/// The whole flow over HTTP on loopback against a real store: sign in with the code, schedule a meeting (the
/// allocateserver hears exactly the contract's query), join as the host, a guest through the lobby, and the
/// allocateserver's non-200 giving the wait answer until a retry succeeds.
@Suite("API flow over HTTP (SQLite)", .serialized)
struct APIFlowTests {
    @Test("Sign in, schedule, allocate through the allocateserver, join, lobby, guests")
    func wholeFlow() async throws {
        let (store, cleanup) = try await StoreBackends.sqlite()
        defer { cleanup() }
        let allocator = try await TestAllocateServer.start()
        let api = try await RunningAPIServer.start(store: store) { $0.allocateServerURL = allocator.url }
        do {
            try await APIFlowScenarios.wholeFlow(api: api, allocator: allocator)
        } catch {
            await api.stop()
            await allocator.stop()
            throw error
        }
        await api.stop()
        await allocator.stop()
    }

    @Test("A non-200 allocateserver answer gives servers.preparing; the apiserver's retry later succeeds")
    func notReadyThenRetry() async throws {
        let (store, cleanup) = try await StoreBackends.sqlite()
        defer { cleanup() }
        let allocator = try await TestAllocateServer.start()
        let api = try await RunningAPIServer.start(store: store) { $0.allocateServerURL = allocator.url }
        do {
            try await APIFlowScenarios.notReadyThenRetry(api: api, allocator: allocator)
        } catch {
            await api.stop()
            await allocator.stop()
            throw error
        }
        await api.stop()
        await allocator.stop()
    }
}

/// Scenarios shared by the SQLite and MariaDB suites.
enum APIFlowScenarios {
    static func wholeFlow(api: RunningAPIServer, allocator: TestAllocateServer) async throws {
        let ada = try await APIClient.signIn(api, email: "Ada@Example.com")
        let me = try await ada.call(.GET, "/v1/me")
        #expect(me.status == 200 && me.string("email") == "ada@example.com", "\(me)")

        // Scheduled meeting: the allocateserver hears Kind=SFUTURN with the owner and the times.
        let begin: Int64 = 1_900_000_000
        let created = try await ada.call(.POST, "/v1/meetings", [
            "title": "Design review", "beginAt": begin, "endAt": begin + 3600,
            "invitees": [["email": "bob@example.com", "role": "co-host"], ["email": "carol@example.com"]],
            "passcode": "4711", "lobby": true, "guestsAllowed": true,
        ])
        #expect(created.status == 201, "\(created)")
        let id = try #require(created.string("id"))
        #expect(created.string("servers") == "ready")
        #expect(created.string("sfu") == "sfu1.test:443")
        #expect(allocator.queries == ["Kind=SFUTURN&Email=ada@example.com&BeginAt=\(begin)&EndAt=\(begin + 3600)"])

        // The host joins: the allocateserver's answer is in the join response with a verifiable token.
        let joined = try await ada.call(.POST, "/v1/meetings/\(id)/join", [:])
        #expect(joined.status == 200, "\(joined)")
        #expect(joined.string("sfu") == "sfu1.test:443")
        #expect(joined.string("signalingURL") == "ws://sfu1.test:443/rtc")
        let token = try #require(joined.string("token"))
        let authority = TokenAuthority(secret: RunningAPIServer.secret)
        let claims = try authority.join.verify(token, as: JoinClaims.self, now: Int64(Date().timeIntervalSince1970))
        #expect(claims.meetingID == id && claims.role == .host && claims.sfu == "sfu1.test:443" && claims.grants.moderate)
        let ice = try #require((joined["iceServers"] as? [[String: Any]])?.first)
        #expect((ice["urls"] as? [String])?.contains("turn:127.0.0.1:3478?transport=udp") == true)
        let username = try #require(ice["username"] as? String)
        #expect(ice["credential"] as? String == TURNRESTCredential.password(key: authority.turnKey, username: username))

        // A co-host invitee goes straight in with their role.
        let bob = try await APIClient.signIn(api, email: "bob@example.com")
        let bobJoin = try await bob.call(.POST, "/v1/meetings/\(id)/join", [:])
        #expect(bobJoin.status == 200, "\(bobJoin)")
        #expect((bobJoin["participant"] as? [String: Any])?["role"] as? String == "co-host")
        let list = try await bob.call(.GET, "/v1/meetings")
        #expect((list["meetings"] as? [[String: Any]])?.contains { $0["id"] as? String == id } == true)

        // A guest needs the passcode, then waits in the lobby until the co-host admits.
        let guest = APIClient(api)
        let noPasscode = try await guest.call(.POST, "/v1/meetings/\(id)/join", ["displayName": "Guest"])
        #expect(noPasscode.status == 403 && noPasscode.errorCode == "meeting.passcode", "\(noPasscode)")
        let waiting = try await guest.call(.POST, "/v1/meetings/\(id)/join", ["displayName": "Guest", "passcode": "4711"])
        #expect(waiting.status == 202 && waiting.string("status") == "waiting", "\(waiting)")
        let ticket = try #require(waiting.string("ticket"))
        let still = try await guest.call(.GET, "/v1/meetings/\(id)/lobby/\(ticket)")
        #expect(still.status == 202)
        let lobby = try await bob.call(.GET, "/v1/meetings/\(id)/lobby")
        #expect((lobby["entries"] as? [[String: Any]])?.first?["ticket"] as? String == ticket, "\(lobby)")
        let carol = try await APIClient.signIn(api, email: "carol@example.com")
        let carolAdmits = try await carol.call(.POST, "/v1/meetings/\(id)/lobby/\(ticket)/admit")
        #expect(carolAdmits.status == 403 && carolAdmits.errorCode == "meeting.forbidden", "\(carolAdmits)")
        let admit = try await bob.call(.POST, "/v1/meetings/\(id)/lobby/\(ticket)/admit")
        #expect(admit.status == 204, "\(admit)")
        let admitted = try await guest.call(.GET, "/v1/meetings/\(id)/lobby/\(ticket)")
        #expect(admitted.status == 200, "\(admitted)")
        let guestClaims = try authority.join.verify(try #require(admitted.string("token")), as: JoinClaims.self,
            now: Int64(Date().timeIntervalSince1970))
        #expect(guestClaims.role == .guest && guestClaims.displayName == "Guest" && !guestClaims.grants.moderate)

        // Personal room: Kind=SFUTURN with 0/0; the same room every time.
        let room = try await ada.call(.POST, "/v1/meetings/instant")
        #expect(room.status == 200 && room.string("kind") == "instant", "\(room)")
        #expect(allocator.queries.last == "Kind=SFUTURN&Email=ada@example.com&BeginAt=0&EndAt=0")
        let again = try await ada.call(.POST, "/v1/meetings/instant")
        #expect(again.string("id") == room.string("id"))

        // Minutes: Kind=FS with the requester, and an fs token.
        let files = try await bob.call(.POST, "/v1/meetings/\(id)/files")
        #expect(files.status == 200 && files.string("fs") == "fs1.test:443", "\(files)")
        #expect(allocator.queries.last == "Kind=FS&Email=bob@example.com")
        let fsClaims = try authority.fs.verify(try #require(files.string("token")), as: FileClaims.self,
            now: Int64(Date().timeIntervalSince1970))
        #expect(fsClaims.meetingID == id && fsClaims.fs == "fs1.test:443")

        // Edit and cancel (hosts only); the outbox holds the invitations.
        let edited = try await ada.call(.PATCH, "/v1/meetings/\(id)", ["title": "Design review (moved)"])
        #expect(edited.status == 200 && edited.string("title") == "Design review (moved)", "\(edited)")
        let cancelledByCarol = try await carol.call(.DELETE, "/v1/meetings/\(id)")
        #expect(cancelledByCarol.status == 403)
        let cancelled = try await ada.call(.DELETE, "/v1/meetings/\(id)")
        #expect(cancelled.status == 204)
        let afterCancel = try await bob.call(.POST, "/v1/meetings/\(id)/join", [:])
        #expect(afterCancel.status == 410 && afterCancel.errorCode == "meeting.cancelled")

        // Sessions: list and revoke; the revoked token is refused.
        let sessions = try await ada.call(.GET, "/v1/sessions")
        let sessionList = try #require(sessions["sessions"] as? [[String: Any]])
        #expect(sessionList.count == 1 && sessionList.first?["current"] as? Bool == true)
        let sessionID = try #require(sessionList.first?["id"] as? String)
        #expect(try await ada.call(.DELETE, "/v1/sessions/\(sessionID)").status == 204)
        let revoked = try await ada.call(.GET, "/v1/me")
        #expect(revoked.status == 401 && revoked.errorCode == "session.invalid")
    }

    static func notReadyThenRetry(api: RunningAPIServer, allocator: TestAllocateServer) async throws {
        allocator.answerMedia(.serviceUnavailable, #"{"error":"deploying an sfuserver"}"#)
        let ada = try await APIClient.signIn(api, email: "ada@example.com")
        let room = try await ada.call(.POST, "/v1/meetings/instant")
        #expect(room.status == 200 && room.string("servers") == "preparing", "\(room)")
        let id = try #require(room.string("id"))
        let wait = try await ada.call(.POST, "/v1/meetings/\(id)/join", [:])
        #expect(wait.status == 503 && wait.errorCode == "servers.preparing", "\(wait)")
        #expect(wait.headers["retry-after"] != nil)
        let firstCount = allocator.queries.count
        // The allocateserver gets ready; the apiserver's own retry (not the client's) allocates the meeting.
        allocator.answerMedia(.ok, #"{"sfu":"sfu2.test:443","turn":"127.0.0.2:3478"}"#)
        try await eventually("the background retry allocates the meeting") {
            let meeting = try await ada.call(.GET, "/v1/meetings/\(id)")
            return meeting.string("servers") == "ready"
        }
        #expect(allocator.queries.count > firstCount)
        #expect(allocator.queries.allSatisfy { $0 == "Kind=SFUTURN&Email=ada@example.com&BeginAt=0&EndAt=0" })
        let joined = try await ada.call(.POST, "/v1/meetings/\(id)/join", [:])
        #expect(joined.status == 200 && joined.string("sfu") == "sfu2.test:443", "\(joined)")
    }
}
