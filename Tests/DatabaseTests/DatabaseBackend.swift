import Database
import Foundation
import TestSupport
import Testing

/// The two backends every test here runs against: SQLite in a temporary directory and a real MariaDB
/// (``MariaDBServer``, one per test process, one database per test).
enum DatabaseBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case mariadb

    var testDescription: String { rawValue }

    /// Whether this backend can run here (MariaDB is skipped when not installed, except under CI=true).
    static var available: [DatabaseBackend] {
        RealPeer.available(MariaDBServer.isInstalled) ? allCases : [.sqlite]
    }

    /// A fresh, empty database of this backend, handed to `body` and closed and removed afterwards (also when
    /// `body` throws).
    func withDatabase<Result>(_ body: (Database) async throws -> Result) async throws -> Result {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("meeting-sqlite-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let database = try await Database.sqlite(path: directory.appendingPathComponent("test.sqlite").path)
            do {
                let result = try await body(database)
                await database.close()
                return result
            } catch {
                await database.close()
                throw error
            }
        case .mariadb:
            let server = try MariaDBServer.shared()
            let credentials = try server.createDatabase()
            defer { try? server.dropDatabase(credentials) }
            let database = try await Database.mariaDB(Self.configuration(credentials))
            do {
                let result = try await body(database)
                await database.close()
                return result
            } catch {
                await database.close()
                throw error
            }
        }
    }

    static func configuration(_ credentials: MariaDBServer.Credentials, maximumConnections: Int = 4)
        -> MariaDBConfiguration
    {
        MariaDBConfiguration(host: credentials.host, port: credentials.port, user: credentials.user,
            password: credentials.password, database: credentials.database, maximumConnections: maximumConnections)
    }
}
