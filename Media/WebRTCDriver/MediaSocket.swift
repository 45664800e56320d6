import NIOCore
import NIOPosix

/// A bound UDP media socket: a `Sendable` handle on a ``UDPMediaTransport`` confined to one event loop.
///
/// A client binds one and creates one ``WebRTCPeer`` on it; an sfuserver binds one per event loop and hosts every
/// peer of the rooms pinned to that loop on it (``withTransport(_:)`` gives loop-confined access).
public struct MediaSocket: Sendable {
    /// The event loop that owns the socket and every connection on it.
    public let eventLoop: any EventLoop
    /// The bound address (with the port the kernel chose for port 0).
    public let localAddress: SocketAddress
    let transport: NIOLoopBound<UDPMediaTransport>
    let channel: any Channel

    /// Binds a UDP socket on a specific address (`127.0.0.1`, `::1`, an interface or public address).
    ///
    /// The address must not be a wildcard: it is the host candidate the peers are told about and the local
    /// address ICE matches received checks against.
    public static func bind(
        host: String, port: Int = 0, group: any EventLoopGroup
    ) async throws(WebRTCDriverError) -> MediaSocket {
        let address: SocketAddress
        do { address = try SocketAddress(ipAddress: host, port: port) } catch {
            throw .bindFailed("\(host) is not an IP address")
        }
        if address.ipAddress == "0.0.0.0" || address.ipAddress == "::" {
            throw .bindFailed("bind a specific address, not the wildcard \(host): it becomes the host candidate")
        }
        let vectorReadCount = 32
        do {
            let channel = try await DatagramBootstrap(group: group)
                // recvmmsg of up to 32 datagrams; NIO splits the receive buffer evenly among them, so it must hold
                // 32 full-size datagrams (the default 2 KiB would truncate each to 64 bytes).
                .channelOption(.datagramVectorReadMessageCount, value: vectorReadCount)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: vectorReadCount * 2048))
                .channelOption(.socketOption(.so_rcvbuf), value: 1 << 21)
                .channelOption(.socketOption(.so_sndbuf), value: 1 << 21)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(UDPMediaTransportHandler())
                    }
                }
                .bind(to: address).get()
            guard let bound = channel.localAddress else {
                try? await channel.close()
                throw WebRTCDriverError.bindFailed("no local address after bind")
            }
            let transport = try await channel.eventLoop.submit {
                let handler = try channel.pipeline.syncOperations.handler(type: UDPMediaTransportHandler.self)
                let transport = UDPMediaTransport(channel: channel, localAddress: bound)
                handler.transport = transport
                return NIOLoopBound(transport, eventLoop: channel.eventLoop)
            }.get()
            return MediaSocket(eventLoop: channel.eventLoop, localAddress: bound, transport: transport, channel: channel)
        } catch let error as WebRTCDriverError {
            throw error
        } catch {
            throw .bindFailed("\(host):\(port): \(error)")
        }
    }

    /// Runs `body` on the socket's event loop with the transport (to host connections, or to drive them).
    public func withTransport<Result: Sendable>(
        _ body: @escaping @Sendable (UDPMediaTransport) throws -> Result
    ) async throws -> Result {
        let transport = self.transport
        return try await eventLoop.submit { try body(transport.value) }.get()
    }

    /// Closes every hosted connection (close_notify goes out) and then the socket.
    public func close() async {
        let transport = self.transport
        try? await eventLoop.submit {
            let value = transport.value
            for hosted in Array(value.connections.values) { value.remove(hosted) }
        }.get()
        try? await channel.close()
    }
}
