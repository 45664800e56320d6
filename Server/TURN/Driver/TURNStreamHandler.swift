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

    func channelInactive(context channelContext: ChannelHandlerContext) {
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
        if buffer == nil || buffer?.readableBytes == 0 {
            buffer = incoming
        } else {
            buffer?.writeBuffer(&incoming)
        }
        guard let fiveTuple, var pending = buffer else { return }
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

    func channelReadComplete(context channelContext: ChannelHandlerContext) {
        context.flushPending()
        channelContext.fireChannelReadComplete()
    }

    func errorCaught(context channelContext: ChannelHandlerContext, error: any Error) {
        channelContext.close(promise: nil)
    }
}
