import Database
import Foundation

/// Reservations persisted in SQLite (Server/Database), one row per reservation holding its JSON, so a restart of
/// the allocateserver loses none and answers every repeated query the same way.
public struct ReservationStore: Sendable {
    public let database: Database

    static let migrations = [
        SchemaMigration(version: 1, name: "reservations", steps: [
            .createTable(TableDefinition("allocator_reservations", columns: [
                ColumnDefinition("id", .key(maximumLength: 400)),
                ColumnDefinition("body", .text),
            ], primaryKey: ["id"])),
        ]),
    ]

    /// Opens (creating and migrating) the state database.
    public static func open(path: String) async throws(AllocatorError) -> ReservationStore {
        do {
            let database = try await Database.sqlite(path: path)
            do {
                try await MigrationRunner.migrate(database, migrations,
                    nowMilliseconds: Int64(Date().timeIntervalSince1970 * 1000))
            } catch {
                await database.close()
                throw error
            }
            return ReservationStore(database: database)
        } catch {
            throw .storage("\(path): \(error)")
        }
    }

    public func load() async throws(AllocatorError) -> [Reservation] {
        do {
            let rows = try await database.query("SELECT body FROM allocator_reservations ORDER BY id")
            var out: [Reservation] = []
            for row in rows {
                let body = try row.text("body")
                out.append(try JSONDecoder().decode(Reservation.self, from: Data(body.utf8)))
            }
            return out
        } catch {
            throw .storage("loading reservations: \(error)")
        }
    }

    public func save(_ reservation: Reservation) async throws(AllocatorError) {
        do {
            let body = String(decoding: try JSONEncoder().encode(reservation), as: UTF8.self)
            try await database.execute("INSERT OR REPLACE INTO allocator_reservations (id, body) VALUES (?, ?)",
                [.text(reservation.id), .text(body)])
        } catch {
            throw .storage("saving \(reservation.id): \(error)")
        }
    }

    public func forget(id: String) async throws(AllocatorError) {
        do {
            try await database.execute("DELETE FROM allocator_reservations WHERE id = ?", [.text(id)])
        } catch {
            throw .storage("deleting \(id): \(error)")
        }
    }

    public func close() async { await database.close() }
}
