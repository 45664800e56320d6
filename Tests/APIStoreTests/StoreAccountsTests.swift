import APIStore
import Database
import Foundation
import Testing

@Suite("Store: users, sign-in codes, rate limits, sessions (SQLite and MariaDB)")
struct StoreAccountsTests {
    @Test("Users: e-mail unique regardless of case, SQL-looking names stored verbatim, updates",
        arguments: StoreBackend.available)
    func users(backend: StoreBackend) async throws {
        try await backend.withStore { store throws in
            let hostile = "Robert'); DROP TABLE users;--  \\' \" ` 😀"
            let alice = try await store.createUser(email: " Alice@Example.COM ", displayName: hostile, isAdmin: false,
                now: Clock.at(0.0005))
            #expect(alice.email == "alice@example.com")
            #expect(try await store.user(id: alice.id) == alice)
            #expect(try await store.user(email: "ALICE@example.com") == alice)
            #expect(try await store.user(email: "bob@example.com") == nil)
            await #expect(throws: StoreError.self) {
                _ = try await store.createUser(email: "alice@EXAMPLE.com", displayName: "again", isAdmin: false,
                    now: Clock.at(1))
            }
            do {
                _ = try await store.createUser(email: "alice@example.com", displayName: "again", isAdmin: false,
                    now: Clock.at(1))
            } catch let error as StoreError {
                guard case .duplicate = error else { throw error }
                #expect(error.code == "store.duplicate")
            }
            await #expect(throws: StoreError.invalid("an empty e-mail address")) {
                _ = try await store.createUser(email: "  ", displayName: "", isAdmin: false, now: Clock.at(1))
            }
            let sqlEmail = "x'; DELETE FROM users WHERE '1'='1@example.com"
            let bob = try await store.createUser(email: sqlEmail, displayName: "Bob", isAdmin: true, now: Clock.at(2))
            #expect(bob.email == "x'; delete from users where '1'='1@example.com")
            #expect(try await store.user(email: sqlEmail) == bob)
            #expect(try await store.users().map(\.email) == ["alice@example.com", bob.email])

            let renamed = try await store.updateUser(id: alice.id, displayName: "Alice", isAdmin: nil)
            #expect(renamed.displayName == "Alice" && !renamed.isAdmin)
            let promoted = try await store.updateUser(id: alice.id, displayName: nil, isAdmin: true)
            #expect(promoted.displayName == "Alice" && promoted.isAdmin)
            await #expect(throws: StoreError.notFound("user nobody")) {
                _ = try await store.updateUser(id: "nobody", displayName: "x", isAdmin: nil)
            }
        }
    }

    @Test("Sign-in codes: single use, expire, wrong guesses counted, a new code replaces the old",
        arguments: StoreBackend.available)
    func signInCodes(backend: StoreBackend) async throws {
        try await backend.withStore { store throws in
            let email = "carol@example.com"
            let right: [UInt8] = Array(repeating: 7, count: 32)
            let wrong: [UInt8] = Array(repeating: 8, count: 32)
            #expect(try await store.consumeSignInCode(email: email, codeHash: right, maximumAttempts: 3, now: Clock.at(0)) == .noCode)

            try await store.putSignInCode(email: email, codeHash: right, expiresAt: Clock.at(600), now: Clock.at(0))
            #expect(try await store.consumeSignInCode(email: "CAROL@example.com", codeHash: wrong, maximumAttempts: 3,
                now: Clock.at(10)) == .wrong(attemptsLeft: 2))
            #expect(try await store.consumeSignInCode(email: email, codeHash: Array(right.prefix(31)), maximumAttempts: 3,
                now: Clock.at(10)) == .wrong(attemptsLeft: 1))
            #expect(try await store.consumeSignInCode(email: email, codeHash: right, maximumAttempts: 3, now: Clock.at(20)) == .accepted)
            #expect(try await store.consumeSignInCode(email: email, codeHash: right, maximumAttempts: 3, now: Clock.at(21)) == .noCode)

            // Too many wrong guesses discard the code, even the right one afterwards.
            try await store.putSignInCode(email: email, codeHash: right, expiresAt: Clock.at(700), now: Clock.at(100))
            for left in [2, 1] {
                #expect(try await store.consumeSignInCode(email: email, codeHash: wrong, maximumAttempts: 3,
                    now: Clock.at(101)) == .wrong(attemptsLeft: left))
            }
            #expect(try await store.consumeSignInCode(email: email, codeHash: wrong, maximumAttempts: 3, now: Clock.at(102)) == .tooManyAttempts)
            #expect(try await store.consumeSignInCode(email: email, codeHash: right, maximumAttempts: 3, now: Clock.at(103)) == .noCode)

            // A new code resets the count; the old one no longer works.
            try await store.putSignInCode(email: email, codeHash: wrong, expiresAt: Clock.at(800), now: Clock.at(200))
            _ = try await store.consumeSignInCode(email: email, codeHash: right, maximumAttempts: 3, now: Clock.at(201))
            try await store.putSignInCode(email: email, codeHash: right, expiresAt: Clock.at(800), now: Clock.at(202))
            #expect(try await store.consumeSignInCode(email: email, codeHash: wrong, maximumAttempts: 3, now: Clock.at(203)) == .wrong(attemptsLeft: 2))

            // Expiry (the boundary instant is already expired).
            try await store.putSignInCode(email: email, codeHash: right, expiresAt: Clock.at(900), now: Clock.at(300))
            #expect(try await store.consumeSignInCode(email: email, codeHash: right, maximumAttempts: 3, now: Clock.at(900)) == .expired)
            #expect(try await store.consumeSignInCode(email: email, codeHash: right, maximumAttempts: 3, now: Clock.at(901)) == .noCode)
        }
    }

    @Test("Rate limits count per scope and subject within fixed windows", arguments: StoreBackend.available)
    func rateLimits(backend: StoreBackend) async throws {
        try await backend.withStore { store throws in
            for expected in 1...5 {
                #expect(try await store.countAttempt(scope: "signin.email", subject: "a@example.com", windowSeconds: 600,
                    now: Clock.at(Double(expected))) == expected)
            }
            #expect(try await store.countAttempt(scope: "signin.ip", subject: "a@example.com", windowSeconds: 600,
                now: Clock.at(6)) == 1)
            #expect(try await store.countAttempt(scope: "signin.email", subject: "b@example.com", windowSeconds: 600,
                now: Clock.at(6)) == 1)
            #expect(try await store.attempts(scope: "signin.email", subject: "a@example.com", windowSeconds: 600,
                now: Clock.at(7)) == 5)
            // Clock.start is a multiple of 600 s, so the next window starts at +600.
            #expect(try await store.attempts(scope: "signin.email", subject: "a@example.com", windowSeconds: 600,
                now: Clock.at(600)) == 0)
            #expect(try await store.countAttempt(scope: "signin.email", subject: "a@example.com", windowSeconds: 600,
                now: Clock.at(601)) == 1)
        }
    }

    @Test("Sessions: found by token hash until expired or revoked; listed per user; last seen",
        arguments: StoreBackend.available)
    func sessions(backend: StoreBackend) async throws {
        try await backend.withStore { store throws in
            let user = try await store.createUser(email: "dan@example.com", displayName: "Dan", isAdmin: false,
                now: Clock.at(0))
            let other = try await store.createUser(email: "eve@example.com", displayName: "Eve", isAdmin: false,
                now: Clock.at(0))
            let first = try await store.createSession(tokenHash: [1, 2, 3], userID: user.id, expiresAt: Clock.at(3600),
                userAgent: "meetclient/1", address: "127.0.0.1", now: Clock.at(0))
            let second = try await store.createSession(tokenHash: [4, 5, 6], userID: user.id, expiresAt: Clock.at(3600),
                userAgent: "Chromium", address: "::1", now: Clock.at(10))
            _ = try await store.createSession(tokenHash: [7], userID: other.id, expiresAt: Clock.at(3600),
                userAgent: "x", address: "y", now: Clock.at(10))
            await #expect(throws: StoreError.self) {
                _ = try await store.createSession(tokenHash: [1, 2, 3], userID: other.id, expiresAt: Clock.at(3600),
                    userAgent: "", address: "", now: Clock.at(11))
            }
            await #expect(throws: StoreError.self) {
                _ = try await store.createSession(tokenHash: [9], userID: "no such user", expiresAt: Clock.at(3600),
                    userAgent: "", address: "", now: Clock.at(11))
            }

            #expect(try await store.session(tokenHash: [1, 2, 3], now: Clock.at(20)) == first)
            #expect(try await store.session(tokenHash: [1, 2], now: Clock.at(20)) == nil)
            let seen = try await store.session(tokenHash: [1, 2, 3], now: Clock.at(120))
            #expect(seen?.lastSeenAt == Clock.at(120))
            #expect(try await store.session(tokenHash: [1, 2, 3], now: Clock.at(130))?.lastSeenAt == Clock.at(120))
            #expect(try await store.session(tokenHash: [1, 2, 3], now: Clock.at(3600)) == nil)

            #expect(try await store.sessions(userID: user.id, now: Clock.at(30)).map(\.id) == [second.id, first.id])
            #expect(try await store.revokeSession(id: first.id, userID: other.id, now: Clock.at(40)) == false)
            #expect(try await store.revokeSession(id: first.id, userID: user.id, now: Clock.at(40)) == true)
            #expect(try await store.revokeSession(id: first.id, userID: user.id, now: Clock.at(41)) == false)
            #expect(try await store.session(tokenHash: [1, 2, 3], now: Clock.at(42)) == nil)
            #expect(try await store.revokeSessions(userID: user.id, now: Clock.at(50)) == 1)
            #expect(try await store.sessions(userID: user.id, now: Clock.at(51)).isEmpty)
            #expect(try await store.session(tokenHash: [7], now: Clock.at(52)) != nil)
        }
    }

    @Test("Settings hold bytes and are replaced", arguments: StoreBackend.available)
    func settings(backend: StoreBackend) async throws {
        try await backend.withStore { store throws in
            #expect(try await store.setting("acme.account") == nil)
            try await store.setSetting("acme.account", value: [1, 2, 3], now: Clock.at(0))
            try await store.setSetting("acme.account", value: [4], now: Clock.at(1))
            try await store.setSetting("empty", value: [], now: Clock.at(1))
            #expect(try await store.setting("acme.account") == [4])
            #expect(try await store.setting("empty") == [])
        }
    }
}
