import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// The allocateserver's HTTP side: the one secret path of the deployment doc's contract, plus `/healthz`.
/// Every other path is 404 — the path is the secret, so nothing reveals it.
public struct AllocateServer: Sendable {
    public let service: AllocatorService
    public let path: String
    public let host: String
    public let port: Int
    public let logger: Logger

    public init(service: AllocatorService, path: String, host: String, port: Int, logger: Logger) {
        self.service = service
        self.path = path
        self.host = host
        self.port = port
        self.logger = logger
    }

    /// Parses a contract query (RFC 3986 §3.4 query, percent-decoded by the router). Errors say what is wrong.
    public static func parse(kind: String?, email: String?, beginAt: String?, endAt: String?)
        throws(AllocatorError) -> AllocationQuery
    {
        guard let email, !email.isEmpty else { throw .badQuery("Email is required") }
        guard email.utf8.count <= 320, email.contains("@") else { throw .badQuery("Email is not an e-mail address") }
        switch kind {
        case "FS":
            return .files(requester: email)
        case "SFUTURN":
            guard let beginText = beginAt, let begin = Int64(beginText), begin >= 0 else {
                throw .badQuery("BeginAt must be unix seconds (0 for an instant meeting)")
            }
            guard let endText = endAt, let end = Int64(endText), end >= 0 else {
                throw .badQuery("EndAt must be unix seconds (0 for an instant meeting)")
            }
            if (begin == 0) != (end == 0) { throw .badQuery("BeginAt and EndAt are both 0 (instant) or both set") }
            if begin != 0 && end <= begin { throw .badQuery("EndAt must be after BeginAt") }
            return .media(owner: email, beginAt: begin, endAt: end)
        case nil:
            throw .badQuery("Kind is required (SFUTURN or FS)")
        case let other?:
            throw .badQuery("Kind \"\(other.prefix(40))\" is not SFUTURN or FS")
        }
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        let service = self.service
        let logger = self.logger
        router.get("/healthz") { _, _ -> Response in
            Self.response(.ok, "ok\n", type: "text/plain; charset=utf-8")
        }
        router.get(RouterPath(stringLiteral: path)) { request, _ -> Response in
            let parameters = request.uri.queryParameters
            let query: AllocationQuery
            do throws(AllocatorError) {
                query = try Self.parse(kind: parameters.get("Kind"), email: parameters.get("Email"),
                    beginAt: parameters.get("BeginAt"), endAt: parameters.get("EndAt"))
            } catch {
                return Self.json(.badRequest, ["error": error.code, "message": error.description])
            }
            do {
                switch try await service.answer(query) {
                case .media(let sfu, let turn): return Self.json(.ok, ["sfu": sfu, "turn": turn])
                case .files(let fs): return Self.json(.ok, ["fs": fs])
                case .notReady(let reason):
                    var response = Self.json(.serviceUnavailable, ["error": "allocator.preparing", "message": reason])
                    response.headers[.retryAfter] = "5"
                    return response
                }
            } catch {
                logger.error("allocateserver: \(error)")
                return Self.json(.internalServerError, ["error": "allocator.internal", "message": "\(error)"])
            }
        }
        return router
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: String]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return response(status, String(decoding: data, as: UTF8.self), type: "application/json")
    }

    static func response(_ status: HTTPResponse.Status, _ body: String, type: String) -> Response {
        Response(status: status, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Serves until cancelled (or SIGTERM/SIGINT when `untilSignalled`), running the timer loop
    /// beside; `onRunning` gets the bound port.
    public func run(untilSignalled: Bool = false, onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        async throws
    {
        let app = Application(router: router(), configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) }, logger: logger)
        let timer = Task { await service.runTimer() }
        defer { timer.cancel() }
        try await app.runService(gracefulShutdownSignals: untilSignalled ? [.sigterm, .sigint] : [])
    }
}
