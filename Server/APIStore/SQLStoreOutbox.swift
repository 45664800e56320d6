import Database
import Foundation

/// The mail outbox shared by all apiservers.
extension SQLStore {
    static let outboxColumns = """
        id, sender, recipients, message, state, attempts, next_attempt_at, claimed_by, last_error, created_at, sent_at
        """

    static func outboxMessage(_ row: DatabaseRow) throws(DatabaseError) -> OutboxMessage {
        OutboxMessage(id: try row.text("id"), sender: try row.text("sender"),
            recipients: try row.text("recipients").split(separator: "\n").map(String.init),
            message: try row.blob("message"), state: try row.enumeration("state", as: OutboxState.self),
            attempts: try row.int("attempts"), nextAttemptAt: try row.date("next_attempt_at"),
            claimedBy: try row.optionalText("claimed_by"), lastError: try row.optionalText("last_error"),
            createdAt: try row.date("created_at"), sentAt: try row.optionalDate("sent_at"))
    }

    public func enqueueMail(_ message: OutboxMessage) async throws(StoreError) -> OutboxMessage {
        guard !message.recipients.isEmpty else { throw .invalid("a message without recipients") }
        for address in message.recipients + [message.sender]
        where address.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" }) {
            // Scalars, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n".
            throw .invalid("an envelope address with a line break")
        }
        var stored = message
        stored.nextAttemptAt = message.nextAttemptAt.storePrecision
        stored.createdAt = message.createdAt.storePrecision
        stored.sentAt = message.sentAt?.storePrecision
        let row = stored
        try await write { connection in
            try connection.execute("INSERT INTO mail_outbox (\(Self.outboxColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [.text(row.id), .text(row.sender), .text(row.recipients.joined(separator: "\n")), .blob(row.message),
                    .text(row.state.rawValue), .int(row.attempts), .date(row.nextAttemptAt), .optionalText(row.claimedBy),
                    .optionalText(row.lastError), .date(row.createdAt), .optionalDate(row.sentAt)])
        }
        return stored
    }

    public func outboxMessage(id: String) async throws(StoreError) -> OutboxMessage? {
        try await read { connection in
            try connection.queryFirst("SELECT \(Self.outboxColumns) FROM mail_outbox WHERE id = ?", [.text(id)])
                .map(Self.outboxMessage)
        }
    }

    public func claimMail(claimer: String, now: Date, leaseUntil: Date, limit: Int) async throws(StoreError)
        -> [OutboxMessage]
    {
        try await write { connection in
            let due = try connection.query("""
                SELECT id, next_attempt_at FROM mail_outbox WHERE state = ? AND next_attempt_at <= ?
                ORDER BY next_attempt_at, id LIMIT ?
                """, [.text(OutboxState.pending.rawValue), .date(now), .int(max(limit, 0))])
            var claimed: [OutboxMessage] = []
            for row in due {
                let id = try row.text("id")
                // Compare-and-set on the due time: if another apiserver claimed it since the SELECT, it moved.
                let result = try connection.execute("""
                    UPDATE mail_outbox SET next_attempt_at = ?, claimed_by = ?, attempts = attempts + 1
                    WHERE id = ? AND state = ? AND next_attempt_at = ?
                    """,
                    [.date(leaseUntil), .text(claimer), .text(id), .text(OutboxState.pending.rawValue),
                        try row.value("next_attempt_at")])
                guard result.affectedRows == 1,
                    let message = try connection.queryFirst(
                        "SELECT \(Self.outboxColumns) FROM mail_outbox WHERE id = ?", [.text(id)])
                else { continue }
                claimed.append(try Self.outboxMessage(message))
            }
            return claimed
        }
    }

    public func markMailSent(id: String, now: Date) async throws(StoreError) {
        try await update(id, "state = ?, sent_at = ?, claimed_by = NULL", [.text(OutboxState.sent.rawValue), .date(now)])
    }

    public func markMailRetry(id: String, error: String, nextAttemptAt: Date) async throws(StoreError) {
        try await update(id, "state = ?, next_attempt_at = ?, last_error = ?, claimed_by = NULL",
            [.text(OutboxState.pending.rawValue), .date(nextAttemptAt), .text(error)])
    }

    public func markMailFailed(id: String, error: String) async throws(StoreError) {
        try await update(id, "state = ?, last_error = ?, claimed_by = NULL",
            [.text(OutboxState.failed.rawValue), .text(error)])
    }

    private func update(_ id: String, _ assignments: String, _ values: [DatabaseValue]) async throws(StoreError) {
        try await write { connection in
            let result = try connection.execute("UPDATE mail_outbox SET \(assignments) WHERE id = ?", values + [.text(id)])
            guard result.affectedRows == 1 else { throw StoreError.notFound("outbox message \(id)") }
        }
    }
}
