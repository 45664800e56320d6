import NIOHTTP1
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A tiny allocateserver for tests: records every query string it receives on its one path and answers what the
/// test sets (200 with the contract's JSON, or a non-200 meaning "not ready").
final class TestAllocateServer: Sendable {
    let recorder: Recorder
    let path = TestAllocateServer.path
    let port: Int
    let task: Task<Void, any Error>

    var url: String { "http://127.0.0.1:\(port)\(path)" }
    var queries: [String] { recorder.queries }
    func answerMedia(_ status: HTTPResponse.Status, _ body: String) { recorder.answerMedia(status, body) }
    func answerFiles(_ status: HTTPResponse.Status, _ body: String) { recorder.answerFiles(status, body) }

    private init(recorder: Recorder, port: Int, task: Task<Void, any Error>) {
        self.recorder = recorder
        self.port = port
        self.task = task
    }

    static let path = "/alloc-k3xq9-unguessable"

    static func start() async throws -> TestAllocateServer {
        let recorder = Recorder()
        let router = Router()
        router.get(RouterPath(stringLiteral: path)) { request, _ -> Response in
            let answer = recorder.record(request.uri.query ?? "")
            return Response(status: answer.status, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: answer.body)))
        }
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "test.allocateserver")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = stream.makeAsyncIterator()
        let port = await iterator.next() ?? 0
        let server = TestAllocateServer(recorder: recorder, port: port, task: task)
        return server
    }

    func stop() async {
        task.cancel()
        _ = await task.result
    }
}

/// What the test allocateserver heard and will answer.
final class Recorder: Sendable {
    struct Answer: Sendable {
        var status: HTTPResponse.Status
        var body: String
    }

    private let state = Mutex<(queries: [String], media: Answer, files: Answer)>(([],
        Answer(status: .ok, body: #"{"sfu":"sfu1.test:443","turn":"127.0.0.1:3478"}"#),
        Answer(status: .ok, body: #"{"fs":"fs1.test:443"}"#)))
    var queries: [String] { state.withLock { $0.queries } }

    func answerMedia(_ status: HTTPResponse.Status, _ body: String) {
        state.withLock { $0.media = Answer(status: status, body: body) }
    }

    func answerFiles(_ status: HTTPResponse.Status, _ body: String) {
        state.withLock { $0.files = Answer(status: status, body: body) }
    }

    /// Records a query and returns the answer for its kind.
    func record(_ query: String) -> Answer {
        state.withLock { state -> Answer in
            state.queries.append(query)
            return query.hasPrefix("Kind=FS") ? state.files : state.media
        }
    }
}
