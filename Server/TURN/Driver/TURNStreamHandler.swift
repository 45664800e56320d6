import NIOCore
import STUN

/// Reads STUN messages and ChannelData frames from a TCP or TLS client connection (RFC 8656 §12.5: over streams,
/// ChannelData is padded to a multiple of 4 bytes and frames follow each other with no other framing).
///
/// A stream that cannot be framed (a first byte that is neither STUN nor ChannelData) cannot be resynchronised and is
/// closed. Closing the connection deletes its allocation.
final class TURNStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let context: TURNLoopContext
    let transport: TURNClientTransport
    var fiveTuple: TURNFiveTuple?
    var buffer: ByteBuffer?
    /// RFC 6062 data connection: after ConnectionBind, bytes go to the peer connection unframed.
    var splicedTo: (any Channel)?
    var awaitingBind = false

    init(context: TURNLoopContext, transport: TURNClientTransport) {
        self.context = context
        self.transport = transport
    }

    func channelActive(context channelContext: ChannelHandlerContext) {
        let channel = channelContext.channel
        if let client = channel.remoteAddress.flatMap(SocketAddressConversion.transportAddress),
            let server = channel.localAddress.flatMap(SocketAddressConversion.transportAddress)
        {
            let tuple = TURNFiveTuple(client: client, server: server, transport: transport)
            fiveTuple = tuple
            context.streamConnections[tuple] = channel
        } else {
            channelContext.close(promise: nil)
        }
        channelContext.fireChannelActive()
    }

    /// Becomes a raw pipe to `peer` (RFC 6062 §5.4), passing on what arrived meanwhile.
    func splice(to peer: any Channel) {
        awaitingBind = false
        splicedTo = peer
        if let pending = buffer, pending.readableBytes > 0 { peer.writeAndFlush(pending, promise: nil) }
        buffer = nil
    }

    func channelInactive(context channelContext: ChannelHandlerContext) {
        splicedTo?.close(promise: nil)
        if let fiveTuple {
            context.streamConnections.removeValue(forKey: fiveTuple)
            context.perform(context.core.connectionClosed(fiveTuple))
            context.flushPending()
        }
        fiveTuple = nil
        channelContext.fireChannelInactive()
    }

    func channelRead(context channelContext: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if let splicedTo {
            splicedTo.writeAndFlush(incoming, promise: nil)
            return
        }
        if buffer == nil || buffer?.readableBytes == 0 {
            buffer = incoming
        } else {
            buffer?.writeBuffer(&incoming)
        }
        guard !awaitingBind, let fiveTuple, var pending = buffer else { return }
        buffer = nil
        let now = TURNLoopContext.now()
        frames: while pending.readableBytes > 0 {
            let frame: STUNStreamFraming.Frame
            do {
                frame = try STUNStreamFraming.nextFrame(in: pending)
            } catch {
                context.core.metrics.malformed += 1
                channelContext.close(promise: nil)
                return
            }
            switch frame {
            case .needMoreBytes:
                break frames
            case .stunMessage(let length):
                guard let message = pending.readSlice(length: length) else { break frames }
                if let owner = connectionBindOwner(message) {
                    // RFC 6062 §5.4: the core that owns the CONNECTION-ID answers; bytes that follow wait.
                    awaitingBind = true
                    let channel = channelContext.channel
                    let handler = NIOLoopBound(self, eventLoop: channelContext.eventLoop)
                    owner.eventLoop.execute {
                        owner.value.handleConnectionBind(message, from: fiveTuple, dataChannel: channel,
                            dataHandler: handler)
                    }
                    break frames
                }
                context.perform(context.core.handle(message, from: fiveTuple, now: now))
            case .channelData(let length):
                guard let framed = pending.readSlice(length: length),
                    let channel = framed.getInteger(at: framed.readerIndex, as: UInt16.self),
                    let payloadLength = framed.getInteger(at: framed.readerIndex + 2, as: UInt16.self),
                    let payload = framed.getSlice(at: framed.readerIndex + 4, length: Int(payloadLength)),
                    let route = context.core.routeChannelData(channel: channel, length: Int(payloadLength),
                        from: fiveTuple, now: now)
                else { continue frames }
                context.sendToPeer(payload, relay: route.relay, peer: route.peer)
            }
        }
        if pending.readableBytes > 0 {
            pending.discardReadBytes()
            buffer = pending
        }
    }

    /// For a ConnectionBind request, the context of the core that owns its CONNECTION-ID.
    func connectionBindOwner(_ message: ByteBuffer) -> NIOLoopBound<TURNLoopContext>? {
        guard let type = message.getInteger(at: message.readerIndex, as: UInt16.self),
            STUNMessageType(rawValue: type) == STUNMessageType(method: .connectionBind, messageClass: .request),
            let parsed = try? STUNMessage(parsing: message),
            case .connectionID(let id)? = parsed.first(.connectionID)
        else { return nil }
        let index = TURNServerCore.owningCore(of: id)
        guard index < context.siblings.count else { return nil }
        return context.siblings[index]
    }

    func channelReadComplete(context channelContext: ChannelHandlerContext) {
        context.flushPending()
        channelContext.fireChannelReadComplete()
    }

    func errorCaught(context channelContext: ChannelHandlerContext, error: any Error) {
        channelContext.close(promise: nil)
    }
}
