/// Which SQL the server speaks. The few places where SQLite and MariaDB differ (column types, upserts, the
/// transaction start) ask the dialect instead of scattering `if`s.
public enum SQLDialect: String, Sendable, Hashable {
    case sqlite
    case mysql

    /// The statement that starts a read-write transaction. SQLite's `BEGIN IMMEDIATE` takes the write lock at once,
    /// so two transactions never deadlock upgrading read locks; MariaDB's InnoDB locks rows as they are touched.
    public var beginTransaction: String {
        switch self {
        case .sqlite: "BEGIN IMMEDIATE"
        case .mysql: "START TRANSACTION"
        }
    }
}

/// What an INSERT/UPDATE/DELETE changed.
public struct ExecuteResult: Sendable, Hashable {
    /// Rows matched by the statement's WHERE (MariaDB connections use `CLIENT_FOUND_ROWS`, so an UPDATE that
    /// matches a row but changes nothing counts 1, as in SQLite).
    public var affectedRows: Int64
    /// The last auto-increment id, where the table has one.
    public var lastInsertID: Int64

    public init(affectedRows: Int64, lastInsertID: Int64) {
        self.affectedRows = affectedRows
        self.lastInsertID = lastInsertID
    }
}

/// One open connection to a database, used by one thread at a time: the ``Database`` pool hands it to exactly one
/// caller, on a thread of its thread pool, and the calls block that thread (never an event loop).
///
/// SQL uses `?` placeholders in both dialects; `parameters` are bound to them in order through a prepared
/// statement, which each connection caches by SQL text.
public protocol DatabaseConnection: AnyObject {
    /// The dialect this connection speaks.
    var dialect: SQLDialect { get }

    /// Runs a statement that returns no rows.
    @discardableResult
    func execute(_ sql: String, _ parameters: [DatabaseValue]) throws(DatabaseError) -> ExecuteResult

    /// Runs a statement and returns all its rows.
    func query(_ sql: String, _ parameters: [DatabaseValue]) throws(DatabaseError) -> [DatabaseRow]

    /// Whether the connection can still be used; a connection that lost its server answers `false` and the pool
    /// replaces it.
    var isUsable: Bool { get }

    /// Checks the connection after it sat idle in the pool (MariaDB: `mysql_ping`); returns `false` if it is dead.
    func checkAlive() -> Bool

    /// Releases statements and the connection itself. Called once, by the pool.
    func close()
}

extension DatabaseConnection {
    /// Runs a statement without parameters.
    @discardableResult
    public func execute(_ sql: String) throws(DatabaseError) -> ExecuteResult {
        try execute(sql, [])
    }

    /// The first row of a query, or `nil`.
    public func queryFirst(_ sql: String, _ parameters: [DatabaseValue] = []) throws(DatabaseError) -> DatabaseRow? {
        try query(sql, parameters).first
    }
}

/// Bounds shared by both backends.
enum DatabaseLimits {
    /// Prepared statements a connection keeps; when full, the cache is emptied and refilled by use (the store's SQL
    /// is a fixed set of about a hundred statements, so this only trips on generated SQL).
    static let cachedStatements = 512
}
