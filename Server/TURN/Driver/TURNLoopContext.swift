import NIOCore
import NIOPosix
import STUN

/// Everything one event loop owns: its ``TURNServerCore``, the channels that carry its clients and relays, and the
/// batching state. Used only on its event loop (handlers reach it through `NIOLoopBound`), so it needs no lock.
///
/// Batching (DESIGN.md §5): handlers only `write` while reading; at `channelReadComplete` every channel written
/// to in that burst is flushed once, which lets NIO hand the datagrams to `sendmmsg` together.
final class TURNLoopContext {
    let eventLoop: any EventLoop
    var core: TURNServerCore
    let relayBindIPv4: String
    let relayBindIPv6: String
    /// UDP listeners by their local address (the server side of a UDP 5-tuple).
    var udpListeners: [STUNTransportAddress: any Channel] = [:]
    /// TCP/TLS connections by 5-tuple.
    var streamConnections: [TURNFiveTuple: any Channel] = [:]
    /// RFC 6062 peer connections of this loop's TCP relays, by CONNECTION-ID.
    var peerConnections: [UInt32: TURNPeerTCPHandler] = [:]
    /// Every loop's context (this one included), by core index, to route ConnectionBind to the owning core.
    var siblings: [NIOLoopBound<TURNLoopContext>] = []
    /// Relay sockets by relay id.
    var relays: [TURNRelayID: any Channel] = [:]
    /// Socket addresses of recent peers and clients, so sending does not build one (a heap box) per packet.
    var socketAddresses: [STUNTransportAddress: SocketAddress] = [:]
    /// Channels written to since the last flush.
    var pendingFlush: [any Channel] = []
    /// Buffers that peer datagrams are framed into for the client (ChannelData header + payload), reused in turn:
    /// by the time the ring comes round, the datagram written from a buffer has been sent and the buffer is
    /// uniquely referenced again, so framing allocates nothing (if a send is still pending, writing copies once).
    var framingRing: [ByteBuffer]
    var framingIndex = 0
    static let framingRingSize = 256
    let allocator = ByteBufferAllocator()
    var timer: RepeatedTask?

    init(eventLoop: any EventLoop, core: TURNServerCore, relayBindIPv4: String, relayBindIPv6: String) {
        self.eventLoop = eventLoop
        self.core = core
        self.relayBindIPv4 = relayBindIPv4
        self.relayBindIPv6 = relayBindIPv6
        let allocator = self.allocator
        self.framingRing = (0..<Self.framingRingSize).map { _ in allocator.buffer(capacity: 2048) }
        pendingFlush.reserveCapacity(64)
    }

    static func now() -> TURNTime {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return TURNTime(nanosecondsSinceEpoch: Int64(spec.tv_sec) &* 1_000_000_000 &+ Int64(spec.tv_nsec))
    }

    func socketAddress(for address: STUNTransportAddress) -> SocketAddress {
        if let cached = socketAddresses[address] { return cached }
        if socketAddresses.count > 100_000 { socketAddresses.removeAll(keepingCapacity: true) }
        let made = SocketAddressConversion.socketAddress(address)
        socketAddresses[address] = made
        return made
    }

    /// This context, loop-bound, for the flush task (set once by the server after creation).
    var loopBoundSelf: NIOLoopBound<TURNLoopContext>?

    /// Remembers `channel` for the next flush. The first write of a loop iteration schedules one flush task, which
    /// runs after every ready socket of that iteration has been read: datagrams that many relays received for
    /// clients of one listener leave in one `sendmmsg`.
    func markForFlush(_ channel: any Channel) {
        for pending in pendingFlush where pending === channel { return }
        if pendingFlush.isEmpty, let loopBoundSelf {
            eventLoop.execute { loopBoundSelf.value.flushPending() }
        }
        pendingFlush.append(channel)
    }

    func flushPending() {
        for channel in pendingFlush { channel.flush() }
        pendingFlush.removeAll(keepingCapacity: true)
    }

    // MARK: Sending

    /// Sends bytes to the client of `fiveTuple` on its listener (UDP) or connection (TCP/TLS).
    func sendToClient(_ bytes: ByteBuffer, fiveTuple: TURNFiveTuple) {
        if fiveTuple.transport == .udp {
            guard let listener = udpListeners[fiveTuple.server] else { return }
            let envelope = AddressedEnvelope(remoteAddress: socketAddress(for: fiveTuple.client), data: bytes)
            listener.write(envelope, promise: nil)
            markForFlush(listener)
        } else {
            guard let connection = streamConnections[fiveTuple] else { return }
            connection.write(bytes, promise: nil)
            markForFlush(connection)
        }
    }

    func sendToPeer(_ payload: ByteBuffer, relay: TURNRelayID, peer: STUNTransportAddress) {
        guard let channel = relays[relay] else { return }
        channel.write(AddressedEnvelope(remoteAddress: socketAddress(for: peer), data: payload), promise: nil)
        markForFlush(channel)
    }

    /// Frames a peer's datagram for the client (ChannelData or Data indication) into the next ring buffer and sends it.
    func deliverToClient(_ payload: ByteBuffer, delivery: TURNClientDelivery, peer: STUNTransportAddress) {
        let index = framingIndex
        framingIndex = index + 1 == Self.framingRingSize ? 0 : index + 1
        // Mutated in place in the array, so a uniquely referenced buffer is reused without copying.
        framingRing[index].clear()
        TURNServerCore.frame(payload, for: delivery, peer: peer, into: &framingRing[index])
        guard framingRing[index].readableBytes > 0 else { return }
        sendToClient(framingRing[index], fiveTuple: delivery.fiveTuple)
    }

    // MARK: Actions

    func perform(_ actions: [TURNAction]) {
        for action in actions {
            switch action {
            case .sendToClient(let bytes, let fiveTuple):
                sendToClient(bytes, fiveTuple: fiveTuple)
            case .sendToPeer(let relay, let peer, let payload):
                sendToPeer(payload, relay: relay, peer: peer)
            case .openRelay(let relay, let family, let port):
                openRelay(relay, family: family, port: port)
            case .closeRelay(let relay):
                if let channel = relays.removeValue(forKey: relay) { channel.close(promise: nil) }
            case .openTCPRelay(let relay, let family, let port):
                openTCPRelay(relay, family: family, port: port)
            case .connectToPeer(let relay, let peer, let connectionID):
                connectToPeer(relay, peer: peer, connectionID: connectionID)
            case .closePeerConnection(let connectionID):
                peerConnections.removeValue(forKey: connectionID)?.channel?.close(promise: nil)
            case .spliceConnection:
                break  // only produced for a ConnectionBind, which handleConnectionBind performs itself
            }
        }
    }

    func openRelay(_ relay: TURNRelayID, family: STUNAddressFamily, port: UInt16) {
        let host = family == .ipv6 ? relayBindIPv6 : relayBindIPv4
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let future = DatagramBootstrap(group: eventLoop)
            .channelOption(.socketOption(.so_reuseaddr), value: 0)
            .channelOption(.maxMessagesPerRead, value: 16)
            // recvmmsg(2): up to 16 peer datagrams per system call, as on the listeners (DESIGN.md §5).
            .channelOption(.datagramVectorReadMessageCount, value: 16)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 16 * 4096))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        TURNRelayHandler(context: bound.value, relay: relay))
                }
            }
            .bind(host: host, port: Int(port))
        future.hop(to: eventLoop).assumeIsolated().whenComplete { result in
            let context = bound.value
            switch result {
            case .success(let channel):
                guard context.core.relayedAddress(of: relay) != nil else {
                    channel.close(promise: nil)  // the allocation went away while binding
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

    func tick() {
        perform(core.handleTimeout(now: Self.now()))
        flushPending()
    }
}
