// Join requests per second against a real apiserver on loopback, with p50/p99 latency.
//
//   swift run --package-path Benchmarks -c release APIJoinBenchmark [requests] [concurrency]
//   MEETING_BENCH_MYSQL="host:port user password database" … also runs it on MariaDB.
//
// Each request is `POST /v1/meetings/{id}/join` with a session: HTTP parsing, the session look-up, the meeting and
// role reads, a join token (JWT HS256) and a TURN REST credential, and the JSON answer. Client and server share
// the machine's cores, so the figure is a floor for the server alone.
import APIServer
import APIStore
import AsyncHTTPClient
import Database
import Foundation
import NIOCore
import ServerKit
import Synchronization

struct BenchError: Error, CustomStringConvertible {
    var description: String
}

func post(_ client: HTTPClient, _ url: String, _ body: String, token: String? = nil) async throws -> (Int, String) {
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
    request.body = .bytes(ByteBuffer(string: body))
    let response = try await client.execute(request, timeout: .seconds(30))
    let bytes = try await response.body.collect(upTo: 1 << 20)
    return (Int(response.status.code), String(buffer: bytes))
}

func field(_ json: String, _ name: String) -> String? {
    guard let data = json.data(using: .utf8),
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return nil }
    return object[name] as? String
}

/// The sign-in code the apiserver hands to its hook.
final class CodeBox: Sendable {
    private let code = Mutex<String?>(nil)
    func set(_ value: String) { code.withLock { $0 = value } }
    func get() -> String? { code.withLock { $0 } }
}

func run(label: String, store: any Store, requests: Int, concurrency: Int) async throws {
    let codes = CodeBox()
    var configuration = APIServerConfiguration(secret: "benchmark-secret-0123456789abcdef", publicURL: "http://127.0.0.1",
        host: "127.0.0.1", port: 0)
    configuration.deadAfter = .seconds(3600)
    configuration.onSignInCode = { _, code in codes.set(code) }
    configuration.codeRequestsPerIP = RateLimit(limit: 1000, windowSeconds: 60)
    let now = Date()
    _ = try await store.registerServer(kind: .sfu, id: "sfu.bench:443", address: "sfu.bench:443", capacity: 1000, now: now)
    _ = try await store.registerServer(kind: .turn, id: "127.0.0.1:3478", address: "127.0.0.1:3478", capacity: 1000, now: now)
    let server = APIServer(configuration: configuration, store: store)
    let (started, continuation) = AsyncStream<Int>.makeStream()
    let task = Task { try await server.run { port in continuation.yield(port) } }
    var iterator = started.makeAsyncIterator()
    guard let port = await iterator.next() else { throw BenchError(description: "the apiserver did not start") }
    let base = "http://127.0.0.1:\(port)"
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
        connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)))
    defer { task.cancel() }

    let email = "bench-\(label.lowercased())@example.com"
    _ = try await post(client, base + "/v1/signin/code", #"{"email":"\#(email)"}"#)
    guard let code = codes.get() else { throw BenchError(description: "no sign-in code") }
    let (_, verified) = try await post(client, base + "/v1/signin/verify", #"{"email":"\#(email)","code":"\#(code)"}"#)
    guard let token = field(verified, "token") else { throw BenchError(description: "sign-in failed: \(verified)") }
    let (_, room) = try await post(client, base + "/v1/meetings/instant", "", token: token)
    guard let id = field(room, "id") else { throw BenchError(description: "no room: \(room)") }
    let url = base + "/v1/meetings/\(id)/join"

    // Warm-up.
    for _ in 0..<50 { _ = try await post(client, url, "{}", token: token) }

    let clock = ContinuousClock()
    let start = clock.now
    let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
        for worker in 0..<concurrency {
            let share = requests / concurrency + (worker < requests % concurrency ? 1 : 0)
            group.addTask {
                var mine: [Double] = []
                mine.reserveCapacity(share)
                for _ in 0..<share {
                    let begin = clock.now
                    let (status, body) = try await post(client, url, "{}", token: token)
                    guard status == 200 else { throw BenchError(description: "join answered \(status): \(body)") }
                    let elapsed = clock.now - begin
                    mine.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
                }
                return mine
            }
        }
        var all: [Double] = []
        for try await part in group { all += part }
        return all
    }
    let total = clock.now - start
    let seconds = Double(total.components.seconds) + Double(total.components.attoseconds) / 1e18
    let sorted = latencies.sorted()
    func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
    print(String(format: "%@: %d joins, concurrency %d: %.0f joins/s; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms",
        label, sorted.count, concurrency, Double(sorted.count) / seconds, percentile(0.50), percentile(0.99),
        sorted.last ?? 0))
    try await client.shutdown()
}

let arguments = CommandLine.arguments
let requests = arguments.count > 1 ? Int(arguments[1]) ?? 5000 : 5000
let concurrency = arguments.count > 2 ? Int(arguments[2]) ?? 16 : 16
print("APIJoinBenchmark: \(ProcessInfo.processInfo.activeProcessorCount) cores visible; client and apiserver in one process")

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("api-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
let sqlite = try await SQLStore.open(try await Database.sqlite(path: directory.appendingPathComponent("bench.sqlite3").path),
    now: Date())
try await run(label: "SQLite", store: sqlite, requests: requests, concurrency: concurrency)

if let spec = ProcessInfo.processInfo.environment["MEETING_BENCH_MYSQL"] {
    let parts = spec.split(separator: " ").map(String.init)
    guard parts.count == 4, let address = try? HostAndPort(parsing: parts[0], defaultPort: 3306) else {
        throw BenchError(description: "MEETING_BENCH_MYSQL is \"host:port user password database\"")
    }
    let database = try await Database.mariaDB(MariaDBConfiguration(host: address.host, port: address.port,
        user: parts[1], password: parts[2], database: parts[3], maximumConnections: 8))
    try await run(label: "MariaDB", store: try await SQLStore.open(database, now: Date()), requests: requests,
        concurrency: concurrency)
} else {
    print("MariaDB: skipped (set MEETING_BENCH_MYSQL=\"host:port user password database\")")
}
