import Database
import Foundation

/// The ``Store`` over a ``Database`` — SQLite or MariaDB, the same code for both (dialect differences live in
/// `StoreDialect.swift` and the schema's column types).
///
/// Each operation is one transaction (or one read) run on the database's thread pool. Operations that several
/// apiservers may race on — claiming mail, due allocations, dead servers, consuming a code — either lock the rows
/// they read (`FOR UPDATE` on MariaDB; SQLite has one writer) or claim with a compare-and-set UPDATE whose matched
/// row count says who won.
public final class SQLStore: Store {
    public let database: Database

    /// Wraps an already migrated database.
    public init(database: Database) {
        self.database = database
    }

    /// Migrates `database` to ``APIStoreSchema/migrations`` and returns the store.
    public static func open(_ database: Database, now: Date) async throws(StoreError) -> SQLStore {
        do {
            try await MigrationRunner.migrate(database, APIStoreSchema.migrations, nowMilliseconds: now.unixMilliseconds)
        } catch {
            throw .database(error)
        }
        return SQLStore(database: database)
    }

    var dialect: SQLDialect { database.dialect }

    /// Runs `body` with a connection, outside a transaction (single reads).
    @discardableResult
    func read<Result: Sendable>(_ body: @escaping @Sendable (any DatabaseConnection) throws -> Result)
        async throws(StoreError) -> Result
    {
        do {
            return try await database.withConnection(body)
        } catch {
            throw StoreError(error)
        }
    }

    /// Runs `body` in a transaction, again when the database reports a deadlock or lock timeout (several
    /// apiservers writing the same rows; see ``Database/retryingTransaction(attempts:_:)``).
    @discardableResult
    func write<Result: Sendable>(_ body: @escaping @Sendable (any DatabaseConnection) throws -> Result)
        async throws(StoreError) -> Result
    {
        do {
            return try await database.retryingTransaction(body)
        } catch {
            throw StoreError(error)
        }
    }

    /// Compares two hashes in time that depends only on their lengths, so a guesser learns nothing from timing.
    static func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    // MARK: - Settings

    public func setting(_ name: String) async throws(StoreError) -> [UInt8]? {
        try await read { connection in
            try connection.queryFirst("SELECT value FROM settings WHERE name = ?", [.text(name)])?.blob("value")
        }
    }

    public func setSetting(_ name: String, value: [UInt8], now: Date) async throws(StoreError) {
        let sql = dialect.upsert(into: "settings", columns: ["name", "value", "updated_at"], key: ["name"],
            assignments: [("value", "new(value)"), ("updated_at", "new(updated_at)")])
        try await write { connection in
            try connection.execute(sql, [.text(name), .blob(value), .integer(now.unixMilliseconds)])
        }
    }
}

// MARK: - Row decoding

extension DatabaseRow {
    func date(_ column: String) throws(DatabaseError) -> Date { Date(unixMilliseconds: try integer(column)) }

    func optionalDate(_ column: String) throws(DatabaseError) -> Date? {
        try optionalInteger(column).map { Date(unixMilliseconds: $0) }
    }

    func enumeration<Value: RawRepresentable>(_ column: String, as type: Value.Type) throws(DatabaseError) -> Value
    where Value.RawValue == String {
        let text = try text(column)
        guard let value = Value(rawValue: text) else {
            throw .typeMismatch(column: column, expected: String(describing: Value.self), found: "text '\(text)'")
        }
        return value
    }

    func int(_ column: String) throws(DatabaseError) -> Int { Int(truncatingIfNeeded: try integer(column)) }
}

extension DatabaseValue {
    static func date(_ date: Date) -> DatabaseValue { .integer(date.unixMilliseconds) }
    static func optionalDate(_ date: Date?) -> DatabaseValue { date.map { .integer($0.unixMilliseconds) } ?? .null }
    static func int(_ value: Int) -> DatabaseValue { .integer(Int64(value)) }
}
