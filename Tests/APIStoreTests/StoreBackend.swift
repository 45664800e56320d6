import APIStore
import Database
import Foundation
import TestSupport
import Testing

/// The two backends every store test runs against: SQLite in a temporary directory and a real MariaDB
/// (``MariaDBServer``, one per test process, one database per test).
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case mariadb

    var testDescription: String { rawValue }

    /// Whether this backend can run here (MariaDB is skipped when not installed, except under CI=true).
    static var available: [StoreBackend] {
        RealPeer.available(MariaDBServer.isInstalled) ? allCases : [.sqlite]
    }

    /// A fresh migrated store, handed to `body`; closed and removed afterwards (also when `body` throws).
    func withStore<Result>(_ body: (SQLStore) async throws -> Result) async throws -> Result {
        try await withStores(count: 1) { stores in try await body(stores[0]) }
    }

    /// `count` stores on one fresh database, each with its own `Database` (its own connections), as separate
    /// apiservers would have.
    func withStores<Result>(count: Int, _ body: ([SQLStore]) async throws -> Result) async throws -> Result {
        var databases: [Database] = []
        var cleanup: () -> Void = {}
        do {
            switch self {
            case .sqlite:
                let directory = FileManager.default.temporaryDirectory
                    .appendingPathComponent("meeting-sqlite-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                cleanup = { try? FileManager.default.removeItem(at: directory) }
                for _ in 0..<count {
                    databases.append(try await Database.sqlite(path: directory.appendingPathComponent("api.sqlite").path))
                }
            case .mariadb:
                let server = try MariaDBServer.shared()
                let credentials = try server.createDatabase()
                cleanup = { try? server.dropDatabase(credentials) }
                for _ in 0..<count {
                    databases.append(try await Database.mariaDB(MariaDBConfiguration(host: credentials.host,
                        port: credentials.port, user: credentials.user, password: credentials.password,
                        database: credentials.database, maximumConnections: 4)))
                }
            }
            var stores: [SQLStore] = []
            for database in databases { stores.append(try await SQLStore.open(database, now: Date())) }
            let result = try await body(stores)
            for database in databases { await database.close() }
            cleanup()
            return result
        } catch {
            for database in databases { await database.close() }
            cleanup()
            throw error
        }
    }
}

/// Fixed instants for tests: times are arguments, so tests never read the clock.
enum Clock {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func at(_ seconds: Double) -> Date { start.addingTimeInterval(seconds) }
}
