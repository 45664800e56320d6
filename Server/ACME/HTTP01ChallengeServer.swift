import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal HTTP/1.1 server for port 80 that answers only ACME HTTP-01 requests from a
/// ``HTTP01ChallengeResponder`` (200 with the key authorization as `application/octet-stream`, RFC 8555 §8.3) and
/// 404 to everything else. For deployments where nothing else listens on port 80.
public final class HTTP01ChallengeServer: Sendable {
    let channel: any Channel
    /// The port actually bound (differs from the request when that was 0).
    public let port: Int

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    public static func start(host: String, port: Int, responder: HTTP01ChallengeResponder,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws(ACMEError)
        -> HTTP01ChallengeServer
    {
        do {
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(ChallengeHandler(responder: responder))
                    }
                }
                .bind(host: host, port: port).get()
            return HTTP01ChallengeServer(channel: channel, port: channel.localAddress?.port ?? port)
        } catch {
            throw ACMEError(.configuration, "cannot listen on \(host):\(port) for ACME HTTP-01: \(error)"
                + (port < 1024 ? " (port 80 needs root or CAP_NET_BIND_SERVICE)" : ""))
        }
    }

    public func stop() async {
        try? await channel.close()
    }
}

private final class ChallengeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let responder: HTTP01ChallengeResponder
    var path: String?
    var method: HTTPMethod = .GET

    init(responder: HTTP01ChallengeResponder) {
        self.responder = responder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = head.uri
            method = head.method
        case .body:
            break
        case .end:
            let answer = (method == .GET || method == .HEAD) ? path.flatMap(responder.response(forPath:)) : nil
            let body = answer ?? "not found\n"
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: answer == nil ? "text/plain" : "application/octet-stream")
            headers.add(name: "Content-Length", value: "\(body.utf8.count)")
            headers.add(name: "Connection", value: "close")
            let head = HTTPResponseHead(version: .http1_1, status: answer == nil ? .notFound : .ok, headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            if method != .HEAD {
                context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))),
                    promise: nil)
            }
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}
