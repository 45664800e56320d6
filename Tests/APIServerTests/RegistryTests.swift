import NIOHTTP1
import APIServer
import APIStore
import Foundation
import HTTPTypes
import Logging
import ServerKit
import Synchronization
import Testing

/// A registry client running in a task, standing in for an sfu/turn server (the real servers use the same
/// ServerKit client).
final class RegisteredTestServer: Sendable {
    let task: Task<Void, Never>
    private let eventsBox: EventLog

    init(api: RunningAPIServer, kind: ServerKit.ServerKind, address: String, capacity: Int = 100, load: Int = 0,
        secret: String = RunningAPIServer.secret)
    {
        var configuration = RegistryClient.Configuration(
            url: "ws://127.0.0.1:\(api.port)\(RegistryMessage.path)", kind: kind, address: address,
            capacity: capacity, tokens: TokenAuthority(secret: secret))
        configuration.reconnectDelay = .milliseconds(100)
        configuration.maximumReconnectDelay = .milliseconds(200)
        var logger = Logger(label: "test.registry-client")
        logger.logLevel = .critical
        let client = RegistryClient(configuration: configuration, logger: logger)
        let events = EventLog()
        self.task = Task {
            await client.run(status: { RegistryStatus(load: load) }, onEvent: { event in events.append(event) })
        }
        self.eventsBox = events
    }

    var registered: Bool {
        eventsBox.events.contains { if case .registered = $0 { true } else { false } }
    }

    var refusals: Int {
        eventsBox.events.filter { if case .disconnected = $0 { true } else { false } }.count
    }

    func stop() async {
        task.cancel()
        await task.value
    }
}

final class EventLog: Sendable {
    private let box = Mutex<[RegistryEvent]>([])
    func append(_ event: RegistryEvent) { box.withLock { $0.append(event) } }
    var events: [RegistryEvent] { box.withLock { $0 } }
}

@Suite("Registry: server credentials, heartbeats, dead servers", .serialized)
struct RegistryTests {
    @Test("A server with the wrong secret is refused; the right secret registers and shows in /v1/servers")
    func credentials() async throws {
        let (store, cleanup) = try await StoreBackends.sqlite()
        defer { cleanup() }
        let api = try await RunningAPIServer.start(store: store)
        let wrong = RegisteredTestServer(api: api, kind: .sfu, address: "evil.test:443",
            secret: "not-the-deployment-secret-000000")
        let right = RegisteredTestServer(api: api, kind: .sfu, address: "sfu1.test:443")
        do {
            try await eventually("the right server registers and the wrong one is refused twice") {
                right.registered && wrong.refusals >= 2
            }
            #expect(!wrong.registered)
            // A plain request with a wrong credential says why.
            let forged = try TokenAuthority(secret: "not-the-deployment-secret-000000")
                .serverCredential(kind: .sfu, address: "evil.test:443", now: Int64(Date().timeIntervalSince1970))
            let refused = try await APIClient(api).call(.GET, "/v1/registry", token: forged)
            #expect(refused.status == 401 && refused.errorCode == "registry.credential-refused", "\(refused)")
            let admin = try await APIClient.signIn(api, email: "admin@example.com")
            let servers = try await admin.call(.GET, "/v1/servers")
            let list = try #require(servers["servers"] as? [[String: Any]])
            #expect(list.map { $0["address"] as? String } == ["sfu1.test:443"], "\(servers)")
            let notAdmin = try await APIClient.signIn(api, email: "eve@example.com")
            #expect(try await notAdmin.call(.GET, "/v1/servers").errorCode == "admin.required")
        } catch {
            await wrong.stop(); await right.stop(); await api.stop()
            throw error
        }
        await wrong.stop(); await right.stop(); await api.stop()
    }

    @Test("A server that stops heartbeating is marked dead within the window and its meeting moves to another sfu")
    func deadServerReallocated() async throws {
        let (store, cleanup) = try await StoreBackends.sqlite()
        defer { cleanup() }
        let api = try await RunningAPIServer.start(store: store)
        let turn = RegisteredTestServer(api: api, kind: .turn, address: "127.0.0.1:3478")
        let first = RegisteredTestServer(api: api, kind: .sfu, address: "sfu-a.test:443", load: 0)
        var second: RegisteredTestServer?
        do {
            try await eventually("sfu-a and the turnserver register") { first.registered && turn.registered }
            let ada = try await APIClient.signIn(api, email: "ada@example.com")
            let room = try await ada.call(.POST, "/v1/meetings/instant")
            #expect(room.string("sfu") == "sfu-a.test:443", "\(room)")
            let id = try #require(room.string("id"))
            let other = RegisteredTestServer(api: api, kind: .sfu, address: "sfu-b.test:443", load: 50)
            second = other
            try await eventually("sfu-b registers") { other.registered }
            // sfu-a dies: no more heartbeats.
            await first.stop()
            try await eventually(timeout: .seconds(10), "the meeting moves to sfu-b") {
                try await ada.call(.GET, "/v1/meetings/\(id)").string("sfu") == "sfu-b.test:443"
            }
            let admin = try await APIClient.signIn(api, email: "admin@example.com")
            let servers = try #require(try await admin.call(.GET, "/v1/servers")["servers"] as? [[String: Any]])
            #expect(servers.first { $0["address"] as? String == "sfu-a.test:443" }?["state"] as? String == "dead")
            #expect(servers.first { $0["address"] as? String == "sfu-b.test:443" }?["state"] as? String == "alive")
            let joined = try await ada.call(.POST, "/v1/meetings/\(id)/join", [:])
            #expect(joined.string("sfu") == "sfu-b.test:443")
        } catch {
            await first.stop(); await turn.stop(); await second?.stop(); await api.stop()
            throw error
        }
        await first.stop(); await turn.stop(); await second?.stop(); await api.stop()
    }
}
