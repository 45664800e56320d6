import Database
import Foundation

/// Users, sign-in codes, rate limits and sessions.
extension SQLStore {
    static let userColumns = "id, email, display_name, is_admin, created_at"

    static func user(_ row: DatabaseRow) throws(DatabaseError) -> User {
        User(id: try row.text("id"), email: try row.text("email"), displayName: try row.text("display_name"),
            isAdmin: try row.bool("is_admin"), createdAt: try row.date("created_at"))
    }

    // MARK: Users

    public func createUser(email: String, displayName: String, isAdmin: Bool, now: Date) async throws(StoreError)
        -> User
    {
        let email = EmailAddress.normalized(email)
        guard !email.isEmpty else { throw .invalid("an empty e-mail address") }
        let user = User(id: StoreID.random(), email: email, displayName: displayName, isAdmin: isAdmin,
            createdAt: now.storePrecision)
        try await write { connection in
            try connection.execute("INSERT INTO users (\(Self.userColumns)) VALUES (?, ?, ?, ?, ?)",
                [.text(user.id), .text(user.email), .text(user.displayName), .bool(user.isAdmin), .date(user.createdAt)])
        }
        return user
    }

    public func user(id: String) async throws(StoreError) -> User? {
        try await read { connection in
            try connection.queryFirst("SELECT \(Self.userColumns) FROM users WHERE id = ?", [.text(id)]).map(Self.user)
        }
    }

    public func user(email: String) async throws(StoreError) -> User? {
        let email = EmailAddress.normalized(email)
        return try await read { connection in
            try connection.queryFirst("SELECT \(Self.userColumns) FROM users WHERE email = ?", [.text(email)])
                .map(Self.user)
        }
    }

    public func users() async throws(StoreError) -> [User] {
        try await read { connection in
            try connection.query("SELECT \(Self.userColumns) FROM users ORDER BY email", []).map(Self.user)
        }
    }

    public func updateUser(id: String, displayName: String?, isAdmin: Bool?) async throws(StoreError) -> User {
        try await write { connection in
            let result = try connection.execute(
                "UPDATE users SET display_name = COALESCE(?, display_name), is_admin = COALESCE(?, is_admin) WHERE id = ?",
                [.optionalText(displayName), isAdmin.map { .bool($0) } ?? .null, .text(id)])
            guard result.affectedRows == 1,
                let row = try connection.queryFirst("SELECT \(Self.userColumns) FROM users WHERE id = ?", [.text(id)])
            else { throw StoreError.notFound("user \(id)") }
            return try Self.user(row)
        }
    }

    // MARK: Sign-in codes

    public func putSignInCode(email: String, codeHash: [UInt8], expiresAt: Date, now: Date) async throws(StoreError) {
        let email = EmailAddress.normalized(email)
        let sql = dialect.upsert(into: "sign_in_codes",
            columns: ["email", "code_hash", "created_at", "expires_at", "attempts"], key: ["email"],
            assignments: [("code_hash", "new(code_hash)"), ("created_at", "new(created_at)"),
                ("expires_at", "new(expires_at)"), ("attempts", "0")])
        try await write { connection in
            try connection.execute(sql, [.text(email), .blob(codeHash), .date(now), .date(expiresAt), .integer(0)])
        }
    }

    public func consumeSignInCode(email: String, codeHash: [UInt8], maximumAttempts: Int, now: Date)
        async throws(StoreError) -> SignInCodeCheck
    {
        let email = EmailAddress.normalized(email)
        let forUpdate = dialect.forUpdate
        return try await write { connection -> SignInCodeCheck in
            guard let row = try connection.queryFirst(
                "SELECT code_hash, expires_at, attempts FROM sign_in_codes WHERE email = ?\(forUpdate)", [.text(email)])
            else { return .noCode }
            let delete = "DELETE FROM sign_in_codes WHERE email = ?"
            if try row.integer("expires_at") <= now.unixMilliseconds {
                try connection.execute(delete, [.text(email)])
                return .expired
            }
            if Self.constantTimeEqual(try row.blob("code_hash"), codeHash) {
                try connection.execute(delete, [.text(email)])
                return .accepted
            }
            let attempts = try row.int("attempts") + 1
            if attempts >= maximumAttempts {
                try connection.execute(delete, [.text(email)])
                return .tooManyAttempts
            }
            try connection.execute("UPDATE sign_in_codes SET attempts = ? WHERE email = ?", [.int(attempts), .text(email)])
            return .wrong(attemptsLeft: maximumAttempts - attempts)
        }
    }

    // MARK: Rate limits

    private static func windowStart(_ now: Date, _ windowSeconds: Int64) -> Int64 {
        let milliseconds = now.unixMilliseconds
        let window = max(windowSeconds, 1) * 1000
        return milliseconds - ((milliseconds % window) + window) % window
    }

    public func countAttempt(scope: String, subject: String, windowSeconds: Int64, now: Date)
        async throws(StoreError) -> Int
    {
        let start = Self.windowStart(now, windowSeconds)
        let sql = dialect.upsert(into: "rate_limits", columns: ["scope", "subject", "window_start", "hits"],
            key: ["scope", "subject", "window_start"], assignments: [("hits", "hits + 1")])
        return try await write { connection in
            // Earlier windows of this subject are over; drop them so the table only holds current windows.
            try connection.execute("DELETE FROM rate_limits WHERE scope = ? AND subject = ? AND window_start < ?",
                [.text(scope), .text(subject), .integer(start)])
            try connection.execute(sql, [.text(scope), .text(subject), .integer(start), .integer(1)])
            let row = try connection.queryFirst(
                "SELECT hits FROM rate_limits WHERE scope = ? AND subject = ? AND window_start = ?",
                [.text(scope), .text(subject), .integer(start)])
            return try row?.int("hits") ?? 0
        }
    }

    public func attempts(scope: String, subject: String, windowSeconds: Int64, now: Date) async throws(StoreError)
        -> Int
    {
        let start = Self.windowStart(now, windowSeconds)
        return try await read { connection in
            try connection.queryFirst("SELECT hits FROM rate_limits WHERE scope = ? AND subject = ? AND window_start = ?",
                [.text(scope), .text(subject), .integer(start)])?.int("hits") ?? 0
        }
    }

    // MARK: Sessions

    static let sessionColumns = "id, user_id, created_at, last_seen_at, expires_at, revoked_at, user_agent, address"

    /// Last-seen times are written at most this often per session.
    static let lastSeenResolutionMilliseconds: Int64 = 60_000

    static func session(_ row: DatabaseRow) throws(DatabaseError) -> Session {
        Session(id: try row.text("id"), userID: try row.text("user_id"), createdAt: try row.date("created_at"),
            lastSeenAt: try row.date("last_seen_at"), expiresAt: try row.date("expires_at"),
            revokedAt: try row.optionalDate("revoked_at"), userAgent: try row.text("user_agent"),
            address: try row.text("address"))
    }

    public func createSession(tokenHash: [UInt8], userID: String, expiresAt: Date, userAgent: String, address: String,
        now: Date) async throws(StoreError) -> Session
    {
        let session = Session(id: StoreID.random(), userID: userID, createdAt: now.storePrecision,
            lastSeenAt: now.storePrecision, expiresAt: expiresAt.storePrecision, revokedAt: nil, userAgent: userAgent,
            address: address)
        try await write { connection in
            try connection.execute("INSERT INTO sessions (\(Self.sessionColumns), token_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [.text(session.id), .text(userID), .date(session.createdAt), .date(session.lastSeenAt),
                    .date(session.expiresAt), .null, .text(userAgent), .text(address), .blob(tokenHash)])
        }
        return session
    }

    public func session(tokenHash: [UInt8], now: Date) async throws(StoreError) -> Session? {
        let nowMilliseconds = now.unixMilliseconds
        let found = try await read { connection in
            try connection.queryFirst(
                "SELECT \(Self.sessionColumns) FROM sessions WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?",
                [.blob(tokenHash), .integer(nowMilliseconds)]).map(Self.session)
        }
        guard var session = found else { return nil }
        if nowMilliseconds - session.lastSeenAt.unixMilliseconds >= Self.lastSeenResolutionMilliseconds {
            let id = session.id
            try await write { connection in
                try connection.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?",
                    [.integer(nowMilliseconds), .text(id), .integer(nowMilliseconds)])
            }
            session.lastSeenAt = now.storePrecision
        }
        return session
    }

    public func sessions(userID: String, now: Date) async throws(StoreError) -> [Session] {
        try await read { connection in
            try connection.query("""
                SELECT \(Self.sessionColumns) FROM sessions
                WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC, id
                """, [.text(userID), .date(now)]).map(Self.session)
        }
    }

    public func revokeSession(id: String, userID: String, now: Date) async throws(StoreError) -> Bool {
        try await write { connection in
            try connection.execute(
                "UPDATE sessions SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
                [.date(now), .text(id), .text(userID)]).affectedRows == 1
        }
    }

    public func revokeSessions(userID: String, now: Date) async throws(StoreError) -> Int {
        try await write { connection in
            Int(try connection.execute(
                "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?",
                [.date(now), .text(userID), .date(now)]).affectedRows)
        }
    }
}
