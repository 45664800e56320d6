import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The per-request context: Hummingbird's core storage, the WebSocket upgrade slot (for the registry), and the
/// client's IP address for rate limits.
public struct APIRequestContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<APIRequestContext>
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP as text ("unknown" if the socket has none, e.g. a Unix socket).
    var clientIP: String { remoteAddress?.ipAddress ?? "unknown" }
}
