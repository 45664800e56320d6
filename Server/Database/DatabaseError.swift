/// Why a database operation failed. Each case keeps the server's own message (SQLite's `sqlite3_errmsg`,
/// MariaDB's `mysql_stmt_error`) so nothing is lost between the server and the log.
///
/// ``duplicateKey(_:)`` is its own case so callers can answer 409 Conflict when a unique key (an e-mail address, an
/// id) is already taken.
public enum DatabaseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A UNIQUE or PRIMARY KEY constraint refused the row (SQLite `SQLITE_CONSTRAINT_UNIQUE`/`_PRIMARYKEY`,
    /// MariaDB `ER_DUP_ENTRY` 1062).
    case duplicateKey(String)
    /// Another constraint refused the row: a foreign key, NOT NULL or CHECK.
    case constraintViolation(String)
    /// The database could not be opened or reached, or the connection was lost (MariaDB 2002/2003/2006/2013).
    case connectionFailed(String)
    /// The database stayed locked by another writer longer than the busy timeout, or a deadlock was detected.
    case busy(String)
    /// The server refused or failed a statement for another reason; `code` is the server's error number.
    case statementFailed(code: Int32, message: String)
    /// A row has no column of that name.
    case columnMissing(String)
    /// A column holds a value of another type than the accessor asked for.
    case typeMismatch(column: String, expected: String, found: String)
    /// The database's schema was written by a newer version of this program; running older code on it could
    /// damage it, so it is refused.
    case schemaTooNew(databaseVersion: Int, newestKnown: Int)
    /// A migration failed; `version` names it and `reason` is the underlying error.
    case migrationFailed(version: Int, reason: String)
    /// The database was closed or its thread pool stopped.
    case closed

    /// A stable, machine-readable code for logs and API error bodies.
    public var code: String {
        switch self {
        case .duplicateKey: "database.duplicate_key"
        case .constraintViolation: "database.constraint_violation"
        case .connectionFailed: "database.connection_failed"
        case .busy: "database.busy"
        case .statementFailed: "database.statement_failed"
        case .columnMissing: "database.column_missing"
        case .typeMismatch: "database.type_mismatch"
        case .schemaTooNew: "database.schema_too_new"
        case .migrationFailed: "database.migration_failed"
        case .closed: "database.closed"
        }
    }

    public var description: String {
        switch self {
        case .duplicateKey(let message): "duplicate key: \(message)"
        case .constraintViolation(let message): "constraint violated: \(message)"
        case .connectionFailed(let message): "database connection failed: \(message)"
        case .busy(let message): "database busy: \(message)"
        case .statementFailed(let code, let message): "statement failed (\(code)): \(message)"
        case .columnMissing(let name): "no column named \(name) in the row"
        case .typeMismatch(let column, let expected, let found):
            "column \(column) holds \(found), not \(expected)"
        case .schemaTooNew(let databaseVersion, let newestKnown):
            "the database schema is at version \(databaseVersion) but this program knows versions up to "
                + "\(newestKnown); upgrade the program instead of running an older one on this database"
        case .migrationFailed(let version, let reason): "migration \(version) failed: \(reason)"
        case .closed: "the database is closed"
        }
    }
}
