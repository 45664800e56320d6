import NIOCore
import NIOHTTP1
import NIOPosix

/// A tiny HTTP/1.1 server for `/healthz` and `/metrics` (DESIGN.md §8), for servers that have no HTTP API of their
/// own to hang them on (sfuserver, fsserver's admin port). `health` answers whether the server can serve (200
/// "ok", else 503 with the reason); `metrics` renders the Prometheus text (see ``PrometheusText``). Both are called
/// on an event loop for each request, so they must be cheap and thread-safe.
public enum HealthAndMetricsEndpoint {
    /// Why the server is unhealthy, or nil when it is fine.
    public typealias Health = @Sendable () -> String?
    public typealias Metrics = @Sendable () -> String

    /// Binds `host:port` (port 0: any free port; read it from the returned channel's `localAddress`).
    public static func bind(host: String, port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        health: @escaping Health, metrics: @escaping Metrics) async throws -> any Channel
    {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(
                        HealthAndMetricsHandler(health: health, metrics: metrics))
                }
            }
        return try await bootstrap.bind(host: host, port: port).get()
    }
}

final class HealthAndMetricsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let health: HealthAndMetricsEndpoint.Health
    let metrics: HealthAndMetricsEndpoint.Metrics
    var head: HTTPRequestHead?

    init(health: @escaping HealthAndMetricsEndpoint.Health, metrics: @escaping HealthAndMetricsEndpoint.Metrics) {
        self.health = health
        self.metrics = metrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            switch (head.method, path) {
            case (.GET, "/healthz"), (.HEAD, "/healthz"):
                if let problem = health() {
                    respond(context: context, head: head, status: .serviceUnavailable, body: problem + "\n",
                        contentType: "text/plain; charset=utf-8")
                } else {
                    respond(context: context, head: head, status: .ok, body: "ok\n", contentType: "text/plain; charset=utf-8")
                }
            case (.GET, "/metrics"), (.HEAD, "/metrics"):
                respond(context: context, head: head, status: .ok, body: metrics(),
                    contentType: "text/plain; version=0.0.4; charset=utf-8")
            default:
                respond(context: context, head: head, status: .notFound, body: "not found\n",
                    contentType: "text/plain; charset=utf-8")
            }
        }
    }

    private func respond(context: ChannelHandlerContext, head request: HTTPRequestHead, status: HTTPResponseStatus,
        body: String, contentType: String)
    {
        var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
        buffer.writeString(body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(buffer.readableBytes))
        let keepAlive = request.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status,
            headers: headers))), promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }
}
