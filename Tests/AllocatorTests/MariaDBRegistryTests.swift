import APIStore
import Allocator
import Database
import Foundation
import TestSupport
import Testing

/// The least-loaded policy reading a real MariaDB registry — the apiserver's production database.
@Suite("Allocator on a MariaDB registry",
    .enabled(if: RealPeer.available(MariaDBServer.isInstalled), "install mariadb-server"))
struct MariaDBRegistryTests {
    @Test("Least-loaded sfu, turn and fs come from the apiserver's MariaDB registry; a restart keeps the answer")
    func leastLoadedFromMariaDB() async throws {
        let server = try MariaDBServer.shared()
        let credentials = try server.createDatabase()
        defer { try? server.dropDatabase(credentials) }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try await Database.mariaDB(MariaDBConfiguration(host: credentials.host, port: credentials.port,
            user: credentials.user, password: credentials.password, database: credentials.database))
        let registry = try await SQLStore.open(database, now: Date())
        do {
            try await registry.registerServer(kind: .sfu, id: "sfu-1", address: "full.test:443", capacity: 4, now: Date())
            try await registry.registerServer(kind: .sfu, id: "sfu-2", address: "free.test:443", capacity: 4, now: Date())
            _ = try await registry.heartbeat(kind: .sfu, id: "sfu-1", load: 3, now: Date())
            try await registry.registerServer(kind: .turn, id: "turn-1", address: "127.0.0.3:3478", capacity: 9, now: Date())
            try await registry.registerServer(kind: .fs, id: "fs-1", address: "fs.maria.test:443", capacity: 9, now: Date())
            let configuration = AllocatorConfiguration(
                stateDatabase: directory.appendingPathComponent("state.sqlite").path, turn: [], fs: [],
                scheduled: .leastLoaded, instant: .leastLoaded,
                registry: .mariaDB(host: credentials.host, port: credentials.port, user: credentials.user,
                    password: credentials.password, database: credentials.database))
            let clock = VirtualClock(1_900_000_000)
            let query = "Kind=SFUTURN&Email=ada@x.test&BeginAt=1900000100&EndAt=1900003600"
            let first = try await RunningAllocator.start(configuration, clock: clock)
            let answer = try await first.query(query)
            #expect(answer.status == 200 && answer.body == #"{"sfu":"free.test:443","turn":"127.0.0.3:3478"}"#, "\(answer)")
            #expect(try await first.query("Kind=FS&Email=ada@x.test").body == #"{"fs":"fs.maria.test:443"}"#)
            await first.stop()
            // The load changes; the reservation made before the restart still answers the same.
            _ = try await registry.heartbeat(kind: .sfu, id: "sfu-2", load: 4, now: Date())
            _ = try await registry.heartbeat(kind: .sfu, id: "sfu-1", load: 0, now: Date())
            let second = try await RunningAllocator.start(configuration, clock: clock)
            #expect(try await second.query(query).body == answer.body)
            let other = try await second.query("Kind=SFUTURN&Email=bob@x.test&BeginAt=1900000100&EndAt=1900003600")
            #expect(other.body.contains("full.test:443"), "the now least-loaded server: \(other)")
            await second.stop()
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }
}
