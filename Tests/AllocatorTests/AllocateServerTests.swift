import APIStore
import Allocator
import AsyncHTTPClient
import Database
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing

/// A running allocateserver on loopback with a virtual clock.
final class RunningAllocator: Sendable {
    let service: AllocatorService
    let port: Int
    let task: Task<Void, any Error>
    static let path = "/alloc-x7q2k9-secret"
    var url: String { "http://127.0.0.1:\(port)\(Self.path)" }

    private init(service: AllocatorService, port: Int, task: Task<Void, any Error>) {
        self.service = service
        self.port = port
        self.task = task
    }

    static func start(_ configuration: AllocatorConfiguration, clock: VirtualClock) async throws -> RunningAllocator {
        var logger = Logger(label: "test.allocateserver")
        logger.logLevel = .critical
        // The timer is driven by the tests (tick()), so it runs rarely on its own.
        var configuration = configuration
        configuration.tickSeconds = 3600
        let service = try await AllocatorService.open(configuration: configuration, clock: { clock.now }, logger: logger)
        let server = AllocateServer(service: service, path: path, host: "127.0.0.1", port: 0, logger: logger)
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let task = Task { try await server.run { port in continuation.yield(port) } }
        var iterator = stream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestFailure("the allocateserver did not start") }
        return RunningAllocator(service: service, port: port, task: task)
    }

    func stop() async {
        task.cancel()
        _ = await task.result
        await service.shutdown()
    }

    func get(_ pathAndQuery: String) async throws -> (status: Int, body: String) {
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(port)\(pathAndQuery)"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 16)
        return (Int(response.status.code), String(buffer: body))
    }

    func query(_ query: String) async throws -> (status: Int, body: String) {
        try await get(Self.path + "?" + query)
    }
}

final class VirtualClock: Sendable {
    private let value: Mutex<Int64>
    init(_ start: Int64) { value = Mutex(start) }
    var now: Int64 { value.withLock { $0 } }
    func set(_ time: Int64) { value.withLock { $0 = time } }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("alloc-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
func eventually(_ what: String, timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TestFailure("timed out waiting for \(what)")
}

@Suite("AllocateServer")
struct AllocateServerTests {
    static let t0: Int64 = 1_900_000_000

    static func poolConfiguration(_ directory: URL) -> AllocatorConfiguration {
        AllocatorConfiguration(stateDatabase: directory.appendingPathComponent("state.sqlite").path,
            turn: ["127.0.0.1:3478"], fs: ["fs.test:443"],
            scheduled: .pool(["a.test:443", "b.test:443"]), instant: .pool(["i.test:443"]))
    }

    @Test("The contract over HTTP: SFUTURN, FS, 400 on bad queries, 404 off the path, /healthz")
    func contract() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await RunningAllocator.start(Self.poolConfiguration(directory), clock: VirtualClock(Self.t0 - 3600))
        do {
            let media = try await server.query("Kind=SFUTURN&Email=ada%40x.test&BeginAt=\(Self.t0)&EndAt=\(Self.t0 + 3600)")
            #expect(media.status == 200)
            #expect(try JSONSerialization.jsonObject(with: Data(media.body.utf8)) as? [String: String]
                == ["sfu": "a.test:443", "turn": "127.0.0.1:3478"])
            let overlapping = try await server.query("Kind=SFUTURN&Email=bob@x.test&BeginAt=\(Self.t0)&EndAt=\(Self.t0 + 60)")
            #expect(overlapping.body.contains("b.test:443"))
            let instant = try await server.query("Kind=SFUTURN&Email=cy@x.test&BeginAt=0&EndAt=0")
            #expect(instant.status == 200 && instant.body.contains("i.test:443"), "\(instant)")
            let files = try await server.query("Kind=FS&Email=ada@x.test")
            #expect(files.status == 200 && files.body == #"{"fs":"fs.test:443"}"#, "\(files)")
            let full = try await server.query("Kind=SFUTURN&Email=dan@x.test&BeginAt=\(Self.t0)&EndAt=\(Self.t0 + 60)")
            #expect(full.status == 503 && full.body.contains("reserved"), "\(full)")
            for bad in ["Kind=SFUTURN&Email=ada@x.test", "Kind=XYZ&Email=ada@x.test", "Email=ada@x.test",
                "Kind=FS", "Kind=SFUTURN&Email=ada@x.test&BeginAt=5&EndAt=0",
                "Kind=SFUTURN&Email=ada@x.test&BeginAt=10&EndAt=5", "Kind=SFUTURN&Email=ada@x.test&BeginAt=x&EndAt=5"]
            {
                let answer = try await server.query(bad)
                #expect(answer.status == 400 && answer.body.contains("allocator.query"), "\(bad): \(answer)")
            }
            #expect(try await server.get("/other?Kind=FS&Email=ada@x.test").status == 404)
            #expect(try await server.get(RunningAllocator.path + "x?Kind=FS&Email=ada@x.test").status == 404)
            #expect(try await server.get("/healthz").status == 200)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test("A restart keeps every reservation: the same queries get the same answers, and new ones avoid them")
    func restartPersistence() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clock = VirtualClock(Self.t0 - 3600)
        let first = try await RunningAllocator.start(Self.poolConfiguration(directory), clock: clock)
        let scheduled = "Kind=SFUTURN&Email=ada@x.test&BeginAt=\(Self.t0 + 600)&EndAt=\(Self.t0 + 3600)"
        let before = try await first.query(scheduled)
        let instant = try await first.query("Kind=SFUTURN&Email=bob@x.test&BeginAt=0&EndAt=0")
        await first.stop()
        // Reversed pool order after the restart: the answer must come from the saved reservation, not the order.
        var reordered = Self.poolConfiguration(directory)
        reordered.scheduled = .pool(["b.test:443", "a.test:443"])
        let second = try await RunningAllocator.start(reordered, clock: clock)
        do {
            #expect(before.status == 200)
            #expect(try await second.query(scheduled).body == before.body)
            #expect(try await second.query("Kind=SFUTURN&Email=bob@x.test&BeginAt=0&EndAt=0").body == instant.body)
            let other = try await second.query("Kind=SFUTURN&Email=cy@x.test&BeginAt=\(Self.t0)&EndAt=\(Self.t0 + 900)")
            #expect(before.body.contains("b.test") ? other.body.contains("a.test") : other.body.contains("b.test"),
                "\(before.body) vs \(other.body)")
        } catch {
            await second.stop()
            throw error
        }
        await second.stop()
    }

    @Test("Least-loaded from the apiserver's registry, read from its SQLite database")
    func leastLoadedFromRegistry() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let registryPath = directory.appendingPathComponent("meeting.sqlite").path
        let database = try await Database.sqlite(path: registryPath)
        let registry = try await SQLStore.open(database, now: Date())
        try await registry.registerServer(kind: .sfu, id: "sfu-1", address: "busy.test:443", capacity: 10, now: Date())
        try await registry.registerServer(kind: .sfu, id: "sfu-2", address: "idle.test:443", capacity: 10, now: Date())
        _ = try await registry.heartbeat(kind: .sfu, id: "sfu-1", load: 8, now: Date())
        _ = try await registry.heartbeat(kind: .sfu, id: "sfu-2", load: 1, now: Date())
        try await registry.registerServer(kind: .turn, id: "turn-1", address: "127.0.0.2:3478", capacity: 100, now: Date())
        try await registry.registerServer(kind: .fs, id: "fs-1", address: "fs1.test:443", capacity: 100, now: Date())
        var configuration = AllocatorConfiguration(stateDatabase: directory.appendingPathComponent("state.sqlite").path,
            turn: [], fs: [], scheduled: .leastLoaded, instant: .leastLoaded, registry: .sqlite(path: registryPath))
        configuration.instantLifetime = 3600
        let server = try await RunningAllocator.start(configuration, clock: VirtualClock(Self.t0))
        do {
            let media = try await server.query("Kind=SFUTURN&Email=ada@x.test&BeginAt=\(Self.t0)&EndAt=\(Self.t0 + 60)")
            #expect(media.status == 200 && media.body == #"{"sfu":"idle.test:443","turn":"127.0.0.2:3478"}"#, "\(media)")
            let files = try await server.query("Kind=FS&Email=ada@x.test")
            #expect(files.body == #"{"fs":"fs1.test:443"}"#, "\(files)")
        } catch {
            await server.stop()
            await database.close()
            throw error
        }
        await server.stop()
        await database.close()
    }

    /// A provisioning script in the test's directory: appends its action and environment to calls.log; a create
    /// prints the address of a loopback listener the test controls.
    static func script(_ directory: URL, address: String) throws -> String {
        let path = directory.appendingPathComponent("sfu-vm.sh").path
        let log = directory.appendingPathComponent("calls.log").path
        try """
            #!/bin/sh
            echo "$1 $MEETING_KIND $MEETING_OWNER $MEETING_BEGIN_AT $MEETING_END_AT ${MEETING_SFU:-none}" >> '\(log)'
            if [ "$1" = create ]; then echo "creating..."; echo "\(address)"; fi
            exit 0
            """.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    static func calls(_ directory: URL) -> [String] {
        let text = (try? String(contentsOfFile: directory.appendingPathComponent("calls.log").path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    @Test("Provisioning runs the real command at the right virtual times; 503 until the new sfuserver answers")
    func provisioningCommand() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The "new sfuserver": a loopback port we open only later, so the probe fails first.
        let reserved = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(reserved.localAddress?.port)
        try await reserved.close()
        let script = try Self.script(directory, address: "127.0.0.1:\(port)")
        let settings = ProvisioningSettings(create: [script, "create"], delete: [script, "delete"],
            commandTimeout: .seconds(30), createBefore: 7200, deleteAfter: 7200, instantLifetime: 10800, retryAfter: 60)
        let configuration = AllocatorConfiguration(stateDatabase: directory.appendingPathComponent("state.sqlite").path,
            turn: ["127.0.0.1:3478"], fs: ["fs.test:443"], scheduled: .provision(settings), instant: .provision(settings))
        let clock = VirtualClock(Self.t0 - 86400)
        let server = try await RunningAllocator.start(configuration, clock: clock)
        var listener: (any Channel)?
        do {
            let scheduled = "Kind=SFUTURN&Email=ada@x.test&BeginAt=\(Self.t0)&EndAt=\(Self.t0 + 3600)"
            #expect(try await server.query(scheduled).status == 503)
            clock.set(Self.t0 - 7201)
            try await server.service.tick()
            try await eventually("quiet") { await server.service.busy == 0 }
            #expect(Self.calls(directory).isEmpty, "nothing is created before BeginAt - 2 h")
            clock.set(Self.t0 - 7200)
            try await server.service.tick()
            try await eventually("the create command") { Self.calls(directory).count == 1 }
            #expect(Self.calls(directory) == ["create scheduled ada@x.test \(Self.t0) \(Self.t0 + 3600) none"])
            try await eventually("the create to finish") { await server.service.busy == 0 }
            #expect(try await server.query(scheduled).status == 503, "not ready before the server answers")
            listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: port).get()
            try await eventually("the probe to succeed") {
                try await server.service.tick()
                return try await server.query(scheduled).status == 200
            }
            #expect(try await server.query(scheduled).body == #"{"sfu":"127.0.0.1:\#(port)","turn":"127.0.0.1:3478"}"#)
            clock.set(Self.t0 + 3600 + 7199)
            try await server.service.tick()
            try await eventually("quiet") { await server.service.busy == 0 }
            #expect(Self.calls(directory).count == 1, "not deleted before EndAt + 2 h")
            clock.set(Self.t0 + 3600 + 7200)
            try await server.service.tick()
            try await eventually("the delete command") { Self.calls(directory).count == 2 }
            #expect(Self.calls(directory).last == "delete scheduled ada@x.test \(Self.t0) \(Self.t0 + 3600) 127.0.0.1:\(port)")
            try await eventually("the reservation to be released") { await server.service.reservations.isEmpty }

            // Instant: created at the first query, deleted 3 h later.
            let instant = "Kind=SFUTURN&Email=bob@x.test&BeginAt=0&EndAt=0"
            let start = clock.now
            #expect(try await server.query(instant).status == 503)
            try await eventually("the instant create") { Self.calls(directory).count == 3 }
            #expect(Self.calls(directory).last == "create instant bob@x.test 0 0 none")
            try await eventually("the instant server to be ready") {
                try await server.service.tick()
                return try await server.query(instant).status == 200
            }
            let ready = clock.now
            #expect(ready == start)
            clock.set(ready + 10800)
            try await server.service.tick()
            try await eventually("the instant delete") { Self.calls(directory).count == 4 }
            #expect(Self.calls(directory).last == "delete instant bob@x.test 0 0 127.0.0.1:\(port)")
        } catch {
            try? await listener?.close()
            await server.stop()
            throw error
        }
        try? await listener?.close()
        await server.stop()
    }

    @Test("A failing or hanging command is bounded, its output captured")
    func commandBounds() async throws {
        let failing = try await ProvisioningCommand.run(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"],
            environment: [:], timeout: .seconds(30))
        #expect(failing.status == 3 && failing.stdout == "out\n" && failing.stderr == "err\n")
        guard case .failure(let error) = ProvisioningCommand.address(from: failing) else {
            Issue.record("exit 3 must fail"); return
        }
        #expect(error.description.contains("exit status 3") && error.description.contains("err"))
        let hanging = try await ProvisioningCommand.run(["/bin/sleep", "30"], environment: [:], timeout: .milliseconds(200))
        #expect(hanging.timedOut)
    }
}

@Suite("ProvisioningCommand cancellation")
struct ProvisioningCancellationTests {
    @Test("Cancelling a running command terminates its process instead of waiting for the timeout")
    func cancelled() async throws {
        let task = Task {
            try await ProvisioningCommand.run(["/bin/sleep", "600"], environment: [:], timeout: .seconds(600))
        }
        // Cancelled at once or while running: either way the process is started and then terminated.
        task.cancel()
        let outcome = try await task.value
        #expect(outcome.status != 0 && !outcome.timedOut, "\(outcome)")
    }
}
