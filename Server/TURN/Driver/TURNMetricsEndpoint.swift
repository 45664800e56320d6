import NIOCore
import NIOHTTP1
import NIOPosix

/// `/metrics` in the Prometheus text format (version 0.0.4) and `/healthz`, on a small NIOHTTP1 server.
enum TURNMetricsEndpoint {
    static func bind(host: String, port: Int, group: MultiThreadedEventLoopGroup,
        contexts: [NIOLoopBound<TURNLoopContext>]) async throws(TURNServerError) -> any Channel
    {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(contexts: contexts))
                }
            }
        do {
            return try await bootstrap.bind(host: host, port: port).get()
        } catch {
            throw TURNServer.bindError(error, what: "metrics HTTP", host: host, port: port)
        }
    }

    /// The exposition text for `metrics`.
    static func render(_ metrics: TURNMetrics) -> String {
        var text = ""
        func gauge(_ name: String, _ help: String, _ value: Int) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n\(name) \(value)\n"
        }
        func counter(_ name: String, _ help: String, _ value: Int) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) counter\n\(name) \(value)\n"
        }
        gauge("turn_allocations", "Allocations currently open.", metrics.allocations)
        gauge("turn_permissions", "Permissions currently installed.", metrics.permissions)
        gauge("turn_channels", "Channel bindings currently installed.", metrics.channels)
        counter("turn_allocations_created_total", "Allocations created.", metrics.allocationsCreated)
        counter("turn_relayed_packets_total{direction=\"to_peer\"}", "Packets relayed.", metrics.packetsToPeers)
        text += "turn_relayed_packets_total{direction=\"to_client\"} \(metrics.packetsToClients)\n"
        counter("turn_relayed_bytes_total{direction=\"to_peer\"}", "Payload bytes relayed.", metrics.bytesToPeers)
        text += "turn_relayed_bytes_total{direction=\"to_client\"} \(metrics.bytesToClients)\n"
        counter("turn_auth_failures_total", "Failed authentications.", metrics.authenticationFailures)
        counter("turn_denied_peers_total", "Permissions or channels refused by the peer policy.", metrics.deniedPeers)
        counter("turn_quota_rejections_total", "Allocations refused by quota (486).", metrics.quotaRejections)
        counter("turn_dropped_total{reason=\"unauthenticated_size\"}", "Packets dropped.",
            metrics.droppedUnauthenticatedResponses)
        text += "turn_dropped_total{reason=\"rate_limited\"} \(metrics.droppedRateLimited)\n"
        text += "turn_dropped_total{reason=\"bandwidth\"} \(metrics.droppedBandwidth)\n"
        text += "turn_dropped_total{reason=\"no_permission\"} \(metrics.droppedNoPermission)\n"
        text += "turn_dropped_total{reason=\"malformed\"} \(metrics.malformed)\n"
        counter("turn_binding_requests_total", "STUN Binding requests answered.", metrics.bindingRequests)
        return text
    }
}

final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let contexts: [NIOLoopBound<TURNLoopContext>]
    var path: String?

    init(contexts: [NIOLoopBound<TURNLoopContext>]) {
        self.contexts = contexts
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = head.uri
        case .body:
            break
        case .end:
            let path = self.path ?? "/"
            self.path = nil
            let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            let loopBoundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
            switch path {
            case "/healthz":
                respond(context: context, status: .ok, body: "ok\n", contentType: "text/plain")
            case "/metrics":
                let futures = contexts.map { bound in bound.eventLoop.submit { bound.value.core.metrics } }
                EventLoopFuture.whenAllSucceed(futures, on: context.eventLoop).whenComplete { result in
                    var total = TURNMetrics()
                    if case .success(let all) = result { for metrics in all { total.add(metrics) } }
                    loopBoundSelf.value.respond(context: loopBoundContext.value, status: .ok,
                        body: TURNMetricsEndpoint.render(total), contentType: "text/plain; version=0.0.4")
                }
            default:
                respond(context: context, status: .notFound, body: "not found\n", contentType: "text/plain")
            }
        }
    }

    func respond(context: ChannelHandlerContext, status: HTTPResponseStatus, body: String, contentType: String) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
