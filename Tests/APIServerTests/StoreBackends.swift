import NIOHTTP1
import APIStore
import Database
import Foundation
import HTTPTypes
import TestSupport

/// The stores the API tests run against: embedded SQLite in a temporary directory, and (when the MariaDB launcher
/// is available) a real MariaDB.
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
}
