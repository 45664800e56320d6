import APIStore
import Database
import Foundation
import TestSupport

/// The stores the API tests run against: embedded SQLite in a temporary directory, and a real MariaDB
/// (TestSupport's throwaway `mariadbd`, one database per test).
enum StoreBackends {
    /// A fresh, migrated SQLite store in its own temporary directory (removed by `cleanup`).
    static func sqlite() async throws -> (store: SQLStore, cleanup: @Sendable () -> Void) {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("meeting-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = try await Database.sqlite(path: directory.appendingPathComponent("meeting.sqlite3").path)
        let store = try await SQLStore.open(database, now: Date())
        return (store, { try? FileManager.default.removeItem(at: directory) })
    }

    /// `count` stores, each with its own connections (as separate apiserver processes have), on one fresh MariaDB
    /// database. `close` closes them and drops the database.
    static func mariadb(count: Int) async throws -> (stores: [SQLStore], close: @Sendable () async -> Void) {
        let server = try MariaDBServer.shared()
        let credentials = try server.createDatabase()
        var stores: [SQLStore] = []
        do {
            for _ in 0..<count {
                let database = try await Database.mariaDB(MariaDBConfiguration(host: credentials.host,
                    port: credentials.port, user: credentials.user, password: credentials.password,
                    database: credentials.database, maximumConnections: 4))
                stores.append(try await SQLStore.open(database, now: Date()))
            }
        } catch {
            for store in stores { await store.database.close() }
            try? server.dropDatabase(credentials)
            throw error
        }
        let opened = stores
        return (opened, {
            for store in opened { await store.database.close() }
            try? server.dropDatabase(credentials)
        })
    }
}
