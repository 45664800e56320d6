import NIOHTTP1
import APIServer
import APIStore
import Foundation
import HTTPTypes
import ServerKit
import Testing

@Suite("API security: code guessing, forged and expired tokens, SQL-looking input", .serialized)
struct APISecurityTests {
    @Test("Guessing sign-in codes: the code is burnt after 5 wrong guesses and failures per IP are rate-limited")
    func codeGuessing() async throws {
        let (store, cleanup) = try await StoreBackends.sqlite()
        defer { cleanup() }
        let api = try await RunningAPIServer.start(store: store) {
            $0.verifyFailuresPerIP = RateLimit(limit: 8, windowSeconds: 3600)
        }
        do {
            let client = APIClient(api)
            #expect(try await client.call(.POST, "/v1/signin/code", ["email": "ada@example.com"]).status == 202)
            let code = try #require(api.codes.code(for: "ada@example.com"))
            let wrong = code == "000000" ? "000001" : "000000"
            var lefts: [Int] = []
            for _ in 0..<5 {
                let answer = try await client.call(.POST, "/v1/signin/verify", ["email": "ada@example.com", "code": wrong])
                #expect(answer.status == 401 && answer.errorCode == "signin.code-invalid", "\(answer)")
                let message = (answer.json["error"] as? [String: Any])?["message"] as? String ?? ""
                lefts.append(Int(message.split(separator: " ").first { Int($0) != nil } ?? "-1") ?? -1)
            }
            #expect(lefts == [4, 3, 2, 1, 0])
            // The right code no longer works: it was discarded.
            let late = try await client.call(.POST, "/v1/signin/verify", ["email": "ada@example.com", "code": code])
            #expect(late.status == 401 && late.errorCode == "signin.code-invalid")
            // More guesses from this IP, even at a fresh code, hit the per-IP limit (8).
            #expect(try await client.call(.POST, "/v1/signin/code", ["email": "bob@example.com"]).status == 202)
            var statuses: [Int] = []
            for _ in 0..<4 {
                statuses.append(try await client.call(.POST, "/v1/signin/verify",
                    ["email": "bob@example.com", "code": "999999x"]).status)
            }
            #expect(statuses.suffix(2) == [429, 429], "\(statuses)")
            let limited = try await client.call(.POST, "/v1/signin/verify", ["email": "bob@example.com", "code": "1"])
            #expect(limited.errorCode == "rate-limited" && limited.headers["retry-after"] != nil)
            // Code requests per e-mail are limited too (5 per window).
            var requestStatuses: [Int] = []
            for _ in 0..<6 {
                requestStatuses.append(try await client.call(.POST, "/v1/signin/code", ["email": "carol@example.com"]).status)
            }
            #expect(requestStatuses == [202, 202, 202, 202, 202, 429])
        } catch {
            await api.stop()
            throw error
        }
        await api.stop()
    }

    @Test("Forged, malformed and expired session tokens are refused")
    func sessions() async throws {
        let (store, cleanup) = try await StoreBackends.sqlite()
        defer { cleanup() }
        let api = try await RunningAPIServer.start(store: store) { $0.sessionLifetime = 1 }
        do {
            let anonymous = APIClient(api)
            #expect(try await anonymous.call(.GET, "/v1/me").errorCode == "session.required")
            let forged = Base64.encodeURL(KeyedHashing.randomBytes(32))
            #expect(try await anonymous.call(.GET, "/v1/me", token: forged).errorCode == "session.invalid")
            let basic = try await anonymous.call(.GET, "/v1/me", token: .some(nil), headers: [("Authorization", "Basic YTpi")])
            #expect(basic.errorCode == "session.invalid")
            let ada = try await APIClient.signIn(api, email: "ada@example.com")
            // The session lives one second; poll until the server refuses it (no fixed sleep).
            try await eventually("the 1-second session expires") {
                try await ada.call(.GET, "/v1/me").errorCode == "session.invalid"
            }
        } catch {
            await api.stop()
            throw error
        }
        await api.stop()
    }

    @Test("Join tokens: the sfu's check refuses forged, altered and expired ones")
    func joinTokens() async throws {
        let (store, cleanup) = try await StoreBackends.sqlite()
        defer { cleanup() }
        let allocator = try await TestAllocateServer.start()
        let api = try await RunningAPIServer.start(store: store) {
            $0.allocateServerURL = allocator.url
            $0.joinTokenLifetime = 1
        }
        do {
            let ada = try await APIClient.signIn(api, email: "ada@example.com")
            let room = try await ada.call(.POST, "/v1/meetings/instant")
            let joined = try await ada.call(.POST, "/v1/meetings/\(try #require(room.string("id")))/join", [:])
            let token = try #require(joined.string("token"))
            let verifier = TokenAuthority(secret: RunningAPIServer.secret).join
            let now = Int64(Date().timeIntervalSince1970)
            #expect(throws: TokenError.self) {
                _ = try TokenAuthority(secret: "another-deployment-000000000000").join.verify(token, as: JoinClaims.self, now: now)
            }
            var parts = token.split(separator: ".").map(String.init)
            parts[1] = Base64.encodeURL(Array(#"{"aud":"join","exp":9999999999,"mid":"x","sub":"y","name":"z","role":"host","grants":{"audio":true,"video":true,"screen":true,"subscribe":true,"moderate":true},"sfu":"s:1"}"#.utf8))
            #expect(throws: TokenError.self) { _ = try verifier.verify(parts.joined(separator: "."), as: JoinClaims.self, now: now) }
            do {
                _ = try verifier.verify(token, as: JoinClaims.self, now: now + 2)
                Issue.record("an expired join token was accepted")
            } catch {
                #expect(error.code == .expired)
            }
        } catch {
            await api.stop()
            await allocator.stop()
            throw error
        }
        await api.stop()
        await allocator.stop()
    }

    @Test("SQL-looking and odd input is stored and returned verbatim")
    func verbatim() async throws {
        let (store, cleanup) = try await StoreBackends.sqlite()
        defer { cleanup() }
        let allocator = try await TestAllocateServer.start()
        let api = try await RunningAPIServer.start(store: store) { $0.allocateServerURL = allocator.url }
        do {
            let ada = try await APIClient.signIn(api, email: "ada@example.com")
            let title = "Robert'); DROP TABLE meetings;-- \" \\ % _ 😀"
            let name = "O'Brien\"; DELETE FROM users; --"
            let created = try await ada.call(.POST, "/v1/meetings",
                ["title": title, "beginAt": 1_900_000_000, "endAt": 1_900_003_600])
            #expect(created.status == 201, "\(created)")
            let id = try #require(created.string("id"))
            #expect(try await ada.call(.GET, "/v1/meetings/\(id)").string("title") == title)
            #expect(try await ada.call(.PATCH, "/v1/me", ["displayName": name]).string("displayName") == name)
            #expect(try await ada.call(.GET, "/v1/me").string("displayName") == name)
            let odd = try await ada.call(.POST, "/v1/signin/code", ["email": "x' OR '1'='1"])
            #expect(odd.status == 400 && odd.errorCode == "request.invalid")
            let notJSON = try await ada.call(.POST, "/v1/meetings", nil, headers: [("Content-Type", "application/json")])
            #expect(notJSON.status == 400 && notJSON.errorCode == "request.invalid", "\(notJSON)")
            #expect(try await ada.call(.GET, "/v1/meetings/'%20OR%201=1").errorCode == "meeting.not-found")
        } catch {
            await api.stop()
            await allocator.stop()
            throw error
        }
        await api.stop()
        await allocator.stop()
    }
}
