import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A database: a pool of connections of one backend (SQLite or MySQL/MariaDB) and the threads that run their
/// blocking C calls, so that no call ever blocks an event loop or the Swift concurrency pool.
///
/// Work is handed in as synchronous closures that receive a ``DatabaseConnection`` on a pool thread:
/// ``withConnection(_:)`` for single statements, ``transaction(_:)`` for several that commit or roll back together.
/// Keeping the closures synchronous means a transaction can never wait on the network or another actor while it
/// holds locks.
///
/// SQLite gets one connection — SQLite has one writer at a time, and one connection in WAL mode keeps every
/// transaction serial without SQLITE_BUSY races — while MariaDB gets a pool (``MariaDBConfiguration/maximumConnections``).
public final class Database: Sendable {
    /// The dialect of the backend.
    public let dialect: SQLDialect
    private let pool: ConnectionPool
    private let threadPool: NIOThreadPool

    private init(dialect: SQLDialect, maximumConnections: Int,
        factory: @escaping @Sendable () throws(DatabaseError) -> any DatabaseConnection)
    {
        self.dialect = dialect
        let threads = max(1, maximumConnections)
        self.threadPool = NIOThreadPool(numberOfThreads: threads)
        self.threadPool.start()
        self.pool = ConnectionPool(maximumConnections: threads, factory: factory)
    }

    /// Opens (creating it if needed) the SQLite database at `path` — the apiserver's embedded default in `--data`.
    /// The first connection is opened here, so a bad path fails now rather than at the first request.
    public static func sqlite(path: String, configuration: SQLiteConfiguration = SQLiteConfiguration())
        async throws(DatabaseError) -> Database
    {
        let database = Database(dialect: .sqlite, maximumConnections: 1) { () throws(DatabaseError) in
            try SQLiteConnection(path: path, configuration: configuration)
        }
        try await database.checkConnection()
        return database
    }

    /// Connects to MySQL/MariaDB. The first connection is opened here, so wrong credentials fail now.
    public static func mariaDB(_ configuration: MariaDBConfiguration) async throws(DatabaseError) -> Database {
        let database = Database(dialect: .mysql, maximumConnections: configuration.maximumConnections)
        { () throws(DatabaseError) in
            try MariaDBConnection(configuration: configuration)
        }
        try await database.checkConnection()
        return database
    }

    private func checkConnection() async throws(DatabaseError) {
        do {
            _ = try await query("SELECT 1 AS one")
        } catch {
            await close()
            throw error
        }
    }

    /// Runs `body` with a connection of its own on a pool thread and returns what it returns. Errors thrown by
    /// `body` come back unchanged; failures of the pool itself are ``DatabaseError``s.
    public func withConnection<Result: Sendable>(
        _ body: @escaping @Sendable (any DatabaseConnection) throws -> Result
    ) async throws -> Result {
        let lease = await pool.checkOut()
        if case .closed = lease { throw DatabaseError.closed }
        let pool = self.pool
        do {
            return try await threadPool.runIfActive {
                let pooled: PooledConnection
                do {
                    pooled = try pool.prepare(lease)
                } catch {
                    throw LeaseUsed(error: error)
                }
                do {
                    let result = try body(pooled.connection)
                    pool.checkIn(pooled)
                    return result
                } catch {
                    pool.checkIn(pooled)
                    throw LeaseUsed(error: error)
                }
            }
        } catch let used as LeaseUsed {
            throw used.error
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            pool.release(lease)
            throw DatabaseError.closed
        } catch let error as CancellationError {
            // runIfActive refuses work with CancellationError once the thread pool shut down (a close() that
            // raced this call) or when the task was cancelled before the work started; the lease is unused.
            pool.release(lease)
            throw pool.isClosed ? DatabaseError.closed : error
        }
    }

    /// Runs `body` inside a transaction: committed when `body` returns, rolled back when it throws (and the error
    /// rethrown). SQLite starts it with `BEGIN IMMEDIATE`, MariaDB with `START TRANSACTION`.
    public func transaction<Result: Sendable>(
        _ body: @escaping @Sendable (any DatabaseConnection) throws -> Result
    ) async throws -> Result {
        try await withConnection { connection in
            try connection.execute(connection.dialect.beginTransaction)
            do {
                let result = try body(connection)
                try connection.execute("COMMIT")
                return result
            } catch {
                _ = try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Like ``transaction(_:)``, but runs `body` again — up to `attempts` times in all, after a short randomized
    /// back-off (1, 2, 4 … ms, at most 64) — when the database answers ``DatabaseError/busy(_:)``: InnoDB resolves
    /// some races between connections (two first-time upserts of one key, for instance) by rolling one transaction
    /// back with a deadlock (1213) or a lock wait timeout (1205), and asks the client to try again. The failed
    /// attempt was rolled back, so `body` starts afresh; it must not have effects outside the database.
    public func retryingTransaction<Result: Sendable>(attempts: Int = 8,
        _ body: @escaping @Sendable (any DatabaseConnection) throws -> Result
    ) async throws -> Result {
        var attempt = 1
        while true {
            do {
                return try await transaction(body)
            } catch DatabaseError.busy(let message) {
                guard attempt < attempts else { throw DatabaseError.busy(message) }
                let ceiling = 1 << min(attempt - 1, 6)
                try? await Task.sleep(for: .microseconds(Int.random(in: 500...(ceiling * 1000))))
                attempt += 1
            }
        }
    }

    /// Runs one statement that returns no rows.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [DatabaseValue] = []) async throws(DatabaseError) -> ExecuteResult {
        do {
            return try await withConnection { connection in try connection.execute(sql, parameters) }
        } catch {
            throw Self.databaseError(error)
        }
    }

    /// Runs one query and returns its rows.
    public func query(_ sql: String, _ parameters: [DatabaseValue] = []) async throws(DatabaseError) -> [DatabaseRow] {
        do {
            return try await withConnection { connection in try connection.query(sql, parameters) }
        } catch {
            throw Self.databaseError(error)
        }
    }

    /// Closes every connection and stops the threads. Calls made afterwards fail with ``DatabaseError/closed``.
    public func close() async {
        let idle = pool.close()
        for connection in idle { connection.connection.close() }
        try? await threadPool.shutdownGracefully()
    }

    /// `error` as a ``DatabaseError``: closures in this module only throw those, so anything else is reported as a
    /// failed statement with its description rather than dropped.
    public static func databaseError(_ error: any Error) -> DatabaseError {
        if let error = error as? DatabaseError { return error }
        return .statementFailed(code: -1, message: String(describing: error))
    }
}

/// Carries an error out of the thread-pool closure once the lease was consumed there (returned or released), so
/// only errors from `runIfActive` itself release the lease — never twice.
private struct LeaseUsed: Error {
    let error: any Error
}

/// A connection owned by the pool.
///
/// `@unchecked Sendable`: the pool hands a `PooledConnection` to exactly one caller at a time (it is removed from
/// the idle list under the pool's lock before it is handed out and appended again only by ``ConnectionPool/checkIn(_:)``
/// after the caller's closure returned), so the non-thread-safe connection inside is never used by two threads at
/// once; the lock's acquire/release orders each hand-over.
final class PooledConnection: @unchecked Sendable {
    let connection: any DatabaseConnection
    /// When the connection was last returned, in NIODeadline uptime nanoseconds; read only by its current holder.
    var lastUsed: NIODeadline

    init(_ connection: any DatabaseConnection) {
        self.connection = connection
        self.lastUsed = .now()
    }
}

/// The right to use one connection slot: an idle connection to reuse, or permission to open a new one.
enum ConnectionLease: Sendable {
    case reuse(PooledConnection)
    case open
    case closed
}

/// The connections and the callers waiting for one. At most `maximumConnections` exist (idle or in use) at once.
final class ConnectionPool: Sendable {
    private struct State {
        var idle: [PooledConnection] = []
        var open = 0
        var waiters: [CheckedContinuation<ConnectionLease, Never>] = []
        var closed = false
    }

    /// Idle connections are pinged (`checkAlive`) before reuse when they sat longer than this.
    static let idleCheckAfter: TimeAmount = .seconds(30)

    private let state = NIOLockedValueBox(State())
    private let maximumConnections: Int
    private let factory: @Sendable () throws(DatabaseError) -> any DatabaseConnection

    init(maximumConnections: Int, factory: @escaping @Sendable () throws(DatabaseError) -> any DatabaseConnection) {
        self.maximumConnections = maximumConnections
        self.factory = factory
    }

    /// Waits until a connection slot is free.
    func checkOut() async -> ConnectionLease {
        await withCheckedContinuation { continuation in
            let lease: ConnectionLease? = state.withLockedValue { state in
                if state.closed { return .closed }
                if let connection = state.idle.popLast() { return .reuse(connection) }
                if state.open < maximumConnections {
                    state.open += 1
                    return .open
                }
                state.waiters.append(continuation)
                return nil
            }
            if let lease { continuation.resume(returning: lease) }
        }
    }

    /// Turns a lease into a usable connection, on a pool thread: opens one, or checks an idle one that sat long
    /// and replaces it if the server dropped it. On failure the slot is released.
    func prepare(_ lease: ConnectionLease) throws(DatabaseError) -> PooledConnection {
        switch lease {
        case .closed:
            throw .closed
        case .open:
            do {
                return PooledConnection(try factory())
            } catch {
                release(.open)
                throw error
            }
        case .reuse(let pooled):
            if pooled.connection.isUsable, NIODeadline.now() - pooled.lastUsed < Self.idleCheckAfter
                || pooled.connection.checkAlive()
            {
                return pooled
            }
            pooled.connection.close()
            do {
                return PooledConnection(try factory())
            } catch {
                release(.open)
                throw error
            }
        }
    }

    /// Returns a connection after use: to the next waiter, to the idle list, or — if it broke or the pool closed —
    /// closes it and frees its slot.
    func checkIn(_ pooled: PooledConnection) {
        pooled.lastUsed = .now()
        guard pooled.connection.isUsable else {
            pooled.connection.close()
            release(.open)
            return
        }
        let (waiter, keep): (CheckedContinuation<ConnectionLease, Never>?, Bool) = state.withLockedValue { state in
            if state.closed {
                state.open -= 1
                return (nil, false)
            }
            if !state.waiters.isEmpty { return (state.waiters.removeFirst(), true) }
            state.idle.append(pooled)
            return (nil, true)
        }
        if let waiter {
            waiter.resume(returning: .reuse(pooled))
        } else if !keep {
            pooled.connection.close()
        }
    }

    /// Frees the slot of a lease that will not be used (its connection failed or was never opened).
    func release(_ lease: ConnectionLease) {
        switch lease {
        case .closed:
            return
        case .reuse(let pooled):
            checkIn(pooled)
        case .open:
            let waiter: CheckedContinuation<ConnectionLease, Never>? = state.withLockedValue { state in
                if !state.closed, !state.waiters.isEmpty { return state.waiters.removeFirst() }
                state.open -= 1
                return nil
            }
            waiter?.resume(returning: .open)
        }
    }

    /// Whether ``close()`` was called.
    var isClosed: Bool { state.withLockedValue { $0.closed } }

    /// Marks the pool closed, wakes every waiter with `.closed` and returns the idle connections to close.
    func close() -> [PooledConnection] {
        let (idle, waiters) = state.withLockedValue { state in
            state.closed = true
            let idle = state.idle
            state.open -= idle.count
            state.idle = []
            let waiters = state.waiters
            state.waiters = []
            return (idle, waiters)
        }
        for waiter in waiters { waiter.resume(returning: .closed) }
        return idle
    }
}
