import Database
import Foundation
import TestSupport
import Testing

@Suite("Database: MariaDB connections lost and replaced",
    .enabled(if: RealPeer.available(MariaDBServer.isInstalled), Comment(rawValue: MariaDBServer.installHint)))
struct MariaDBReconnectTests {
    @Test("After the server kills the pool's connection, at most one call fails and the next runs on a new connection")
    func killedConnection() async throws {
        let server = try MariaDBServer.shared()
        let credentials = try server.createDatabase()
        defer { try? server.dropDatabase(credentials) }
        let database = try await Database.mariaDB(DatabaseBackend.configuration(credentials, maximumConnections: 1))
        do {
            let first = try #require(try await database.query("SELECT CONNECTION_ID() AS id").first?.integer("id"))
            try server.sql("KILL CONNECTION \(first)")
            var failures = 0
            var next: Int64?
            for _ in 0..<3 {
                do {
                    next = try await database.query("SELECT CONNECTION_ID() AS id").first?.integer("id")
                    break
                } catch {
                    guard case .connectionFailed = error else { throw error }
                    failures += 1
                }
            }
            #expect(failures <= 1)
            let replaced = try #require(next)
            #expect(replaced != first)
            await database.close()
        } catch {
            await database.close()
            throw error
        }
    }

    @Test("Wrong credentials fail at open with the server's message")
    func wrongPassword() async throws {
        let server = try MariaDBServer.shared()
        let credentials = try server.createDatabase()
        defer { try? server.dropDatabase(credentials) }
        var configuration = DatabaseBackend.configuration(credentials)
        configuration.password = "wrong"
        do {
            let database = try await Database.mariaDB(configuration)
            await database.close()
            Issue.record("connected with a wrong password")
        } catch {
            guard case .connectionFailed(let message) = error else {
                Issue.record("expected connectionFailed, got \(error)")
                return
            }
            #expect(message.contains("Access denied"), "\(message)")
        }
    }

    @Test("A closed database refuses work with .closed")
    func closed() async throws {
        let server = try MariaDBServer.shared()
        let credentials = try server.createDatabase()
        defer { try? server.dropDatabase(credentials) }
        let database = try await Database.mariaDB(DatabaseBackend.configuration(credentials))
        await database.close()
        await #expect(throws: DatabaseError.closed) { _ = try await database.query("SELECT 1 AS one") }
    }
}
