import Database
import Foundation

/// Meetings, their allocation, invitees, roles and lobby.
extension SQLStore {
    static let meetingColumns = """
        id, owner_id, kind, personal_owner, title, begin_at, end_at, passcode_hash, lobby_enabled, guests_allowed, \
        cancelled, ics_sequence, created_at, updated_at, allocation_state, sfu_address, turn_address, fs_address, \
        allocation_attempts, next_allocation_at, allocation_error
        """

    static func meeting(_ row: DatabaseRow) throws(DatabaseError) -> Meeting {
        Meeting(id: try row.text("id"), ownerID: try row.text("owner_id"),
            kind: try row.enumeration("kind", as: MeetingKind.self), title: try row.text("title"),
            beginAt: try row.optionalDate("begin_at"), endAt: try row.optionalDate("end_at"),
            passcodeHash: try row.optionalBlob("passcode_hash"), lobbyEnabled: try row.bool("lobby_enabled"),
            guestsAllowed: try row.bool("guests_allowed"), cancelled: try row.bool("cancelled"),
            sequence: try row.int("ics_sequence"), createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"),
            allocationState: try row.enumeration("allocation_state", as: AllocationState.self),
            sfuAddress: try row.optionalText("sfu_address"), turnAddress: try row.optionalText("turn_address"),
            fsAddress: try row.optionalText("fs_address"), allocationAttempts: try row.int("allocation_attempts"),
            nextAllocationAt: try row.optionalDate("next_allocation_at"),
            allocationError: try row.optionalText("allocation_error"))
    }

    static func meeting(id: String, _ connection: any DatabaseConnection, forUpdate: String = "") throws -> Meeting {
        guard let row = try connection.queryFirst("SELECT \(meetingColumns) FROM meetings WHERE id = ?\(forUpdate)",
            [.text(id)])
        else { throw StoreError.notFound("meeting \(id)") }
        return try meeting(row)
    }

    public func createMeeting(_ meeting: Meeting) async throws(StoreError) -> Meeting {
        var stored = meeting
        stored.createdAt = meeting.createdAt.storePrecision
        stored.updatedAt = meeting.updatedAt.storePrecision
        stored.beginAt = meeting.beginAt?.storePrecision
        stored.endAt = meeting.endAt?.storePrecision
        stored.nextAllocationAt = meeting.nextAllocationAt?.storePrecision
        let row = stored
        try await write { connection in
            try connection.execute("""
                INSERT INTO meetings (\(Self.meetingColumns))
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(row.id), .text(row.ownerID), .text(row.kind.rawValue),
                    row.kind == .personal ? .text(row.ownerID) : .null, .text(row.title), .optionalDate(row.beginAt),
                    .optionalDate(row.endAt), .optionalBlob(row.passcodeHash), .bool(row.lobbyEnabled),
                    .bool(row.guestsAllowed), .bool(row.cancelled), .int(row.sequence), .date(row.createdAt),
                    .date(row.updatedAt), .text(row.allocationState.rawValue), .optionalText(row.sfuAddress),
                    .optionalText(row.turnAddress), .optionalText(row.fsAddress), .int(row.allocationAttempts),
                    .optionalDate(row.nextAllocationAt), .optionalText(row.allocationError),
                ])
        }
        return stored
    }

    public func meeting(id: String) async throws(StoreError) -> Meeting? {
        try await read { connection in
            try connection.queryFirst("SELECT \(Self.meetingColumns) FROM meetings WHERE id = ?", [.text(id)])
                .map(Self.meeting)
        }
    }

    public func personalRoom(ownerID: String) async throws(StoreError) -> Meeting? {
        try await read { connection in
            try connection.queryFirst("SELECT \(Self.meetingColumns) FROM meetings WHERE personal_owner = ?",
                [.text(ownerID)]).map(Self.meeting)
        }
    }

    public func meetings(ownerID: String, includeCancelled: Bool) async throws(StoreError) -> [Meeting] {
        try await read { connection in
            try connection.query("""
                SELECT \(Self.meetingColumns) FROM meetings WHERE owner_id = ? AND (cancelled = 0 OR ? = 1)
                ORDER BY COALESCE(begin_at, 0), created_at, id
                """, [.text(ownerID), .bool(includeCancelled)]).map(Self.meeting)
        }
    }

    public func meetings(inviteeEmail: String, includeCancelled: Bool) async throws(StoreError) -> [Meeting] {
        let email = EmailAddress.normalized(inviteeEmail)
        return try await read { connection in
            try connection.query("""
                SELECT \(Self.meetingColumns) FROM meetings
                WHERE (id IN (SELECT meeting_id FROM meeting_invitees WHERE email = ?)
                    OR id IN (SELECT meeting_id FROM meeting_roles WHERE email = ?))
                  AND (cancelled = 0 OR ? = 1)
                ORDER BY COALESCE(begin_at, 0), created_at, id
                """, [.text(email), .text(email), .bool(includeCancelled)]).map(Self.meeting)
        }
    }

    public func updateMeeting(_ meeting: Meeting, now: Date) async throws(StoreError) -> Meeting {
        try await write { connection in
            let result = try connection.execute("""
                UPDATE meetings SET title = ?, begin_at = ?, end_at = ?, passcode_hash = ?, lobby_enabled = ?,
                  guests_allowed = ?, ics_sequence = ics_sequence + 1, updated_at = ?
                WHERE id = ?
                """,
                [
                    .text(meeting.title), .optionalDate(meeting.beginAt), .optionalDate(meeting.endAt),
                    .optionalBlob(meeting.passcodeHash), .bool(meeting.lobbyEnabled), .bool(meeting.guestsAllowed),
                    .date(now), .text(meeting.id),
                ])
            guard result.affectedRows == 1 else { throw StoreError.notFound("meeting \(meeting.id)") }
            return try Self.meeting(id: meeting.id, connection)
        }
    }

    public func cancelMeeting(id: String, now: Date) async throws(StoreError) -> Meeting {
        try await write { connection in
            try connection.execute(
                "UPDATE meetings SET cancelled = 1, ics_sequence = ics_sequence + 1, updated_at = ? WHERE id = ? AND cancelled = 0",
                [.date(now), .text(id)])
            return try Self.meeting(id: id, connection)
        }
    }

    public func setAllocation(meetingID: String, sfu: String, turn: String, fs: String?, now: Date)
        async throws(StoreError) -> Meeting
    {
        try await write { connection in
            let result = try connection.execute("""
                UPDATE meetings SET allocation_state = ?, sfu_address = ?, turn_address = ?,
                  fs_address = COALESCE(?, fs_address), allocation_attempts = 0, next_allocation_at = NULL,
                  allocation_error = NULL, updated_at = ?
                WHERE id = ?
                """,
                [.text(AllocationState.allocated.rawValue), .text(sfu), .text(turn), .optionalText(fs), .date(now),
                    .text(meetingID)])
            guard result.affectedRows == 1 else { throw StoreError.notFound("meeting \(meetingID)") }
            return try Self.meeting(id: meetingID, connection)
        }
    }

    public func setAllocationPending(meetingID: String, error: String, nextAttemptAt: Date, now: Date)
        async throws(StoreError) -> Meeting
    {
        try await write { connection in
            let result = try connection.execute("""
                UPDATE meetings SET allocation_state = ?, allocation_attempts = allocation_attempts + 1,
                  next_allocation_at = ?, allocation_error = ?, updated_at = ?
                WHERE id = ?
                """,
                [.text(AllocationState.pending.rawValue), .date(nextAttemptAt), .text(error), .date(now),
                    .text(meetingID)])
            guard result.affectedRows == 1 else { throw StoreError.notFound("meeting \(meetingID)") }
            return try Self.meeting(id: meetingID, connection)
        }
    }

    public func claimDueAllocations(now: Date, leaseUntil: Date, limit: Int) async throws(StoreError) -> [Meeting] {
        try await write { connection in
            let due = try connection.query("""
                SELECT id, next_allocation_at FROM meetings
                WHERE allocation_state = ? AND cancelled = 0 AND next_allocation_at IS NOT NULL AND next_allocation_at <= ?
                ORDER BY next_allocation_at, id LIMIT ?
                """, [.text(AllocationState.pending.rawValue), .date(now), .int(max(limit, 0))])
            var claimed: [Meeting] = []
            for row in due {
                let id = try row.text("id")
                let result = try connection.execute("""
                    UPDATE meetings SET next_allocation_at = ?
                    WHERE id = ? AND allocation_state = ? AND next_allocation_at = ?
                    """,
                    [.date(leaseUntil), .text(id), .text(AllocationState.pending.rawValue),
                        try row.value("next_allocation_at")])
                if result.affectedRows == 1 { claimed.append(try Self.meeting(id: id, connection)) }
            }
            return claimed
        }
    }

    public func meetings(sfuAddress: String) async throws(StoreError) -> [Meeting] {
        try await read { connection in
            try connection.query("""
                SELECT \(Self.meetingColumns) FROM meetings WHERE sfu_address = ? AND cancelled = 0 ORDER BY id
                """, [.text(sfuAddress)]).map(Self.meeting)
        }
    }

    // MARK: Invitees and roles

    public func setInvitees(meetingID: String, emails: [String]) async throws(StoreError) {
        let normalized = Array(Set(emails.map(EmailAddress.normalized).filter { !$0.isEmpty })).sorted()
        try await write { connection in
            _ = try Self.meeting(id: meetingID, connection)
            try connection.execute("DELETE FROM meeting_invitees WHERE meeting_id = ?", [.text(meetingID)])
            for email in normalized {
                try connection.execute("INSERT INTO meeting_invitees (meeting_id, email) VALUES (?, ?)",
                    [.text(meetingID), .text(email)])
            }
        }
    }

    public func invitees(meetingID: String) async throws(StoreError) -> [String] {
        try await read { connection in
            try connection.query("SELECT email FROM meeting_invitees WHERE meeting_id = ? ORDER BY email",
                [.text(meetingID)]).map { row throws(DatabaseError) in try row.text("email") }
        }
    }

    public func setRole(meetingID: String, email: String, role: ParticipantRole) async throws(StoreError) {
        let email = EmailAddress.normalized(email)
        let sql = dialect.upsert(into: "meeting_roles", columns: ["meeting_id", "email", "role"],
            key: ["meeting_id", "email"], assignments: [("role", "new(role)")])
        try await write { connection in
            _ = try Self.meeting(id: meetingID, connection)
            try connection.execute(sql, [.text(meetingID), .text(email), .text(role.rawValue)])
        }
    }

    public func removeRole(meetingID: String, email: String) async throws(StoreError) {
        let email = EmailAddress.normalized(email)
        try await write { connection in
            try connection.execute("DELETE FROM meeting_roles WHERE meeting_id = ? AND email = ?",
                [.text(meetingID), .text(email)])
        }
    }

    public func role(meetingID: String, email: String) async throws(StoreError) -> ParticipantRole? {
        let email = EmailAddress.normalized(email)
        return try await read { connection in
            try connection.queryFirst("SELECT role FROM meeting_roles WHERE meeting_id = ? AND email = ?",
                [.text(meetingID), .text(email)])?.enumeration("role", as: ParticipantRole.self)
        }
    }

    public func roles(meetingID: String) async throws(StoreError) -> [RoleAssignment] {
        try await read { connection in
            try connection.query("SELECT meeting_id, email, role FROM meeting_roles WHERE meeting_id = ? ORDER BY email",
                [.text(meetingID)]).map { row throws(DatabaseError) in
                    RoleAssignment(meetingID: try row.text("meeting_id"), email: try row.text("email"),
                        role: try row.enumeration("role", as: ParticipantRole.self))
                }
        }
    }

    // MARK: Lobby

    static let lobbyColumns = "id, meeting_id, display_name, user_id, state, created_at, decided_at, decided_by"

    static func lobbyEntry(_ row: DatabaseRow) throws(DatabaseError) -> LobbyEntry {
        LobbyEntry(id: try row.text("id"), meetingID: try row.text("meeting_id"),
            displayName: try row.text("display_name"), userID: try row.optionalText("user_id"),
            state: try row.enumeration("state", as: LobbyState.self), createdAt: try row.date("created_at"),
            decidedAt: try row.optionalDate("decided_at"), decidedBy: try row.optionalText("decided_by"))
    }

    public func enterLobby(_ entry: LobbyEntry) async throws(StoreError) -> LobbyEntry {
        var stored = entry
        stored.createdAt = entry.createdAt.storePrecision
        stored.decidedAt = entry.decidedAt?.storePrecision
        let row = stored
        try await write { connection in
            try connection.execute("INSERT INTO lobby_entries (\(Self.lobbyColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [.text(row.id), .text(row.meetingID), .text(row.displayName), .optionalText(row.userID),
                    .text(row.state.rawValue), .date(row.createdAt), .optionalDate(row.decidedAt),
                    .optionalText(row.decidedBy)])
        }
        return stored
    }

    public func lobbyEntry(id: String) async throws(StoreError) -> LobbyEntry? {
        try await read { connection in
            try connection.queryFirst("SELECT \(Self.lobbyColumns) FROM lobby_entries WHERE id = ?", [.text(id)])
                .map(Self.lobbyEntry)
        }
    }

    public func lobbyEntries(meetingID: String, state: LobbyState?) async throws(StoreError) -> [LobbyEntry] {
        try await read { connection in
            try connection.query("""
                SELECT \(Self.lobbyColumns) FROM lobby_entries WHERE meeting_id = ? AND (? IS NULL OR state = ?)
                ORDER BY created_at, id
                """, [.text(meetingID), .optionalText(state?.rawValue), .optionalText(state?.rawValue)])
                .map(Self.lobbyEntry)
        }
    }

    public func decideLobbyEntry(id: String, admit: Bool, decidedBy: String, now: Date) async throws(StoreError)
        -> LobbyEntry?
    {
        try await write { connection in
            let result = try connection.execute("""
                UPDATE lobby_entries SET state = ?, decided_at = ?, decided_by = ? WHERE id = ? AND state = ?
                """,
                [.text((admit ? LobbyState.admitted : .denied).rawValue), .date(now), .text(decidedBy), .text(id),
                    .text(LobbyState.waiting.rawValue)])
            guard result.affectedRows == 1 else { return nil }
            return try connection.queryFirst("SELECT \(Self.lobbyColumns) FROM lobby_entries WHERE id = ?", [.text(id)])
                .map(Self.lobbyEntry)
        }
    }
}
