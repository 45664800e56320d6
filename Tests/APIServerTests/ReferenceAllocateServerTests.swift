import APIServer
import APIStore
import Allocator
import Foundation
import Logging
import NIOHTTP1
import Testing

/// The real apiserver with our reference allocateserver (Server/Allocator) as its `--allocateserver`.
@Suite("ReferenceAllocateServer")
struct ReferenceAllocateServerTests {
    @Test("Scheduled and instant meetings get the static pool's servers through the real allocateserver")
    func apiserverUsesReferenceAllocateServer() async throws {
        let (store, cleanup) = try await StoreBackends.sqlite()
        defer { cleanup() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("alloc-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var logger = Logger(label: "test.allocateserver")
        logger.logLevel = .critical
        let configuration = AllocatorConfiguration(
            stateDatabase: directory.appendingPathComponent("allocate.sqlite").path,
            turn: ["127.0.0.1:3478"], fs: ["fs.pool.test:443"],
            scheduled: .pool(["sfu-a.pool.test:443", "sfu-b.pool.test:443"]), instant: .pool(["sfu-i.pool.test:443"]))
        let service = try await AllocatorService.open(configuration: configuration, logger: logger)
        let path = "/alloc-ref-9f3k2x"
        let allocateServer = AllocateServer(service: service, path: path, host: "127.0.0.1", port: 0, logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let allocatorTask = Task { try await allocateServer.run { port in continuation.yield(port) } }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let api = try await RunningAPIServer.start(store: store) {
            $0.allocateServerURL = "http://127.0.0.1:\(port)\(path)"
        }
        func stopAll() async {
            await api.stop()
            allocatorTask.cancel()
            _ = await allocatorTask.result
            await service.shutdown()
        }
        do {
            let ada = try await APIClient.signIn(api, email: "ada@example.com")
            let begin = Int64(Date().timeIntervalSince1970) + 86400
            var sfus: [String] = []
            for _ in 0..<2 {
                let created = try await ada.call(.POST, "/v1/meetings", ["title": "Review", "beginAt": begin,
                    "endAt": begin + 3600])
                #expect(created.status == 201, "\(created)")
                let id = try #require(created.string("id"))
                let joined = try await ada.call(.POST, "/v1/meetings/\(id)/join", [:])
                #expect(joined.status == 200, "\(joined)")
                #expect(joined.string("turn") == "127.0.0.1:3478")
                sfus.append(try #require(joined.string("sfu")))
            }
            // Two overlapping scheduled meetings (different owners' keys differ by nothing but times here, so
            // the second has the same owner and times: the contract cannot tell them apart and they share).
            #expect(sfus.allSatisfy { $0 == "sfu-a.pool.test:443" || $0 == "sfu-b.pool.test:443" }, "\(sfus)")
            let bob = try await APIClient.signIn(api, email: "bob@example.com")
            let other = try await bob.call(.POST, "/v1/meetings", ["title": "Overlap", "beginAt": begin + 60,
                "endAt": begin + 1800])
            let otherID = try #require(other.string("id"))
            let otherJoin = try await bob.call(.POST, "/v1/meetings/\(otherID)/join", [:])
            #expect(otherJoin.status == 200, "\(otherJoin)")
            #expect(otherJoin.string("sfu") != sfus[0], "overlapping meetings never share an sfuserver")
            #expect(otherJoin.string("sfu")?.hasSuffix(".pool.test:443") == true)
            let scheduled = await service.reservations.filter { $0.kind == .scheduled }
            #expect(scheduled.count == 2, "\(scheduled)")
        } catch {
            await stopAll()
            throw error
        }
        await stopAll()
    }
}
