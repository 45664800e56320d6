import CSQLite

/// How the embedded SQLite database is opened.
public struct SQLiteConfiguration: Sendable, Hashable {
    /// How long a statement waits for another process's write lock before failing with ``DatabaseError/busy(_:)``.
    public var busyTimeoutMilliseconds: Int32
    /// `PRAGMA synchronous`: `FULL` (the default) makes every commit durable across power loss — the outbox and
    /// sessions must not vanish; `NORMAL` trades the last commits for speed.
    public var synchronous: String

    public init(busyTimeoutMilliseconds: Int32 = 5_000, synchronous: String = "FULL") {
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.synchronous = synchronous
    }
}

/// A SQLite connection: WAL journal (readers never block the writer, and a crash leaves the last committed state),
/// foreign keys enforced, a busy timeout, extended result codes (to tell a duplicate key from other constraint
/// failures), and a cache of prepared statements keyed by SQL text.
///
/// Confinement: the ``Database`` pool gives a connection to one caller at a time, so the handle is opened with
/// `SQLITE_OPEN_NOMUTEX` and needs no locking of its own.
final class SQLiteConnection: DatabaseConnection {
    let dialect: SQLDialect = .sqlite
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]

    /// `SQLITE_CONSTRAINT_PRIMARYKEY` and `SQLITE_CONSTRAINT_UNIQUE` (sqlite3.h: SQLITE_CONSTRAINT | (6<<8), (8<<8)).
    private static let constraintPrimaryKey: Int32 = 19 | (6 << 8)
    private static let constraintUnique: Int32 = 19 | (8 << 8)

    /// Opens (creating if needed) the database file at `path` and applies the connection settings.
    init(path: String, configuration: SQLiteConfiguration) throws(DatabaseError) {
        var opened: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &opened, flags, nil)
        guard status == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(opened)
            throw .connectionFailed("cannot open \(path): \(message)")
        }
        handle = opened
        sqlite3_extended_result_codes(opened, 1)
        sqlite3_busy_timeout(opened, configuration.busyTimeoutMilliseconds)
        do throws(DatabaseError) {
            let mode = try query("PRAGMA journal_mode=WAL", [])
            guard (try mode.first?.text("journal_mode"))?.lowercased() == "wal" else {
                throw DatabaseError.connectionFailed("\(path): SQLite refused the WAL journal mode")
            }
            try execute("PRAGMA foreign_keys=ON")
            let synchronous = configuration.synchronous.uppercased()
            guard ["OFF", "NORMAL", "FULL", "EXTRA"].contains(synchronous) else {
                throw DatabaseError.connectionFailed("unknown PRAGMA synchronous value \(configuration.synchronous)")
            }
            try execute("PRAGMA synchronous=\(synchronous)")
        } catch {
            close()
            throw error
        }
    }

    var isUsable: Bool { handle != nil }

    func checkAlive() -> Bool { handle != nil }

    func close() {
        for statement in statements.values { sqlite3_finalize(statement) }
        statements.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    deinit { close() }

    @discardableResult
    func execute(_ sql: String, _ parameters: [DatabaseValue]) throws(DatabaseError) -> ExecuteResult {
        let statement = try prepare(sql, parameters)
        defer { sqlite3_reset(statement) }
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            if status == SQLITE_ROW { continue }
            throw error(status, sql: sql)
        }
        return ExecuteResult(affectedRows: sqlite3_changes64(handle), lastInsertID: sqlite3_last_insert_rowid(handle))
    }

    func query(_ sql: String, _ parameters: [DatabaseValue]) throws(DatabaseError) -> [DatabaseRow] {
        let statement = try prepare(sql, parameters)
        defer { sqlite3_reset(statement) }
        let count = sqlite3_column_count(statement)
        let columns = (0..<count).map { index in sqlite3_column_name(statement, index).map { String(cString: $0) } ?? "" }
        var rows: [DatabaseRow] = []
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw error(status, sql: sql) }
            var values: [DatabaseValue] = []
            values.reserveCapacity(Int(count))
            for index in 0..<count {
                values.append(column(statement, index))
            }
            rows.append(DatabaseRow(columns: columns, values: values))
        }
        return rows
    }

    // MARK: - Statements

    private func prepare(_ sql: String, _ parameters: [DatabaseValue]) throws(DatabaseError) -> OpaquePointer {
        guard let handle else { throw .closed }
        let statement: OpaquePointer
        if let cached = statements[sql] {
            statement = cached
            sqlite3_reset(cached)
            sqlite3_clear_bindings(cached)
        } else {
            var prepared: OpaquePointer?
            let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
            guard status == SQLITE_OK, let prepared else { throw error(status, sql: sql) }
            if statements.count >= DatabaseLimits.cachedStatements {
                for cached in statements.values { sqlite3_finalize(cached) }
                statements.removeAll()
            }
            statements[sql] = prepared
            statement = prepared
        }
        let expected = Int(sqlite3_bind_parameter_count(statement))
        guard expected == parameters.count else {
            throw .statementFailed(code: SQLITE_RANGE,
                message: "\(sql): expects \(expected) parameters, \(parameters.count) given")
        }
        for (offset, value) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .null:
                status = sqlite3_bind_null(statement, index)
            case .integer(let integer):
                status = sqlite3_bind_int64(statement, index, integer)
            case .real(let real):
                status = sqlite3_bind_double(statement, index, real)
            case .text(let text):
                let bytes = Array(text.utf8)
                if bytes.isEmpty {
                    // An empty array has no base address, and a NULL pointer would bind NULL, not ''.
                    status = sqlite3_bind_text(statement, index, "", 0, meeting_sqlite_transient())
                } else {
                    status = bytes.withUnsafeBufferPointer { buffer in
                        buffer.withMemoryRebound(to: CChar.self) { chars in
                            sqlite3_bind_text(statement, index, chars.baseAddress, Int32(chars.count),
                                meeting_sqlite_transient())
                        }
                    }
                }
            case .blob(let bytes):
                if bytes.isEmpty {
                    status = sqlite3_bind_zeroblob(statement, index, 0)
                } else {
                    status = bytes.withUnsafeBytes { buffer in
                        sqlite3_bind_blob(statement, index, buffer.baseAddress, Int32(buffer.count),
                            meeting_sqlite_transient())
                    }
                }
            }
            guard status == SQLITE_OK else { throw error(status, sql: sql) }
        }
        return statement
    }

    private func column(_ statement: OpaquePointer, _ index: Int32) -> DatabaseValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(statement, index) else { return .text("") }
            let count = Int(sqlite3_column_bytes(statement, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, index))
            guard count > 0, let bytes = sqlite3_column_blob(statement, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default:
            return .null
        }
    }

    /// Maps a SQLite result code to a ``DatabaseError``, keeping SQLite's message and the statement.
    private func error(_ status: Int32, sql: String) -> DatabaseError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "no connection"
        let text = "\(message) [\(sql)]"
        switch status {
        case Self.constraintUnique, Self.constraintPrimaryKey:
            return .duplicateKey(text)
        case _ where status & 0xff == SQLITE_CONSTRAINT:
            return .constraintViolation(text)
        case _ where status & 0xff == SQLITE_BUSY || status & 0xff == SQLITE_LOCKED:
            return .busy(text)
        case _ where status & 0xff == SQLITE_CANTOPEN:
            return .connectionFailed(text)
        default:
            return .statementFailed(code: status, message: text)
        }
    }
}
