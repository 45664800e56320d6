import NIOCore
import NIOPosix
import STUN

/// One TCP connection between a TCP relay and a peer (RFC 6062): held until the client binds a data connection to
/// it, then spliced byte for byte. Bytes from the peer before the bind are buffered (up to 64 KiB).
final class TURNPeerTCPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let context: TURNLoopContext
    let relay: TURNRelayID
    var connectionID: UInt32?
    /// The client data connection once spliced (it may live on another event loop).
    var target: (any Channel)?
    var buffered: ByteBuffer?
    weak var channel: (any Channel)?

    init(context: TURNLoopContext, relay: TURNRelayID, connectionID: UInt32?) {
        self.context = context
        self.relay = relay
        self.connectionID = connectionID
    }

    func channelActive(context channelContext: ChannelHandlerContext) {
        channel = channelContext.channel
        if connectionID == nil {
            // Accepted on the relay's listener (RFC 6062 §5.3).
            guard let peer = channelContext.channel.remoteAddress.flatMap(SocketAddressConversion.transportAddress),
                let (id, actions) = context.core.peerConnectionAccepted(relay: relay, from: peer,
                    now: TURNLoopContext.now())
            else {
                channelContext.close(promise: nil)
                return
            }
            connectionID = id
            context.peerConnections[id] = self
            context.perform(actions)
            context.flushPending()
        }
        channelContext.fireChannelActive()
    }

    func channelRead(context channelContext: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if let target {
            target.writeAndFlush(bytes, promise: nil)
        } else if buffered == nil {
            buffered = bytes
        } else if let count = buffered?.readableBytes, count + bytes.readableBytes <= 65536 {
            buffered?.writeBuffer(&bytes)
        }
    }

    /// Starts relaying to `dataConnection`, first what the peer sent while waiting.
    func splice(to dataConnection: any Channel) {
        target = dataConnection
        if let buffered, buffered.readableBytes > 0 { dataConnection.writeAndFlush(buffered, promise: nil) }
        buffered = nil
    }

    func channelInactive(context channelContext: ChannelHandlerContext) {
        target?.close(promise: nil)
        if let connectionID {
            context.peerConnections.removeValue(forKey: connectionID)
            context.core.peerConnectionClosed(connectionID: connectionID)
        }
        channelContext.fireChannelInactive()
    }

    func errorCaught(context channelContext: ChannelHandlerContext, error: any Error) {
        channelContext.close(promise: nil)
    }
}

extension TURNLoopContext {
    /// Listens for peers on a TCP relay (RFC 6062 §5.1).
    func openTCPRelay(_ relay: TURNRelayID, family: STUNAddressFamily, port: UInt16) {
        let host = family == .ipv6 ? relayBindIPv6 : relayBindIPv4
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let future = ServerBootstrap(group: eventLoop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        TURNPeerTCPHandler(context: bound.value, relay: relay, connectionID: nil))
                }
            }
            .bind(host: host, port: Int(port))
        future.hop(to: eventLoop).assumeIsolated().whenComplete { result in
            let context = bound.value
            switch result {
            case .success(let channel):
                guard context.core.relayedAddress(of: relay) != nil else {
                    channel.close(promise: nil)
                    return
                }
                context.relays[relay] = channel
                context.perform(context.core.relayOpened(relay, now: Self.now()))
            case .failure:
                context.perform(context.core.relayFailed(relay, now: Self.now()))
            }
            context.flushPending()
        }
    }

    /// Connects to a peer for a Connect request (RFC 6062 §5.2), from the relay's IP.
    func connectToPeer(_ relay: TURNRelayID, peer: STUNTransportAddress, connectionID: UInt32) {
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let handler = NIOLoopBound(TURNPeerTCPHandler(context: self, relay: relay, connectionID: connectionID),
            eventLoop: eventLoop)
        let host = peer.address.isIPv4 ? relayBindIPv4 : relayBindIPv6
        var bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(handler.value)
                }
            }
        if let local = try? SocketAddress(ipAddress: host, port: 0) { bootstrap = bootstrap.bind(to: local) }
        bootstrap.connect(to: socketAddress(for: peer)).hop(to: eventLoop).assumeIsolated().whenComplete { result in
            let context = bound.value
            switch result {
            case .success:
                context.peerConnections[connectionID] = handler.value
                context.perform(context.core.peerConnectionEstablished(relay: relay, connectionID: connectionID,
                    now: Self.now()))
            case .failure:
                context.perform(context.core.peerConnectionFailed(relay: relay, connectionID: connectionID,
                    now: Self.now()))
            }
            context.flushPending()
        }
    }

    /// Handles a ConnectionBind that arrived on data connection `dataChannel` (owned by the stream handler
    /// `dataHandler` on the data connection's loop): on success, splices the two connections.
    func handleConnectionBind(_ bytes: ByteBuffer, from fiveTuple: TURNFiveTuple, dataChannel: any Channel,
        dataHandler: NIOLoopBound<TURNStreamHandler>)
    {
        for action in core.handle(bytes, from: fiveTuple, now: Self.now()) {
            switch action {
            case .sendToClient(let response, let to) where to == fiveTuple:
                dataChannel.writeAndFlush(response, promise: nil)
            case .spliceConnection(let connectionID, _, let response):
                guard let peerHandler = peerConnections[connectionID], let peerChannel = peerHandler.channel else {
                    dataChannel.close(promise: nil)
                    continue
                }
                dataChannel.writeAndFlush(response, promise: nil)
                peerHandler.splice(to: dataChannel)
                dataHandler.eventLoop.execute {
                    dataHandler.value.splice(to: peerChannel)
                }
            default:
                perform([action])
            }
        }
        flushPending()
    }
}
