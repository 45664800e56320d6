import NIOCore
import STUN

/// Reads STUN and ChannelData from clients on a UDP listening socket (RFC 8656 §5: UDP is the transport every TURN
/// server supports). ChannelData takes the fast path straight to the relay socket; STUN goes to the core.
final class TURNUDPListenerHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    let context: TURNLoopContext
    var localAddress: STUNTransportAddress?

    init(context: TURNLoopContext) {
        self.context = context
    }

    func channelActive(context channelContext: ChannelHandlerContext) {
        if let local = channelContext.channel.localAddress.flatMap(SocketAddressConversion.transportAddress) {
            localAddress = local
            context.udpListeners[local] = channelContext.channel
        }
        channelContext.fireChannelActive()
    }

    func channelInactive(context channelContext: ChannelHandlerContext) {
        if let localAddress { context.udpListeners.removeValue(forKey: localAddress) }
        channelContext.fireChannelInactive()
    }

    func channelRead(context channelContext: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let server = localAddress,
            let client = SocketAddressConversion.transportAddress(envelope.remoteAddress),
            let first = envelope.data.getInteger(at: envelope.data.readerIndex, as: UInt8.self)
        else { return }
        let fiveTuple = TURNFiveTuple(client: client, server: server, transport: .udp)
        let now = TURNLoopContext.now()
        if first & 0xC0 == 0x40 {
            // ChannelData (RFC 8656 §12.4): header, then up to 3 bytes of optional padding over UDP.
            let bytes = envelope.data
            guard let channel = bytes.getInteger(at: bytes.readerIndex, as: UInt16.self),
                let length = bytes.getInteger(at: bytes.readerIndex + 2, as: UInt16.self),
                Int(length) + 4 <= bytes.readableBytes,
                let payload = bytes.getSlice(at: bytes.readerIndex + 4, length: Int(length)),
                let route = context.core.routeChannelData(channel: channel, length: Int(length), from: fiveTuple,
                    now: now)
            else { return }
            context.sendToPeer(payload, relay: route.relay, peer: route.peer)
            return
        }
        // Cache the client's socket address for answers and relayed data (no re-encoding per packet).
        if context.socketAddresses[client] == nil { context.socketAddresses[client] = envelope.remoteAddress }
        context.perform(context.core.handle(envelope.data, from: fiveTuple, now: now))
    }

    func channelReadComplete(context channelContext: ChannelHandlerContext) {
        context.flushPending()
        channelContext.fireChannelReadComplete()
    }

    func errorCaught(context channelContext: ChannelHandlerContext, error: any Error) {
        // ICMP errors surface as read errors on UDP sockets; they must not close the listener.
    }
}

/// Reads datagrams that peers send to an allocation's relayed address and hands them to the client
/// (RFC 8656 §11.3, §12.7).
final class TURNRelayHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    let context: TURNLoopContext
    let relay: TURNRelayID

    init(context: TURNLoopContext, relay: TURNRelayID) {
        self.context = context
        self.relay = relay
    }

    func channelRead(context channelContext: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let peer = SocketAddressConversion.transportAddress(envelope.remoteAddress),
            let delivery = context.core.routePeerData(relay: relay, from: peer, length: envelope.data.readableBytes,
                now: TURNLoopContext.now())
        else { return }
        context.deliverToClient(envelope.data, delivery: delivery, peer: peer)
    }

    func channelReadComplete(context channelContext: ChannelHandlerContext) {
        // No flush here: the loop's flush task sends what every relay read this iteration (see markForFlush).
        channelContext.fireChannelReadComplete()
    }

    func errorCaught(context channelContext: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable from a peer arrives as a read error; keep the relay open.
    }
}
