import APIServer
import APIStore
import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServerKit
import ServiceLifecycle
import Synchronization
import Testing

/// A running apiserver on a free loopback port, over a real store, with short intervals.
final class RunningAPIServer: Sendable {
    let server: APIServer
    let port: Int
    let task: Task<Void, any Error>
    let codes: CodeInbox

    var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(server: APIServer, port: Int, task: Task<Void, any Error>, codes: CodeInbox) {
        self.server = server
        self.port = port
        self.task = task
        self.codes = codes
    }

    static let secret = "test-deployment-secret-0123456789"

    /// Starts an apiserver; `configure` shortens intervals or sets `--allocateserver`.
    static func start(store: any Store, configure: (inout APIServerConfiguration) -> Void = { _ in })
        async throws -> RunningAPIServer
    {
        let codes = CodeInbox()
        var configuration = APIServerConfiguration(secret: secret, publicURL: "http://127.0.0.1", host: "127.0.0.1",
            port: 0)
        configuration.workerInterval = .milliseconds(100)
        configuration.heartbeatInterval = .milliseconds(200)
        configuration.deadAfter = .seconds(1)
        configuration.allocationBackoff = .seconds(1)
        configuration.allocationMaximumBackoff = .seconds(2)
        configuration.allocateTimeout = .seconds(2)
        configuration.sfuSignalingScheme = "ws"
        configuration.admins = ["admin@example.com"]
        configuration.onSignInCode = { email, code in codes.put(email, code) }
        configure(&configuration)
        var logger = Logger(label: "test.apiserver")
        logger.logLevel = .critical
        let server = APIServer(configuration: configuration, store: store, logger: logger)
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let app = try server.application { port in continuation.yield(port) }
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = stream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw HarnessError("the apiserver did not start") }
        return RunningAPIServer(server: server, port: port, task: task, codes: codes)
    }

    func stop() async {
        task.cancel()
        _ = await task.result
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Sign-in codes as `meeting up` would print them.
final class CodeInbox: Sendable {
    private let codes = NIOLockedValueBoxLike<[String: String]>([:])
    func put(_ email: String, _ code: String) { codes.with { $0[email] = code } }
    func code(for email: String) -> String? { codes.with { $0[email] } }
}


final class NIOLockedValueBoxLike<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func with<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}

/// A JSON answer.
struct APIResponse: CustomStringConvertible {
    var status: Int
    var json: [String: Any]
    var headers: [String: String]

    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    subscript(key: String) -> Any? { json[key] }
    func string(_ key: String) -> String? { json[key] as? String }
    var description: String { "\(status) \(json)" }
}

/// A small JSON-over-HTTP client for the tests.
struct APIClient {
    let baseURL: String
    var token: String?

    init(_ server: RunningAPIServer, token: String? = nil) {
        baseURL = server.baseURL
        self.token = token
    }

    init(baseURL: String, token: String? = nil) {
        self.baseURL = baseURL
        self.token = token
    }

    func call(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil, token: String?? = .none,
        headers: [(String, String)] = []) async throws -> APIResponse
    {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        let bearer: String? = token ?? self.token
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        var json: [String: Any] = [:]
        if bytes.readableBytes > 0,
            let object = try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any]
        {
            json = object
        }
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        return APIResponse(status: Int(response.status.code), json: json, headers: headers)
    }

    /// Signs in `email` with the code the apiserver produced; returns a client carrying the session.
    static func signIn(_ server: RunningAPIServer, email: String) async throws -> APIClient {
        let client = APIClient(server)
        let requested = try await client.call(.POST, "/v1/signin/code", ["email": email])
        #expect(requested.status == 202, "\(requested)")
        let code = try #require(server.codes.code(for: email.lowercased()))
        let verified = try await client.call(.POST, "/v1/signin/verify", ["email": email, "code": code])
        #expect(verified.status == 200, "\(verified)")
        return APIClient(server, token: try #require(verified.string("token")))
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; never a fixed sleep.
func eventually(timeout: Duration = .seconds(10), _ what: String,
    _ condition: () async throws -> Bool) async throws
{
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("timed out after \(timeout) waiting for: \(what)")
    throw HarnessError("timed out: \(what)")
}
