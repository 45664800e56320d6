import APIStore
import Database
import Foundation
import HTTPTypes
import ServerKit

/// Where the apiserver keeps its data: MySQL/MariaDB (the `--mysql*` flags) or embedded SQLite under `--data`.
public enum StoreLocation: Sendable, Hashable {
    case sqlite(directory: String)
    case mysql(address: HostAndPort, user: String, password: String, database: String)

    /// The file SQLite uses inside the data directory.
    public static let sqliteFileName = "meeting.sqlite3"
}

/// Why the apiserver could not start; each message says what to fix.
public struct APIServerStartError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}

extension APIServer {
    /// Opens (and migrates) the store at `location`, with a message that names the flag to fix when it fails.
    public static func openStore(_ location: StoreLocation) async throws(APIServerStartError) -> any Store {
        switch location {
        case .sqlite(let directory):
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw APIServerStartError("--data \(directory): cannot create the directory (\(error))")
            }
            let path = (directory as NSString).appendingPathComponent(StoreLocation.sqliteFileName)
            do {
                let database = try await Database.sqlite(path: path)
                return try await SQLStore.open(database, now: Date())
            } catch {
                throw APIServerStartError("--data \(directory): cannot open the SQLite database \(path) (\(error))")
            }
        case .mysql(let address, let user, let password, let database):
            let configuration = MariaDBConfiguration(host: address.host, port: address.port, user: user,
                password: password, database: database)
            do {
                let opened = try await Database.mariaDB(configuration)
                return try await SQLStore.open(opened, now: Date())
            } catch {
                throw APIServerStartError(
                    "--mysqlAddress \(address) --mysqlUser \(user) --mysqlDatabase \(database): cannot use the database (\(error)); check that the server runs, the user and password are right, and the database exists")
            }
        }
    }

    /// The personal room of `email` (creating the user and the room if needed) — `meeting up` prints its join
    /// link so there is something to join right away.
    public func personalRoomLink(for email: String) async throws -> String {
        let now = Date()
        let user: User
        if let existing = try await store.user(email: email) {
            user = existing
        } else {
            user = try await store.createUser(email: email, displayName: EmailAddress.defaultDisplayName(email),
                isAdmin: true, now: now)
        }
        let room = try await routes.meetings.instant(owner: user, now: now)
        return routes.meetings.joinLink(room.id)
    }
}
