/// A column type written once and rendered for each dialect.
public enum ColumnType: Sendable, Hashable {
    /// 64-bit integer (SQLite INTEGER, MariaDB BIGINT). Also booleans (0/1) and times (unix milliseconds).
    case integer
    /// 64-bit floating point (REAL, DOUBLE).
    case real
    /// Text short enough to be a key or indexed: VARCHAR(`maximumLength`) in MariaDB (characters, utf8mb4).
    case key(maximumLength: Int)
    /// Text of any length, never indexed (TEXT, MEDIUMTEXT).
    case text
    /// Bytes short enough to be a key or indexed: hashes (VARBINARY(`maximumLength`)).
    case binaryKey(maximumLength: Int)
    /// Bytes of any length up to 4 GiB (BLOB, LONGBLOB): raw mail messages.
    case blob

    func render(_ dialect: SQLDialect) -> String {
        switch (self, dialect) {
        case (.integer, .sqlite): "INTEGER"
        case (.integer, .mysql): "BIGINT"
        case (.real, .sqlite): "REAL"
        case (.real, .mysql): "DOUBLE"
        case (.key, .sqlite), (.text, .sqlite): "TEXT"
        case (.key(let length), .mysql): "VARCHAR(\(length))"
        case (.text, .mysql): "MEDIUMTEXT"
        case (.binaryKey, .sqlite), (.blob, .sqlite): "BLOB"
        case (.binaryKey(let length), .mysql): "VARBINARY(\(length))"
        case (.blob, .mysql): "LONGBLOB"
        }
    }
}

/// One column of a ``TableDefinition``.
public struct ColumnDefinition: Sendable, Hashable {
    public var name: String
    public var type: ColumnType
    public var nullable: Bool
    /// A literal default (`0`, `''`), written into the DDL as given — code, never input.
    public var defaultLiteral: String?

    public init(_ name: String, _ type: ColumnType, nullable: Bool = false, default defaultLiteral: String? = nil) {
        self.name = name
        self.type = type
        self.nullable = nullable
        self.defaultLiteral = defaultLiteral
    }
}

/// A foreign key: `columns` reference `table(referencedColumns)`; rows go with the row they reference when
/// `cascadeDelete` is set.
public struct ForeignKeyDefinition: Sendable, Hashable {
    public var columns: [String]
    public var table: String
    public var referencedColumns: [String]
    public var cascadeDelete: Bool

    public init(_ columns: [String], references table: String, _ referencedColumns: [String], cascadeDelete: Bool = true) {
        self.columns = columns
        self.table = table
        self.referencedColumns = referencedColumns
        self.cascadeDelete = cascadeDelete
    }
}

/// A table written once for both dialects: MariaDB gets InnoDB, utf8mb4 with the binary collation (text compares
/// byte for byte, as in SQLite) and inline indexes; SQLite gets separate `CREATE INDEX IF NOT EXISTS`.
/// Every statement is `IF NOT EXISTS`, so a migration that MariaDB half-applied (its DDL commits implicitly) can
/// simply run again.
public struct TableDefinition: Sendable, Hashable {
    public var name: String
    public var columns: [ColumnDefinition]
    public var primaryKey: [String]
    public var uniqueKeys: [[String]]
    public var indexes: [[String]]
    public var foreignKeys: [ForeignKeyDefinition]

    public init(_ name: String, columns: [ColumnDefinition], primaryKey: [String], uniqueKeys: [[String]] = [],
        indexes: [[String]] = [], foreignKeys: [ForeignKeyDefinition] = [])
    {
        self.name = name
        self.columns = columns
        self.primaryKey = primaryKey
        self.uniqueKeys = uniqueKeys
        self.indexes = indexes
        self.foreignKeys = foreignKeys
    }

    /// The statements creating the table and its indexes in `dialect`.
    public func statements(_ dialect: SQLDialect) -> [String] {
        var parts = columns.map { column in
            var text = "\(column.name) \(column.type.render(dialect))"
            if !column.nullable { text += " NOT NULL" }
            if let literal = column.defaultLiteral { text += " DEFAULT \(literal)" }
            return text
        }
        parts.append("PRIMARY KEY (\(primaryKey.joined(separator: ", ")))")
        for unique in uniqueKeys {
            parts.append("CONSTRAINT \(indexName("uq", unique)) UNIQUE (\(unique.joined(separator: ", ")))")
        }
        for foreignKey in foreignKeys {
            parts.append("FOREIGN KEY (\(foreignKey.columns.joined(separator: ", "))) REFERENCES "
                + "\(foreignKey.table) (\(foreignKey.referencedColumns.joined(separator: ", ")))"
                + (foreignKey.cascadeDelete ? " ON DELETE CASCADE" : ""))
        }
        switch dialect {
        case .sqlite:
            let create = "CREATE TABLE IF NOT EXISTS \(name) (\n  \(parts.joined(separator: ",\n  "))\n)"
            return [create] + indexes.map { index in
                "CREATE INDEX IF NOT EXISTS \(indexName("ix", index)) ON \(name) (\(index.joined(separator: ", ")))"
            }
        case .mysql:
            for index in indexes {
                parts.append("INDEX \(indexName("ix", index)) (\(index.joined(separator: ", ")))")
            }
            return ["CREATE TABLE IF NOT EXISTS \(name) (\n  \(parts.joined(separator: ",\n  "))\n) "
                + "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"]
        }
    }

    private func indexName(_ prefix: String, _ columns: [String]) -> String {
        "\(prefix)_\(name)_\(columns.joined(separator: "_"))"
    }
}

/// One step of a migration.
public enum SchemaStep: Sendable, Hashable {
    /// Create a table (and its indexes) if it does not exist.
    case createTable(TableDefinition)
    /// Raw SQL per dialect, for what a table definition cannot say (e.g. `ALTER TABLE`).
    case sql(sqlite: String, mysql: String)

    func statements(_ dialect: SQLDialect) -> [String] {
        switch self {
        case .createTable(let table): table.statements(dialect)
        case .sql(let sqlite, let mysql): [dialect == .sqlite ? sqlite : mysql]
        }
    }
}

/// A numbered schema change. Versions are applied in increasing order, once each, and recorded in
/// `schema_migrations`.
public struct SchemaMigration: Sendable, Hashable {
    public var version: Int
    public var name: String
    public var steps: [SchemaStep]

    public init(version: Int, name: String, steps: [SchemaStep]) {
        self.version = version
        self.name = name
        self.steps = steps
    }
}

/// Brings a database's schema up to date.
///
/// - Ordered and versioned: migrations run in increasing `version`, each recorded in `schema_migrations`
///   (version, name, applied_at in unix milliseconds) in the same transaction as its changes.
/// - Idempotent on restart: versions already recorded are skipped, and the check is repeated inside each
///   migration's transaction so two apiservers starting at once apply each version once. On MariaDB a named lock
///   (`GET_LOCK`) additionally serialises the runners, because MariaDB's DDL commits implicitly.
/// - Refuses a database newer than the code (``DatabaseError/schemaTooNew(databaseVersion:newestKnown:)``).
public enum MigrationRunner {
    /// The name of the MariaDB advisory lock taken while migrating.
    static let lockName = "meeting.schema_migrations"

    /// Applies the migrations `database` lacks and returns the versions applied now (empty when up to date).
    @discardableResult
    public static func migrate(_ database: Database, _ migrations: [SchemaMigration], nowMilliseconds: Int64)
        async throws(DatabaseError) -> [Int]
    {
        let ordered = migrations.sorted { $0.version < $1.version }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where previous.version == next.version {
            throw .migrationFailed(version: next.version, reason: "two migrations share this version")
        }
        guard let newest = ordered.last?.version else { return [] }
        do {
            return try await database.withConnection { connection throws(DatabaseError) in
                try migrate(connection, ordered, newest: newest, nowMilliseconds: nowMilliseconds)
            }
        } catch {
            throw Database.databaseError(error)
        }
    }

    private static func migrate(_ connection: any DatabaseConnection, _ ordered: [SchemaMigration], newest: Int,
        nowMilliseconds: Int64) throws(DatabaseError) -> [Int]
    {
        let dialect = connection.dialect
        if dialect == .mysql {
            let locked = try connection.queryFirst("SELECT GET_LOCK(?, 60) AS locked", [.text(lockName)])
            guard try locked?.optionalInteger("locked") == 1 else {
                throw .busy("another process held the migration lock \(lockName) for 60 s")
            }
        }
        defer {
            if dialect == .mysql { _ = try? connection.query("SELECT RELEASE_LOCK(?) AS released", [.text(lockName)]) }
        }
        let table = TableDefinition("schema_migrations",
            columns: [
                ColumnDefinition("version", .integer),
                ColumnDefinition("name", .text),
                ColumnDefinition("applied_at", .integer),
            ],
            primaryKey: ["version"])
        for statement in table.statements(dialect) { try connection.execute(statement) }

        let current = try connection.queryFirst("SELECT MAX(version) AS version FROM schema_migrations")?
            .optionalInteger("version") ?? 0
        if current > Int64(newest) {
            throw .schemaTooNew(databaseVersion: Int(current), newestKnown: newest)
        }
        var applied: [Int] = []
        for migration in ordered where Int64(migration.version) > current {
            try connection.execute(dialect.beginTransaction)
            do {
                let done = try connection.queryFirst("SELECT version FROM schema_migrations WHERE version = ?",
                    [.integer(Int64(migration.version))])
                if done == nil {
                    for step in migration.steps {
                        for statement in step.statements(dialect) { try connection.execute(statement) }
                    }
                    try connection.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                        [.integer(Int64(migration.version)), .text(migration.name), .integer(nowMilliseconds)])
                    applied.append(migration.version)
                }
                try connection.execute("COMMIT")
            } catch {
                _ = try? connection.execute("ROLLBACK")
                throw .migrationFailed(version: migration.version, reason: error.description)
            }
        }
        return applied
    }
}
