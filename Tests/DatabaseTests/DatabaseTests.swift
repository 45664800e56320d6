import Database
import Foundation
import TestSupport
import Testing

@Suite("Database against SQLite and MariaDB")
struct DatabaseTests {
    static let table = TableDefinition("items",
        columns: [
            ColumnDefinition("id", .key(maximumLength: 64)),
            ColumnDefinition("number", .integer, nullable: true),
            ColumnDefinition("ratio", .real, nullable: true),
            ColumnDefinition("label", .text, nullable: true),
            ColumnDefinition("payload", .blob, nullable: true),
        ],
        primaryKey: ["id"])

    static let migrations = [SchemaMigration(version: 1, name: "items", steps: [.createTable(table)])]

    @Test("Every value type round-trips, including SQL-looking text, NUL bytes, emoji and big blobs",
        arguments: DatabaseBackend.available)
    func roundTrip(backend: DatabaseBackend) async throws {
        try await backend.withDatabase { database in
            try await MigrationRunner.migrate(database, Self.migrations, nowMilliseconds: 1)
            let hostile = "Robert'); DROP TABLE items;-- \u{0} 😀 \\ \" `"
            let blob = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let rows: [(String, DatabaseValue, DatabaseValue, DatabaseValue, DatabaseValue)] = [
                ("a", .integer(Int64.max), .real(-1.5), .text(hostile), .blob(blob)),
                ("b", .integer(Int64.min), .real(0), .text(""), .blob([])),
                ("c", .null, .null, .null, .null),
                (hostile, .integer(0), .real(1e300), .text("ü"), .blob([0, 0, 0])),
            ]
            for row in rows {
                let result = try await database.execute(
                    "INSERT INTO items (id, number, ratio, label, payload) VALUES (?, ?, ?, ?, ?)",
                    [.text(row.0), row.1, row.2, row.3, row.4])
                #expect(result.affectedRows == 1)
            }
            for row in rows {
                let found = try #require(try await database.query(
                    "SELECT id, number, ratio, label, payload FROM items WHERE id = ?", [.text(row.0)]).first)
                #expect(try found.text("id") == row.0)
                #expect(try found.value("number") == row.1)
                #expect(try found.value("ratio") == row.2)
                #expect(try found.value("label") == row.3)
                #expect(try found.value("payload") == row.4)
            }
            let count = try await database.query("SELECT COUNT(*) AS n FROM items")
            #expect(try count.first?.integer("n") == 4)
            let sum = try await database.query("SELECT SUM(number) AS total FROM items WHERE id IN (?, ?)",
                [.text("b"), .text(hostile)])
            #expect(try sum.first?.integer("total") == Int64.min)
        }
    }

    @Test("Typed accessors refuse a missing column and the wrong type", arguments: DatabaseBackend.available)
    func typedAccessors(backend: DatabaseBackend) async throws {
        try await backend.withDatabase { database in
            try await MigrationRunner.migrate(database, Self.migrations, nowMilliseconds: 1)
            try await database.execute("INSERT INTO items (id, number, label) VALUES (?, ?, ?)", ["x", 5, "text"])
            let row = try #require(try await database.query("SELECT id, number, label FROM items").first)
            #expect(throws: DatabaseError.columnMissing("nope")) { try row.text("nope") }
            #expect(throws: DatabaseError.typeMismatch(column: "label", expected: "integer", found: "text")) {
                try row.integer("label")
            }
            #expect(throws: DatabaseError.typeMismatch(column: "number", expected: "text", found: "integer")) {
                try row.text("number")
            }
            #expect(try row.optionalText("label") == "text")
        }
    }

    @Test("A duplicate key is its own error and keeps the server's message", arguments: DatabaseBackend.available)
    func duplicateKey(backend: DatabaseBackend) async throws {
        try await backend.withDatabase { database in
            try await MigrationRunner.migrate(database, Self.migrations, nowMilliseconds: 1)
            try await database.execute("INSERT INTO items (id) VALUES (?)", ["same"])
            do {
                try await database.execute("INSERT INTO items (id) VALUES (?)", ["same"])
                Issue.record("the second insert succeeded")
            } catch let error as DatabaseError {
                guard case .duplicateKey(let message) = error else {
                    Issue.record("expected duplicateKey, got \(error)")
                    return
                }
                #expect(message.contains(backend == .sqlite ? "UNIQUE constraint failed" : "Duplicate entry"), "\(message)")
                #expect(error.code == "database.duplicate_key")
            }
        }
    }

    @Test("A syntax error keeps the server's message and the statement", arguments: DatabaseBackend.available)
    func syntaxError(backend: DatabaseBackend) async throws {
        try await backend.withDatabase { database in
            do {
                _ = try await database.query("SELEC nonsense")
                Issue.record("the statement ran")
            } catch let error as DatabaseError {
                guard case .statementFailed(_, let message) = error else {
                    Issue.record("expected statementFailed, got \(error)")
                    return
                }
                #expect(message.contains("SELEC nonsense"))
                #expect(message.lowercased().contains("syntax"), "\(message)")
            }
        }
    }

    @Test("A transaction commits all or nothing", arguments: DatabaseBackend.available)
    func transactions(backend: DatabaseBackend) async throws {
        struct Abort: Error {}
        try await backend.withDatabase { database in
            try await MigrationRunner.migrate(database, Self.migrations, nowMilliseconds: 1)
            try await database.transaction { connection in
                try connection.execute("INSERT INTO items (id) VALUES (?)", ["one"])
                try connection.execute("INSERT INTO items (id) VALUES (?)", ["two"])
            }
            await #expect(throws: Abort.self) {
                try await database.transaction { connection in
                    try connection.execute("INSERT INTO items (id) VALUES (?)", ["three"])
                    throw Abort()
                }
            }
            await #expect(throws: DatabaseError.self) {
                try await database.transaction { connection in
                    try connection.execute("INSERT INTO items (id) VALUES (?)", ["four"])
                    try connection.execute("INSERT INTO items (id) VALUES (?)", ["one"])
                }
            }
            let ids = try await database.query("SELECT id FROM items ORDER BY id").map { try $0.text("id") }
            #expect(ids == ["one", "two"])
        }
    }

    @Test("Concurrent increments in transactions lose no update", arguments: DatabaseBackend.available)
    func concurrentTransactions(backend: DatabaseBackend) async throws {
        try await backend.withDatabase { database in
            try await MigrationRunner.migrate(database, Self.migrations, nowMilliseconds: 1)
            try await database.execute("INSERT INTO items (id, number) VALUES (?, ?)", ["counter", 0])
            let forUpdate = database.dialect == .mysql ? " FOR UPDATE" : ""
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<40 {
                    group.addTask {
                        try await database.transaction { connection in
                            let row = try connection.queryFirst("SELECT number FROM items WHERE id = ?\(forUpdate)",
                                ["counter"])
                            let value = try row?.integer("number") ?? 0
                            try connection.execute("UPDATE items SET number = ? WHERE id = ?", [.integer(value + 1), "counter"])
                        }
                    }
                }
                try await group.waitForAll()
            }
            let row = try await database.query("SELECT number FROM items WHERE id = ?", ["counter"])
            #expect(try row.first?.integer("number") == 40)
        }
    }

    @Test("Closing while calls are queued and running: each one succeeds or fails with .closed, none hangs",
        arguments: DatabaseBackend.available)
    func closeRacesCalls(backend: DatabaseBackend) async throws {
        try await backend.withDatabase { database in
            try await MigrationRunner.migrate(database, Self.migrations, nowMilliseconds: 1)
            let outcomes = await withTaskGroup(of: String.self, returning: [String].self) { group in
                for index in 0..<60 {
                    group.addTask {
                        do {
                            try await database.execute("INSERT INTO items (id, number) VALUES (?, ?)",
                                [.text("row-\(index)"), .integer(Int64(index))])
                            return "ok"
                        } catch DatabaseError.closed {
                            return "closed"
                        } catch {
                            return "unexpected: \(error)"
                        }
                    }
                }
                group.addTask {
                    await database.close()
                    return "close"
                }
                var outcomes: [String] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            #expect(outcomes.count == 61)
            #expect(outcomes.filter { $0.hasPrefix("unexpected") }.isEmpty, "\(outcomes)")
            await #expect(throws: DatabaseError.closed) { try await database.query("SELECT 1 AS one") }
        }
    }

    @Test("More distinct statements than the cache holds still run correctly (the cache empties and refills)",
        arguments: DatabaseBackend.available)
    func statementCacheBound(backend: DatabaseBackend) async throws {
        try await backend.withDatabase { database in
            try await database.withConnection { connection in
                for round in 0..<2 {
                    for number in 0..<600 {
                        let row = try connection.queryFirst("SELECT ? + \(number) AS v", [.integer(Int64(round))])
                        #expect(try row?.integer("v") == Int64(number + round))
                    }
                }
            }
        }
    }

    @Test("An UPDATE that matches a row but changes nothing counts it, on both backends", arguments: DatabaseBackend.available)
    func matchedRows(backend: DatabaseBackend) async throws {
        try await backend.withDatabase { database in
            try await MigrationRunner.migrate(database, Self.migrations, nowMilliseconds: 1)
            try await database.execute("INSERT INTO items (id, number) VALUES (?, ?)", ["x", 1])
            let result = try await database.execute("UPDATE items SET number = ? WHERE id = ?", [1, "x"])
            #expect(result.affectedRows == 1)
        }
    }

    @Test("Migrations: ordered, recorded, idempotent on restart; a newer database is refused",
        arguments: DatabaseBackend.available)
    func migrations(backend: DatabaseBackend) async throws {
        try await backend.withDatabase { database in
            let second = SchemaMigration(version: 2, name: "notes", steps: [
                .createTable(TableDefinition("notes",
                    columns: [
                        ColumnDefinition("item", .key(maximumLength: 64)), ColumnDefinition("body", .text),
                        ColumnDefinition("rank", .integer, default: "0"),
                    ],
                    primaryKey: ["item"], indexes: [["rank"]],
                    foreignKeys: [ForeignKeyDefinition(["item"], references: "items", ["id"])])),
            ])
            #expect(try await MigrationRunner.migrate(database, Self.migrations, nowMilliseconds: 10) == [1])
            #expect(try await MigrationRunner.migrate(database, Self.migrations + [second], nowMilliseconds: 20) == [2])
            #expect(try await MigrationRunner.migrate(database, [second] + Self.migrations, nowMilliseconds: 30) == [])
            let recorded = try await database.query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
            #expect(try recorded.map { try $0.integer("version") } == [1, 2])
            #expect(try recorded.map { try $0.integer("applied_at") } == [10, 20])

            // Foreign keys are enforced (SQLite needs PRAGMA foreign_keys=ON for that).
            await #expect(throws: DatabaseError.self) {
                try await database.execute("INSERT INTO notes (item, body) VALUES (?, ?)", ["missing", "x"])
            }

            do {
                try await MigrationRunner.migrate(database, Self.migrations, nowMilliseconds: 40)
                Issue.record("an older program migrated a newer database")
            } catch let error as DatabaseError {
                #expect(error == .schemaTooNew(databaseVersion: 2, newestKnown: 1))
            }

            // A failing migration leaves no record, and the next run retries it.
            let broken = SchemaMigration(version: 3, name: "broken", steps: [.sql(sqlite: "CREATE TABLE", mysql: "CREATE TABLE")])
            do {
                try await MigrationRunner.migrate(database, Self.migrations + [second, broken], nowMilliseconds: 50)
                Issue.record("a broken migration succeeded")
            } catch let error as DatabaseError {
                guard case .migrationFailed(3, _) = error else {
                    Issue.record("expected migrationFailed(3), got \(error)")
                    return
                }
            }
            let versions = try await database.query("SELECT version FROM schema_migrations ORDER BY version")
            #expect(try versions.map { try $0.integer("version") } == [1, 2])
        }
    }

    @Test("Two runners migrating one database at once apply each version once", arguments: DatabaseBackend.available)
    func concurrentMigrations(backend: DatabaseBackend) async throws {
        try await backend.withDatabase { database in
            async let first = MigrationRunner.migrate(database, Self.migrations, nowMilliseconds: 1)
            async let second = MigrationRunner.migrate(database, Self.migrations, nowMilliseconds: 2)
            let applied = try await first + second
            #expect(applied == [1])
        }
    }
}
