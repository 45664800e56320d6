import APIServer
import APIStore
import Foundation
import NIOHTTP1
import ServerKit
import TestSupport
import Testing

@Suite("API over HTTP on a real MariaDB", .serialized,
    .enabled(if: RealPeer.available(MariaDBServer.isInstalled), "install mariadb-server"))
struct MariaDBAPITests {
    @Test("The whole flow: sign-in, schedule, allocateserver query, join, lobby, guests")
    func wholeFlow() async throws {
        let (stores, close) = try await StoreBackends.mariadb(count: 1)
        let allocator = try await TestAllocateServer.start()
        let api = try await RunningAPIServer.start(store: stores[0]) { $0.allocateServerURL = allocator.url }
        do {
            try await APIFlowScenarios.wholeFlow(api: api, allocator: allocator)
            await api.stop(); await allocator.stop(); await close()
        } catch {
            await api.stop(); await allocator.stop(); await close()
            throw error
        }
    }

    @Test("A non-200 allocateserver answer gives the wait answer; the retry later succeeds")
    func notReadyThenRetry() async throws {
        let (stores, close) = try await StoreBackends.mariadb(count: 1)
        let allocator = try await TestAllocateServer.start()
        let api = try await RunningAPIServer.start(store: stores[0]) { $0.allocateServerURL = allocator.url }
        do {
            try await APIFlowScenarios.notReadyThenRetry(api: api, allocator: allocator)
            await api.stop(); await allocator.stop(); await close()
        } catch {
            await api.stop(); await allocator.stop(); await close()
            throw error
        }
    }

    @Test("Two apiservers on one MariaDB: a meeting created through one is joined through the other, and a server registered with one is seen by both")
    func twoAPIServers() async throws {
        let (stores, close) = try await StoreBackends.mariadb(count: 2)
        let allocator = try await TestAllocateServer.start()
        let first = try await RunningAPIServer.start(store: stores[0]) { $0.allocateServerURL = allocator.url }
        let second = try await RunningAPIServer.start(store: stores[1]) { $0.allocateServerURL = allocator.url }
        var sfu: RegisteredTestServer?
        do {
            // Sign in through the first; the session works on the second (sessions live in the database).
            let ada = try await APIClient.signIn(first, email: "ada@example.com")
            let adaOnSecond = APIClient(baseURL: second.baseURL, token: ada.token)
            #expect(try await adaOnSecond.call(.GET, "/v1/me").string("email") == "ada@example.com")
            let created = try await ada.call(.POST, "/v1/meetings",
                ["title": "Shared", "beginAt": 1_900_000_000, "endAt": 1_900_003_600, "guestsAllowed": true,
                 "lobby": false])
            #expect(created.status == 201, "\(created)")
            let id = try #require(created.string("id"))
            let joined = try await adaOnSecond.call(.POST, "/v1/meetings/\(id)/join", [:])
            #expect(joined.status == 200 && joined.string("sfu") == "sfu1.test:443", "\(joined)")
            let guestOnSecond = try await APIClient(baseURL: second.baseURL).call(.POST, "/v1/meetings/\(id)/join",
                ["displayName": "Visitor"])
            #expect(guestOnSecond.status == 200, "\(guestOnSecond)")

            // A server registered with the first apiserver is listed by the second.
            let registered = RegisteredTestServer(api: first, kind: .sfu, address: "sfu-shared.test:443")
            sfu = registered
            try await eventually("the sfuserver registers with the first apiserver") { registered.registered }
            let admin = try await APIClient.signIn(second, email: "admin@example.com")
            for api in [first, second] {
                let servers = try await APIClient(baseURL: api.baseURL, token: admin.token).call(.GET, "/v1/servers")
                let list = try #require(servers["servers"] as? [[String: Any]])
                #expect(list.contains { $0["address"] as? String == "sfu-shared.test:443" && $0["state"] as? String == "alive" },
                    "\(api.baseURL): \(servers)")
            }
            await registered.stop(); await first.stop(); await second.stop(); await allocator.stop(); await close()
        } catch {
            await sfu?.stop(); await first.stop(); await second.stop(); await allocator.stop(); await close()
            throw error
        }
    }
}
