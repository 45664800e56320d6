import Database

/// The apiserver's tables, as numbered migrations (docs/architecture.md lists them). Times are unix milliseconds
/// (BIGINT), booleans 0/1, hashes VARBINARY, e-mail addresses normalized lowercase.
///
/// Add a change as a new migration at the end; never edit one that has shipped.
public enum APIStoreSchema {
    static let id = ColumnType.key(maximumLength: 64)
    static let email = ColumnType.key(maximumLength: 320)
    static let address = ColumnType.key(maximumLength: 300)
    static let hash = ColumnType.binaryKey(maximumLength: 64)
    static let word = ColumnType.key(maximumLength: 32)

    public static let migrations: [SchemaMigration] = [
        SchemaMigration(version: 1, name: "apiserver tables", steps: [
            .createTable(TableDefinition("users",
                columns: [
                    ColumnDefinition("id", id),
                    ColumnDefinition("email", email),
                    ColumnDefinition("display_name", .text),
                    ColumnDefinition("is_admin", .integer, default: "0"),
                    ColumnDefinition("created_at", .integer),
                ],
                primaryKey: ["id"], uniqueKeys: [["email"]])),
            .createTable(TableDefinition("sign_in_codes",
                columns: [
                    ColumnDefinition("email", email),
                    ColumnDefinition("code_hash", hash),
                    ColumnDefinition("created_at", .integer),
                    ColumnDefinition("expires_at", .integer),
                    ColumnDefinition("attempts", .integer, default: "0"),
                ],
                primaryKey: ["email"])),
            .createTable(TableDefinition("rate_limits",
                columns: [
                    ColumnDefinition("scope", word),
                    ColumnDefinition("subject", email),
                    ColumnDefinition("window_start", .integer),
                    ColumnDefinition("hits", .integer),
                ],
                primaryKey: ["scope", "subject", "window_start"])),
            .createTable(TableDefinition("sessions",
                columns: [
                    ColumnDefinition("id", id),
                    ColumnDefinition("token_hash", hash),
                    ColumnDefinition("user_id", id),
                    ColumnDefinition("created_at", .integer),
                    ColumnDefinition("last_seen_at", .integer),
                    ColumnDefinition("expires_at", .integer),
                    ColumnDefinition("revoked_at", .integer, nullable: true),
                    ColumnDefinition("user_agent", .text),
                    ColumnDefinition("address", .text),
                ],
                primaryKey: ["id"], uniqueKeys: [["token_hash"]], indexes: [["user_id"]],
                foreignKeys: [ForeignKeyDefinition(["user_id"], references: "users", ["id"])])),
            .createTable(TableDefinition("meetings",
                columns: [
                    ColumnDefinition("id", id),
                    ColumnDefinition("owner_id", id),
                    ColumnDefinition("kind", word),
                    // The owner's id for a personal room, NULL otherwise: unique, so one personal room per user
                    // (both backends allow many NULLs in a unique key).
                    ColumnDefinition("personal_owner", id, nullable: true),
                    ColumnDefinition("title", .text),
                    ColumnDefinition("begin_at", .integer, nullable: true),
                    ColumnDefinition("end_at", .integer, nullable: true),
                    ColumnDefinition("passcode_hash", hash, nullable: true),
                    ColumnDefinition("lobby_enabled", .integer),
                    ColumnDefinition("guests_allowed", .integer),
                    ColumnDefinition("cancelled", .integer),
                    ColumnDefinition("ics_sequence", .integer),
                    ColumnDefinition("created_at", .integer),
                    ColumnDefinition("updated_at", .integer),
                    ColumnDefinition("allocation_state", word),
                    ColumnDefinition("sfu_address", address, nullable: true),
                    ColumnDefinition("turn_address", address, nullable: true),
                    ColumnDefinition("fs_address", address, nullable: true),
                    ColumnDefinition("allocation_attempts", .integer),
                    ColumnDefinition("next_allocation_at", .integer, nullable: true),
                    ColumnDefinition("allocation_error", .text, nullable: true),
                ],
                primaryKey: ["id"], uniqueKeys: [["personal_owner"]],
                indexes: [["owner_id"], ["allocation_state", "next_allocation_at"], ["sfu_address"]],
                foreignKeys: [ForeignKeyDefinition(["owner_id"], references: "users", ["id"])])),
            .createTable(TableDefinition("meeting_invitees",
                columns: [ColumnDefinition("meeting_id", id), ColumnDefinition("email", email)],
                primaryKey: ["meeting_id", "email"], indexes: [["email"]],
                foreignKeys: [ForeignKeyDefinition(["meeting_id"], references: "meetings", ["id"])])),
            .createTable(TableDefinition("meeting_roles",
                columns: [
                    ColumnDefinition("meeting_id", id), ColumnDefinition("email", email), ColumnDefinition("role", word),
                ],
                primaryKey: ["meeting_id", "email"], indexes: [["email"]],
                foreignKeys: [ForeignKeyDefinition(["meeting_id"], references: "meetings", ["id"])])),
            .createTable(TableDefinition("lobby_entries",
                columns: [
                    ColumnDefinition("id", id),
                    ColumnDefinition("meeting_id", id),
                    ColumnDefinition("display_name", .text),
                    ColumnDefinition("user_id", id, nullable: true),
                    ColumnDefinition("state", word),
                    ColumnDefinition("created_at", .integer),
                    ColumnDefinition("decided_at", .integer, nullable: true),
                    ColumnDefinition("decided_by", id, nullable: true),
                ],
                primaryKey: ["id"], indexes: [["meeting_id", "state"]],
                foreignKeys: [ForeignKeyDefinition(["meeting_id"], references: "meetings", ["id"])])),
            .createTable(TableDefinition("servers",
                columns: [
                    ColumnDefinition("kind", word),
                    ColumnDefinition("id", id),
                    ColumnDefinition("address", address),
                    ColumnDefinition("capacity", .integer),
                    ColumnDefinition("current_load", .integer),
                    ColumnDefinition("state", word),
                    ColumnDefinition("registered_at", .integer),
                    ColumnDefinition("last_heartbeat_at", .integer),
                ],
                primaryKey: ["kind", "id"], indexes: [["state", "last_heartbeat_at"]])),
            .createTable(TableDefinition("mail_outbox",
                columns: [
                    ColumnDefinition("id", id),
                    ColumnDefinition("sender", .text),
                    // Envelope recipients, one per line (an address never contains a line break).
                    ColumnDefinition("recipients", .text),
                    ColumnDefinition("message", .blob),
                    ColumnDefinition("state", word),
                    ColumnDefinition("attempts", .integer),
                    ColumnDefinition("next_attempt_at", .integer),
                    ColumnDefinition("claimed_by", id, nullable: true),
                    ColumnDefinition("last_error", .text, nullable: true),
                    ColumnDefinition("created_at", .integer),
                    ColumnDefinition("sent_at", .integer, nullable: true),
                ],
                primaryKey: ["id"], indexes: [["state", "next_attempt_at"]])),
            .createTable(TableDefinition("settings",
                columns: [
                    ColumnDefinition("name", id),
                    ColumnDefinition("value", .blob),
                    ColumnDefinition("updated_at", .integer),
                ],
                primaryKey: ["name"])),
        ]),
    ]
}
