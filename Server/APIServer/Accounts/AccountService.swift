import APIStore
import Foundation
import HTTPTypes
import Logging
import ServerKit

/// A signed-in caller: the user and the session their bearer token belongs to.
public struct SignedIn: Sendable, Hashable {
    public var user: User
    public var session: Session
}

/// Sign-in by e-mailed one-time code, sessions and display names.
struct AccountService: Sendable {
    let store: any Store
    let configuration: APIServerConfiguration
    let mail: MailComposer
    let logger: Logger

    /// Counts one event against `limit` in the database (shared by every apiserver); throws 429 past it.
    func limit(_ scope: String, _ subject: String, _ limit: RateLimit, what: String, now: Date) async throws {
        let count = try await store.countAttempt(scope: scope, subject: subject, windowSeconds: limit.windowSeconds,
            now: now)
        if count > limit.limit {
            throw APIError.rateLimited(what, retryAfter: limit.secondsLeft(now: now.unixSeconds))
        }
    }

    /// Whether `limit` is already used up, without counting.
    func check(_ scope: String, _ subject: String, _ limit: RateLimit, what: String, now: Date) async throws {
        let count = try await store.attempts(scope: scope, subject: subject, windowSeconds: limit.windowSeconds,
            now: now)
        if count >= limit.limit {
            throw APIError.rateLimited(what, retryAfter: limit.secondsLeft(now: now.unixSeconds))
        }
    }

    /// Sends a fresh code to `email` (through the outbox). Rate-limited per address and per client IP; the answer
    /// is the same whether or not the address has an account, so it reveals nothing.
    func requestCode(email rawEmail: String, clientIP: String, now: Date) async throws -> Date {
        let email = try EmailAddress.normalize(rawEmail)
        try await limit("signin.code.ip", clientIP, configuration.codeRequestsPerIP,
            what: "sign-in code requests from this address", now: now)
        try await limit("signin.code.email", email, configuration.codeRequestsPerEmail,
            what: "sign-in code requests for this e-mail", now: now)
        let code = SignInSecrets.newCode()
        let expiresAt = now.addingTimeInterval(TimeInterval(configuration.codeLifetime))
        try await store.putSignInCode(email: email, codeHash: configuration.signInSecrets.codeHash(email: email,
            code: code), expiresAt: expiresAt, now: now)
        _ = try await store.enqueueMail(mail.signInCode(to: email, code: code,
            validMinutes: Int(configuration.codeLifetime / 60), now: now))
        if configuration.logSignInCodes {
            logger.notice("sign-in code for \(email): \(code) (no mail server configured)")
        }
        configuration.onSignInCode?(email, code)
        return expiresAt
    }

    /// Checks a code and opens a session. Wrong guesses count against the code (discarded after
    /// ``APIServerConfiguration/codeAttempts``), against the address and against the client IP.
    func verifyCode(email rawEmail: String, code rawCode: String, clientIP: String, userAgent: String, now: Date)
        async throws -> (token: String, session: Session, user: User)
    {
        let email = try EmailAddress.normalize(rawEmail)
        try await check("signin.verify.ip", clientIP, configuration.verifyFailuresPerIP,
            what: "failed sign-in attempts from this address", now: now)
        try await check("signin.verify.email", email, configuration.verifyFailuresPerEmail,
            what: "failed sign-in attempts for this e-mail", now: now)
        let code = rawCode.filter { !$0.isWhitespace }
        let hash = configuration.signInSecrets.codeHash(email: email, code: code)
        let outcome = try await store.consumeSignInCode(email: email, codeHash: hash,
            maximumAttempts: configuration.codeAttempts, now: now)
        guard outcome == .accepted else {
            _ = try await store.countAttempt(scope: "signin.verify.ip", subject: clientIP,
                windowSeconds: configuration.verifyFailuresPerIP.windowSeconds, now: now)
            _ = try await store.countAttempt(scope: "signin.verify.email", subject: email,
                windowSeconds: configuration.verifyFailuresPerEmail.windowSeconds, now: now)
            if case .wrong(let left) = outcome { throw APIError.codeInvalid(attemptsLeft: left) }
            throw APIError.codeInvalid(attemptsLeft: 0)
        }
        let user = try await ensureUser(email: email, now: now)
        let (token, hash256) = SignInSecrets.newSessionToken()
        let session = try await store.createSession(tokenHash: hash256, userID: user.id,
            expiresAt: now.addingTimeInterval(TimeInterval(configuration.sessionLifetime)),
            userAgent: String(userAgent.prefix(200)), address: clientIP, now: now)
        return (token, session, user)
    }

    /// The user with this address, created on first sign-in (a concurrent creation by another apiserver is read).
    private func ensureUser(email: String, now: Date) async throws -> User {
        if let user = try await store.user(email: email) { return user }
        do {
            return try await store.createUser(email: email, displayName: EmailAddress.defaultDisplayName(email),
                isAdmin: configuration.admins.contains(email), now: now)
        } catch .duplicate {
            guard let user = try await store.user(email: email) else { throw APIError.internalError("user vanished") }
            return user
        }
    }

    /// The caller behind `Authorization: Bearer <token>`, or nil when there is no such header.
    func authenticate(authorization: String?, now: Date) async throws -> SignedIn? {
        guard let authorization else { return nil }
        guard authorization.hasPrefix("Bearer ") else { throw APIError.sessionInvalid }
        let token = String(authorization.dropFirst("Bearer ".count)).trimmingWhitespace()
        guard (20...200).contains(token.count) else { throw APIError.sessionInvalid }
        guard let session = try await store.session(tokenHash: SignInSecrets.sessionHash(token), now: now),
            let user = try await store.user(id: session.userID)
        else {
            throw APIError.sessionInvalid
        }
        return SignedIn(user: user, session: session)
    }
}

/// E-mail addresses as the apiserver accepts them: trimmed, lower-cased, one `@`, a dotted domain, no spaces,
/// control characters or header-breaking characters, at most 254 characters (RFC 5321 §4.5.3.1.3).
enum EmailAddressRules {
    static func normalize(_ text: String) throws(APIError) -> String {
        let email = text.trimmingWhitespace().lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            email.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && $0 != "<" && $0 != ">"
                && $0 != "," && $0 != ";" && $0 != "\"" && $0 != "\\" })
        else {
            throw APIError.badRequest("'\(text.prefix(80))' is not an e-mail address")
        }
        return email
    }

    /// The part before `@`, as a first display name.
    static func defaultDisplayName(_ email: String) -> String {
        String(email.split(separator: "@").first ?? Substring(email))
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var view = Substring(self)
        while view.first?.isWhitespace == true { view = view.dropFirst() }
        while view.last?.isWhitespace == true { view = view.dropLast() }
        return String(view)
    }
}

extension Date {
    /// Whole Unix seconds (JWT `exp`, allocateserver `BeginAt`).
    var unixSeconds: Int64 { Int64(timeIntervalSince1970.rounded(.down)) }
}
