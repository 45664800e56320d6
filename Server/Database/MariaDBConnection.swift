import CMariaDB

/// Where and how to reach a MySQL/MariaDB server: the apiserver's `--mysqlAddress`, `--mysqlUser`,
/// `--mysqlPassword` and `--mysqlDatabase`.
public struct MariaDBConfiguration: Sendable, Hashable {
    public var host: String
    public var port: UInt16
    public var user: String
    public var password: String
    public var database: String
    /// A Unix socket path used instead of TCP when set.
    public var unixSocket: String?
    /// Seconds to wait for the TCP connect and the handshake.
    public var connectTimeoutSeconds: UInt32
    /// Seconds a single read or write on the connection may take before it counts as lost.
    public var ioTimeoutSeconds: UInt32
    /// How many connections (and threads running their blocking calls) the pool opens at most.
    public var maximumConnections: Int

    public init(host: String, port: UInt16 = 3306, user: String, password: String, database: String,
        unixSocket: String? = nil, connectTimeoutSeconds: UInt32 = 10, ioTimeoutSeconds: UInt32 = 60,
        maximumConnections: Int = 8)
    {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.unixSocket = unixSocket
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.ioTimeoutSeconds = ioTimeoutSeconds
        self.maximumConnections = maximumConnections
    }
}

/// libmariadb's one-time global initialisation (`mysql_library_init`), which is not thread-safe and must run
/// before the first `mysql_init` on any thread. A `static let` runs it exactly once.
enum MariaDBLibrary {
    static let initialised: Bool = mysql_server_init(0, nil, nil) == 0
}

/// A MariaDB/MySQL connection using server-side prepared statements with bound parameters (never SQL built from
/// values), utf8mb4, UTC, strict SQL mode and `CLIENT_FOUND_ROWS` (UPDATE reports matched rows, as SQLite does).
///
/// A lost connection (2006 "server has gone away", 2013 "lost connection") makes ``isUsable`` false; the pool
/// then closes it and opens a new one for the next caller — the reconnect. The failed statement itself is not
/// retried: it may have been applied before the connection broke.
final class MariaDBConnection: DatabaseConnection {
    let dialect: SQLDialect = .mysql
    private var handle: UnsafeMutablePointer<MYSQL>?
    private var statements: [String: UnsafeMutablePointer<MYSQL_STMT>] = [:]
    private var broken = false

    /// Server error numbers (mysqld_error.h, errmsg.h) the mapping needs.
    private enum Code {
        static let duplicateEntry: UInt32 = 1062
        static let duplicateEntryWithKeyName: UInt32 = 1586
        static let rowIsReferenced: UInt32 = 1451
        static let noReferencedRow: UInt32 = 1452
        static let rowIsReferenced2: UInt32 = 1217
        static let noReferencedRow2: UInt32 = 1216
        static let badNull: UInt32 = 1048
        static let constraintFailed: UInt32 = 4025
        static let lockWaitTimeout: UInt32 = 1205
        static let deadlock: UInt32 = 1213
        static let connectionLost: Set<UInt32> = [2002, 2003, 2006, 2013, 2055]
    }

    init(configuration: MariaDBConfiguration) throws(DatabaseError) {
        guard MariaDBLibrary.initialised else { throw .connectionFailed("mysql_library_init failed") }
        guard let mysql = mysql_init(nil) else { throw .connectionFailed("mysql_init: out of memory") }
        var connectTimeout = configuration.connectTimeoutSeconds
        var ioTimeout = configuration.ioTimeoutSeconds
        mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connectTimeout)
        mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &ioTimeout)
        mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &ioTimeout)
        let connected = mysql_real_connect(mysql, configuration.host, configuration.user, configuration.password,
            configuration.database, UInt32(configuration.port), configuration.unixSocket, UInt(CLIENT_FOUND_ROWS))
        guard connected != nil else {
            let message = String(cString: mysql_error(mysql))
            mysql_close(mysql)
            throw .connectionFailed("\(configuration.user)@\(configuration.host):\(configuration.port)/"
                + "\(configuration.database): \(message)")
        }
        handle = mysql
        do {
            try execute("SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION'")
            try execute("SET SESSION time_zone = '+00:00'")
            try execute("SET NAMES utf8mb4 COLLATE utf8mb4_bin")
        } catch {
            close()
            throw error
        }
    }

    var isUsable: Bool { handle != nil && !broken }

    func checkAlive() -> Bool {
        guard let handle, !broken else { return false }
        return mysql_ping(handle) == 0
    }

    func close() {
        for statement in statements.values { mysql_stmt_close(statement) }
        statements.removeAll()
        if let handle { mysql_close(handle) }
        handle = nil
    }

    deinit { close() }

    @discardableResult
    func execute(_ sql: String, _ parameters: [DatabaseValue]) throws(DatabaseError) -> ExecuteResult {
        let statement = try run(sql, parameters)
        if mysql_stmt_field_count(statement) > 0 {
            // A statement with a result set (e.g. SELECT GET_LOCK) run through execute: drain it.
            _ = try fetchRows(statement, sql: sql)
        }
        return ExecuteResult(affectedRows: Int64(truncatingIfNeeded: mysql_stmt_affected_rows(statement)),
            lastInsertID: Int64(truncatingIfNeeded: mysql_stmt_insert_id(statement)))
    }

    func query(_ sql: String, _ parameters: [DatabaseValue]) throws(DatabaseError) -> [DatabaseRow] {
        let statement = try run(sql, parameters)
        guard mysql_stmt_field_count(statement) > 0 else { return [] }
        return try fetchRows(statement, sql: sql)
    }

    // MARK: - Prepared statements

    /// Prepares (or reuses) the statement, binds `parameters` and executes it.
    private func run(_ sql: String, _ parameters: [DatabaseValue]) throws(DatabaseError)
        -> UnsafeMutablePointer<MYSQL_STMT>
    {
        guard let handle, !broken else { throw broken ? .connectionFailed("connection lost earlier") : .closed }
        let statement: UnsafeMutablePointer<MYSQL_STMT>
        if let cached = statements[sql] {
            statement = cached
        } else {
            guard let created = mysql_stmt_init(handle) else { throw connectionError(sql: sql) }
            let bytes = Array(sql.utf8)
            let status = bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { mysql_stmt_prepare(created, $0.baseAddress, UInt(buffer.count)) }
            }
            guard status == 0 else {
                let error = statementError(created, sql: sql)
                mysql_stmt_close(created)
                throw error
            }
            if statements.count >= DatabaseLimits.cachedStatements {
                // Generated SQL could otherwise grow the cache (and the server's prepared statements, limited by
                // max_prepared_stmt_count across all clients) without bound.
                for cached in statements.values { mysql_stmt_close(cached) }
                statements.removeAll()
            }
            statements[sql] = created
            statement = created
        }
        let expected = Int(mysql_stmt_param_count(statement))
        guard expected == parameters.count else {
            throw .statementFailed(code: 0, message: "\(sql): expects \(expected) parameters, \(parameters.count) given")
        }
        // Parameter buffers live until mysql_stmt_execute has sent them.
        var storage: [UnsafeMutableRawPointer] = []
        defer { for pointer in storage { pointer.deallocate() } }
        var binds = [MYSQL_BIND](repeating: MYSQL_BIND(), count: parameters.count)
        for (index, value) in parameters.enumerated() {
            switch value {
            case .null:
                binds[index].buffer_type = MYSQL_TYPE_NULL
            case .integer(let integer):
                let pointer = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
                pointer.storeBytes(of: integer, as: Int64.self)
                storage.append(pointer)
                binds[index].buffer_type = MYSQL_TYPE_LONGLONG
                binds[index].buffer = pointer
                binds[index].buffer_length = 8
            case .real(let real):
                let pointer = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
                pointer.storeBytes(of: real, as: Double.self)
                storage.append(pointer)
                binds[index].buffer_type = MYSQL_TYPE_DOUBLE
                binds[index].buffer = pointer
                binds[index].buffer_length = 8
            case .text(let text):
                let bytes = Array(text.utf8)
                binds[index].buffer_type = MYSQL_TYPE_STRING
                binds[index].buffer = Self.copy(bytes, into: &storage)
                binds[index].buffer_length = UInt(bytes.count)
            case .blob(let bytes):
                binds[index].buffer_type = MYSQL_TYPE_BLOB
                binds[index].buffer = Self.copy(bytes, into: &storage)
                binds[index].buffer_length = UInt(bytes.count)
            }
        }
        let bound = binds.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return true }
            return mysql_stmt_bind_param(statement, base) == 0
        }
        guard bound else { throw statementError(statement, sql: sql) }
        guard mysql_stmt_execute(statement) == 0 else { throw statementError(statement, sql: sql) }
        return statement
    }

    private static func copy(_ bytes: [UInt8], into storage: inout [UnsafeMutableRawPointer]) -> UnsafeMutableRawPointer {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { pointer.copyMemory(from: base, byteCount: source.count) }
        }
        storage.append(pointer)
        return pointer
    }

    /// How a result column is read: fixed-size numbers into 8-byte buffers, everything else (VARCHAR, TEXT, BLOB,
    /// DECIMAL, dates) with its length first and then `mysql_stmt_fetch_column` into a buffer of that size.
    private enum ColumnKind { case integer, real, text, blob }

    private func fetchRows(_ statement: UnsafeMutablePointer<MYSQL_STMT>, sql: String) throws(DatabaseError)
        -> [DatabaseRow]
    {
        defer { mysql_stmt_free_result(statement) }
        guard let metadata = mysql_stmt_result_metadata(statement) else { throw statementError(statement, sql: sql) }
        defer { mysql_free_result(metadata) }
        let count = Int(mysql_num_fields(metadata))
        guard count > 0, let fields = mysql_fetch_fields(metadata) else { return [] }
        var columns: [String] = []
        var kinds: [ColumnKind] = []
        for index in 0..<count {
            let field = fields[index]
            columns.append(field.name.map { String(cString: $0) } ?? "")
            switch field.type {
            case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_LONG, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_INT24,
                MYSQL_TYPE_YEAR:
                kinds.append(.integer)
            case MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE:
                kinds.append(.real)
            default:
                // Character set 63 is "binary": VARBINARY/BLOB columns.
                kinds.append(field.charsetnr == 63 && field.type != MYSQL_TYPE_NEWDECIMAL ? .blob : .text)
            }
        }
        guard mysql_stmt_store_result(statement) == 0 else { throw statementError(statement, sql: sql) }

        let numbers = UnsafeMutablePointer<Int64>.allocate(capacity: count)
        let lengths = UnsafeMutablePointer<UInt>.allocate(capacity: count)
        let nulls = UnsafeMutablePointer<my_bool>.allocate(capacity: count)
        let errors = UnsafeMutablePointer<my_bool>.allocate(capacity: count)
        let binds = UnsafeMutablePointer<MYSQL_BIND>.allocate(capacity: count)
        defer {
            numbers.deallocate()
            lengths.deallocate()
            nulls.deallocate()
            errors.deallocate()
            binds.deallocate()
        }
        numbers.initialize(repeating: 0, count: count)
        lengths.initialize(repeating: 0, count: count)
        nulls.initialize(repeating: 0, count: count)
        errors.initialize(repeating: 0, count: count)
        binds.initialize(repeating: MYSQL_BIND(), count: count)
        for index in 0..<count {
            binds[index].length = lengths + index
            binds[index].is_null = nulls + index
            binds[index].error = errors + index
            switch kinds[index] {
            case .integer:
                binds[index].buffer_type = MYSQL_TYPE_LONGLONG
                binds[index].buffer = UnsafeMutableRawPointer(numbers + index)
                binds[index].buffer_length = 8
            case .real:
                binds[index].buffer_type = MYSQL_TYPE_DOUBLE
                binds[index].buffer = UnsafeMutableRawPointer(numbers + index)
                binds[index].buffer_length = 8
            case .text:
                binds[index].buffer_type = MYSQL_TYPE_STRING
            case .blob:
                binds[index].buffer_type = MYSQL_TYPE_BLOB
            }
        }
        guard mysql_stmt_bind_result(statement, binds) == 0 else { throw statementError(statement, sql: sql) }

        var rows: [DatabaseRow] = []
        while true {
            let status = mysql_stmt_fetch(statement)
            if status == MYSQL_NO_DATA { break }
            guard status == 0 || status == MYSQL_DATA_TRUNCATED else { throw statementError(statement, sql: sql) }
            var values: [DatabaseValue] = []
            values.reserveCapacity(count)
            for index in 0..<count {
                if nulls[index] != 0 {
                    values.append(.null)
                    continue
                }
                switch kinds[index] {
                case .integer:
                    values.append(.integer(numbers[index]))
                case .real:
                    values.append(.real(UnsafeMutableRawPointer(numbers + index).load(as: Double.self)))
                case .text, .blob:
                    let bytes = try fetchColumn(statement, index: index, length: Int(lengths[index]),
                        type: binds[index].buffer_type, sql: sql)
                    values.append(kinds[index] == .text ? .text(String(decoding: bytes, as: UTF8.self)) : .blob(bytes))
                }
            }
            rows.append(DatabaseRow(columns: columns, values: values))
        }
        return rows
    }

    private func fetchColumn(_ statement: UnsafeMutablePointer<MYSQL_STMT>, index: Int, length: Int,
        type: enum_field_types, sql: String) throws(DatabaseError) -> [UInt8]
    {
        guard length > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: length)
        var fetchedLength: UInt = 0
        let status = bytes.withUnsafeMutableBytes { buffer in
            withUnsafeMutablePointer(to: &fetchedLength) { lengthPointer in
                var bind = MYSQL_BIND()
                bind.buffer_type = type
                bind.buffer = buffer.baseAddress
                bind.buffer_length = UInt(buffer.count)
                bind.length = lengthPointer
                return mysql_stmt_fetch_column(statement, &bind, UInt32(index), 0)
            }
        }
        guard status == 0 else { throw statementError(statement, sql: sql) }
        return bytes
    }

    // MARK: - Errors

    private func statementError(_ statement: UnsafeMutablePointer<MYSQL_STMT>, sql: String) -> DatabaseError {
        map(code: mysql_stmt_errno(statement), message: String(cString: mysql_stmt_error(statement)), sql: sql)
    }

    private func connectionError(sql: String) -> DatabaseError {
        guard let handle else { return .closed }
        return map(code: mysql_errno(handle), message: String(cString: mysql_error(handle)), sql: sql)
    }

    /// Maps a server or client error number to a ``DatabaseError``, keeping the server's message and the statement.
    private func map(code: UInt32, message: String, sql: String) -> DatabaseError {
        let text = "\(message) [\(sql)]"
        switch code {
        case Code.duplicateEntry, Code.duplicateEntryWithKeyName:
            return .duplicateKey(text)
        case Code.rowIsReferenced, Code.noReferencedRow, Code.rowIsReferenced2, Code.noReferencedRow2, Code.badNull,
            Code.constraintFailed:
            return .constraintViolation(text)
        case Code.lockWaitTimeout, Code.deadlock:
            return .busy(text)
        case _ where Code.connectionLost.contains(code):
            broken = true
            return .connectionFailed(text)
        default:
            return .statementFailed(code: Int32(truncatingIfNeeded: code), message: text)
        }
    }
}
