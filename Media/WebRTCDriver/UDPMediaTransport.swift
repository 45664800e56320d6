import ICE
import NIOCore
import STUN
import WebRTC

/// One UDP socket serving any number of ``PeerConnection``s: a client has one, an sfuserver many (RFC 8445 §2.5:
/// a lite server can use one host candidate for every peer).
///
/// Datagrams are routed to their connection by remote address; a datagram from an address not seen yet is routed
/// by the local half of its STUN USERNAME (`ours:theirs`, RFC 8445 §7.2.2), the only thing that identifies a new
/// peer before ICE has a path, and its address is then remembered (at most ``maximumAddressesPerConnection`` per
/// connection). Addresses a connection sends to are remembered too, so a full agent's check responses, DTLS and
/// media from its peer find it. Anything else is counted in ``unroutedDatagrams`` and dropped.
///
/// Confined to its event loop. Each connection's timer is one `scheduleTask` at the core's
/// ``PeerConnection/nextDeadline()``; writes queue on the channel and are flushed once per read batch or call, so
/// the kernel sees `sendmmsg` batches (DESIGN.md §5).
public final class UDPMediaTransport {
    public let eventLoop: any EventLoop
    /// The address the socket is bound to; the host candidate every hosted connection uses.
    public let localAddress: SocketAddress
    let channel: any Channel
    var connections: [Int: HostedPeerConnection] = [:]
    var routeByAddress: [SocketAddress: HostedPeerConnection] = [:]
    var routeByUsernameFragment: [String: HostedPeerConnection] = [:]
    var nextConnectionID = 0
    var needsFlush = false
    /// Datagrams that matched no connection.
    public private(set) var unroutedDatagrams = 0
    /// How many remote addresses may route to one connection (its peer's candidates and NAT bindings).
    public static let maximumAddressesPerConnection = 16

    init(channel: any Channel, localAddress: SocketAddress) {
        self.channel = channel
        eventLoop = channel.eventLoop
        self.localAddress = localAddress
    }

    /// How many connections are hosted.
    public var connectionCount: Int { connections.count }

    // MARK: Hosting

    /// Hosts a connection on this socket: adds the socket's address as its host candidate and routes STUN for
    /// its ICE username fragment to it. `onEvent` receives its events on the event loop.
    public func host(_ core: PeerConnection, onEvent: @escaping (PeerConnectionEvent) -> Void) -> HostedPeerConnection {
        eventLoop.preconditionInEventLoop()
        let hosted = HostedPeerConnection(id: nextConnectionID, core: core, onEvent: onEvent)
        nextConnectionID += 1
        connections[hosted.id] = hosted
        routeByUsernameFragment[hosted.localUsernameFragment] = hosted
        core.addHostCandidates([localAddress], now: .now())
        service(hosted)
        return hosted
    }

    /// Stops hosting a connection: closes it (close_notify goes out), cancels its timer, forgets its routes.
    public func remove(_ hosted: HostedPeerConnection) {
        guard !hosted.isRemoved else { return }
        hosted.core.close(now: .now())
        service(hosted)
        hosted.isRemoved = true
        hosted.timer?.cancel()
        hosted.timer = nil
        connections.removeValue(forKey: hosted.id)
        for address in hosted.remoteAddresses where routeByAddress[address] === hosted {
            routeByAddress.removeValue(forKey: address)
        }
        if routeByUsernameFragment[hosted.localUsernameFragment] === hosted {
            routeByUsernameFragment.removeValue(forKey: hosted.localUsernameFragment)
        }
    }

    /// Sends what the core has queued, delivers its events, re-arms its timer and flushes. Call after any direct
    /// call into ``HostedPeerConnection/core`` made outside the receive path (sending media, applying SDP).
    public func service(_ hosted: HostedPeerConnection) {
        drain(hosted)
        flushIfNeeded()
    }

    /// Like ``service(_:)`` but leaves the flush to the end of the current read batch: for sending on another
    /// connection from inside an `onEvent` callback (an SFU forwarding what it just received), so a batch of
    /// forwarded packets leaves in one `sendmmsg`.
    public func serviceDeferringFlush(_ hosted: HostedPeerConnection) {
        drain(hosted)
    }

    // MARK: Receive path

    /// A datagram from the socket.
    func receive(_ datagram: ByteBuffer, from remote: SocketAddress) {
        let hosted: HostedPeerConnection
        if let known = routeByAddress[remote] {
            hosted = known
        } else if let found = connectionForFirstContact(datagram) {
            hosted = found
            addRoute(remote, to: found)
        } else {
            unroutedDatagrams += 1
            return
        }
        hosted.core.handleReceive(datagram, from: remote, to: localAddress, now: .now())
        drain(hosted)
    }

    /// The connection a STUN Binding request from an unknown address is for: the local part of its USERNAME.
    func connectionForFirstContact(_ datagram: ByteBuffer) -> HostedPeerConnection? {
        guard let first = datagram.getInteger(at: datagram.readerIndex, as: UInt8.self), first < 4,
            let message = try? STUNMessage(parsing: datagram),
            message.method == .binding, message.messageClass == .request,
            let username = message.username,
            let local = username.split(separator: ":", maxSplits: 1).first
        else { return nil }
        let hosted = routeByUsernameFragment[String(local)]
        if let hosted, hosted.localUsernameFragment != hosted.core.localICECredentials.usernameFragment {
            refreshUsernameFragment(hosted)
        }
        return hosted
    }

    func addRoute(_ remote: SocketAddress, to hosted: HostedPeerConnection) {
        guard hosted.remoteAddresses.count < Self.maximumAddressesPerConnection else { return }
        hosted.remoteAddresses.insert(remote)
        routeByAddress[remote] = hosted
    }

    /// After an ICE restart the core has a new username fragment (RFC 8445 §9).
    func refreshUsernameFragment(_ hosted: HostedPeerConnection) {
        let current = hosted.core.localICECredentials.usernameFragment
        guard current != hosted.localUsernameFragment else { return }
        if routeByUsernameFragment[hosted.localUsernameFragment] === hosted {
            routeByUsernameFragment.removeValue(forKey: hosted.localUsernameFragment)
        }
        hosted.localUsernameFragment = current
        routeByUsernameFragment[current] = hosted
    }

    // MARK: Output and timers

    func drain(_ hosted: HostedPeerConnection) {
        while let output = hosted.core.pollOutput() {
            switch output {
            case .transmit(let datagram, _, let remote):
                if routeByAddress[remote] == nil { addRoute(remote, to: hosted) }
                channel.write(AddressedEnvelope(remoteAddress: remote, data: datagram), promise: nil)
                needsFlush = true
            case .event(let event):
                hosted.onEvent(event)
            }
        }
        if hosted.localUsernameFragment != hosted.core.localICECredentials.usernameFragment {
            refreshUsernameFragment(hosted)
        }
        armTimer(hosted)
    }

    /// One scheduled task per connection, at its core's next deadline. A later deadline leaves an earlier task in
    /// place (firing early is harmless: the core only runs timers that are due); an earlier one replaces it.
    func armTimer(_ hosted: HostedPeerConnection) {
        guard !hosted.isRemoved, var deadline = hosted.core.nextDeadline() else { return }
        if let current = hosted.timerDeadline, current <= deadline { return }
        // A deadline already past fires on the next tick, but never in a busy loop: at least 1 ms apart.
        let now = NIODeadline.now()
        if deadline < now + .milliseconds(1) { deadline = now + .milliseconds(1) }
        hosted.timer?.cancel()
        hosted.timerDeadline = deadline
        hosted.timer = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            hosted.timer = nil
            hosted.timerDeadline = nil
            guard !hosted.isRemoved else { return }
            hosted.core.handleTimeout(now: .now())
            drain(hosted)
            flushIfNeeded()
        }
    }

    func flushIfNeeded() {
        guard needsFlush else { return }
        needsFlush = false
        channel.flush()
    }
}

/// Reads the socket's datagrams (vector reads, `recvmmsg`) into the transport; flushes once per read batch.
final class UDPMediaTransportHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    /// Set on the event loop right after the bind; datagrams before that are dropped (nothing is hosted yet).
    var transport: UDPMediaTransport?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        transport?.receive(envelope.data, from: envelope.remoteAddress)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        transport?.flushIfNeeded()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable from a departed peer surfaces as a read error; the socket serves others, keep it.
    }
}
