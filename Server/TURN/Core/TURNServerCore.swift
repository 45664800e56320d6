import NIOCore
import STUN

/// The sans-IO TURN/STUN server (RFC 8489, RFC 8656): allocations, permissions, channels and lifetimes as values
/// driven by time. No sockets, clocks or threads: a driver feeds it what arrived and performs the
/// ``TURNAction``s it returns (DESIGN.md §5).
///
/// One core runs on one event loop. The relay fast path — ``routeChannelData(channel:length:from:now:)`` for
/// client-to-peer ChannelData and ``routePeerData(relay:from:length:now:)`` for peer-to-client data — does two
/// hash lookups and no allocation; everything else (STUN requests) goes through ``handle(_:from:now:)``.
public struct TURNServerCore: Sendable {
    public private(set) var configuration: TURNServerConfiguration
    public internal(set) var metrics = TURNMetrics()

    let nonces: NonceIssuer
    let reservationTokens: ReservationTokenCodec
    let allocator = ByteBufferAllocator()
    /// Allocations by relay slot; a slot's index is the relay id's `slot`.
    var slots: [Allocation?] = []
    var generations: [UInt32] = []
    var freeSlots: [Int32] = []
    var slotByFiveTuple: [TURNFiveTuple: Int32] = [:]
    var allocationsPerUser: [String: Int] = [:]
    var portPoolIPv4: RelayPortPool
    var portPoolIPv6: RelayPortPool
    /// EVEN-PORT reservations made by this core, by RESERVATION-TOKEN (RFC 8656 §7.2, §18.9): the reserved port
    /// stays taken in the pool until the token is redeemed or expires.
    var reservations: [UInt64: Reservation] = [:]
    /// Which relay owns each RFC 6062 CONNECTION-ID of this core.
    var connectionOwner: [UInt32: TURNRelayID] = [:]
    /// Failed authentications per source IP within the current window.
    var failedAuthentications: [STUNIPAddress: FailureWindow] = [:]

    struct Reservation: Sendable {
        var family: STUNAddressFamily
        var port: UInt16
        var expiry: TURNTime
    }

    struct FailureWindow: Sendable {
        var count: Int
        var windowEnd: TURNTime
    }

    public init(configuration: TURNServerConfiguration) {
        self.configuration = configuration
        self.nonces = NonceIssuer(key: configuration.nonceKey, lifetimeSeconds: configuration.nonceLifetime)
        self.reservationTokens = ReservationTokenCodec(key: configuration.nonceKey)
        self.portPoolIPv4 = RelayPortPool(range: configuration.relayPorts)
        self.portPoolIPv6 = RelayPortPool(range: configuration.relayPorts)
    }

    /// How many allocations exist (open or being opened).
    public var allocationCount: Int { slotByFiveTuple.count }

    /// The relayed address of the allocation on `fiveTuple`, if there is one.
    public func relayedAddress(of fiveTuple: TURNFiveTuple) -> STUNTransportAddress? {
        guard let slot = slotByFiveTuple[fiveTuple], let allocation = slots[Int(slot)] else { return nil }
        return allocation.relayedAddress
    }

    /// The relay of the allocation on `fiveTuple`, if there is one.
    public func relayID(of fiveTuple: TURNFiveTuple) -> TURNRelayID? {
        guard let slot = slotByFiveTuple[fiveTuple], let allocation = slots[Int(slot)] else { return nil }
        return allocation.relay
    }

    /// The relayed address of the allocation that owns `relay`, if it is current.
    public func relayedAddress(of relay: TURNRelayID) -> STUNTransportAddress? {
        allocation(of: relay)?.relayedAddress
    }

    func allocation(of relay: TURNRelayID) -> Allocation? {
        let index = Int(relay.slot)
        guard index >= 0, index < slots.count, generations[index] == relay.generation else { return nil }
        return slots[index]
    }

    // MARK: - Input from clients

    /// Handles one datagram (UDP) or one frame (TCP/TLS, cut by `STUNStreamFraming`) from a client: a STUN
    /// message or ChannelData. Malformed input is counted and dropped, never trapped on.
    public mutating func handle(_ bytes: ByteBuffer, from fiveTuple: TURNFiveTuple, now: TURNTime) -> [TURNAction] {
        guard let first = bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) else {
            metrics.malformed += 1
            return []
        }
        switch MultiplexedPacketKind.turnServerKind(ofFirstByte: first) {
        case .stun:
            return handleSTUN(bytes, from: fiveTuple, now: now)
        case .channelData:
            let channelData: ChannelData
            do {
                channelData = try fiveTuple.transport.isStream
                    ? Self.parseStreamChannelData(bytes) : ChannelData(parsingDatagram: bytes)
            } catch {
                metrics.malformed += 1
                return []
            }
            guard let route = routeChannelData(channel: channelData.channelNumber,
                length: channelData.payload.readableBytes, from: fiveTuple, now: now)
            else { return [] }
            return [.sendToPeer(route.relay, peer: route.peer, payload: channelData.payload)]
        default:
            metrics.malformed += 1
            return []
        }
    }

    private static func parseStreamChannelData(_ bytes: ByteBuffer) throws(STUNParseError) -> ChannelData {
        switch try ChannelData.parse(stream: bytes) {
        case .frame(let message, _): return message
        case .needMoreBytes(let needed): throw .lengthMismatch(declared: needed, available: bytes.readableBytes)
        }
    }

    /// The fast path for ChannelData from a client (RFC 8656 §12.6): where to send its `length` payload bytes, or
    /// nil to drop it (no allocation, unbound or expired channel, bandwidth cap).
    public mutating func routeChannelData(
        channel: UInt16,
        length: Int,
        from fiveTuple: TURNFiveTuple,
        now: TURNTime
    ) -> TURNPeerRoute? {
        guard let slot = slotByFiveTuple[fiveTuple] else { return nil }
        let index = Int(slot)
        guard let allocation = slots[index], allocation.isOpen,
            let binding = allocation.channels[channel], now < binding.expiry
        else {
            metrics.droppedNoPermission += 1
            return nil
        }
        if configuration.maximumBitsPerSecond > 0,
            slots[index]?.toPeerBudget.take(length, now: now,
                bytesPerSecond: Int64(configuration.maximumBitsPerSecond / 8)) != true
        {
            metrics.droppedBandwidth += 1
            return nil
        }
        metrics.packetsToPeers &+= 1
        metrics.bytesToPeers &+= length
        return TURNPeerRoute(relay: allocation.relay, peer: binding.peer)
    }

    // MARK: - Input from peers

    /// The fast path for a datagram of `length` bytes that `relay` received from `peer`: how to deliver it to the
    /// client, or nil to drop it (no permission for the peer's IP, RFC 8656 §11.3; bandwidth cap).
    public mutating func routePeerData(
        relay: TURNRelayID,
        from peer: STUNTransportAddress,
        length: Int,
        now: TURNTime
    ) -> TURNClientDelivery? {
        let index = Int(relay.slot)
        guard index >= 0, index < slots.count, generations[index] == relay.generation,
            let allocation = slots[index], allocation.isOpen,
            allocation.hasPermission(for: peer.address, now: now)
        else {
            metrics.droppedNoPermission += 1
            return nil
        }
        if configuration.maximumBitsPerSecond > 0,
            slots[index]?.toClientBudget.take(length, now: now,
                bytesPerSecond: Int64(configuration.maximumBitsPerSecond / 8)) != true
        {
            metrics.droppedBandwidth += 1
            return nil
        }
        metrics.packetsToClients &+= 1
        metrics.bytesToClients &+= length
        if let channel = allocation.channelByPeer[peer], let binding = allocation.channels[channel],
            now < binding.expiry
        {
            return .channelData(channel: channel, to: allocation.fiveTuple)
        }
        return .dataIndication(to: allocation.fiveTuple)
    }

    /// ``routePeerData(relay:from:length:now:)`` plus the framing: the ChannelData or Data indication to send.
    public mutating func handlePeerData(
        _ payload: ByteBuffer,
        relay: TURNRelayID,
        from peer: STUNTransportAddress,
        now: TURNTime
    ) -> [TURNAction] {
        guard let delivery = routePeerData(relay: relay, from: peer, length: payload.readableBytes, now: now) else {
            return []
        }
        var buffer = allocator.buffer(capacity: payload.readableBytes + 40)
        Self.frame(payload, for: delivery, peer: peer, into: &buffer)
        return [.sendToClient(buffer, to: delivery.fiveTuple)]
    }

    /// Writes `payload` as the client expects it for `delivery`: ChannelData (padded to 4 over TCP/TLS,
    /// RFC 8656 §12.5) or a Data indication (RFC 8656 §11.3). Never fails for payloads a UDP socket can carry;
    /// if encoding did fail, nothing is written.
    public static func frame(
        _ payload: ByteBuffer,
        for delivery: TURNClientDelivery,
        peer: STUNTransportAddress,
        into buffer: inout ByteBuffer
    ) {
        switch delivery {
        case .channelData(let channel, let to):
            try? ChannelData(channelNumber: channel, payload: payload)
                .write(into: &buffer, padding: to.transport.isStream ? .toFourBytes : .none)
        case .dataIndication:
            let indication = STUNMessage(method: .data, messageClass: .indication,
                attributes: [.xorPeerAddress(peer), .data(payload)])
            try? indication.write(into: &buffer)
        }
    }

    // MARK: - Driver reports

    /// The driver bound the relay socket: answer the Allocate (RFC 8656 §7.3).
    public mutating func relayOpened(_ relay: TURNRelayID, now: TURNTime) -> [TURNAction] {
        let index = Int(relay.slot)
        guard var allocation = allocation(of: relay), case .opening(let pending) = allocation.state else { return [] }
        allocation.state = .open
        allocation.expiry = now.adding(seconds: pending.lifetime)
        var attributes: [STUNAttribute] = [
            .xorRelayedAddress(allocation.relayedAddress),
            .lifetime(UInt32(clamping: pending.lifetime)),
        ]
        if let token = pending.reservationToken { attributes.append(.reservationToken(token)) }
        attributes.append(.xorMappedAddress(allocation.fiveTuple.client))
        let response = STUNMessage(method: .allocate, messageClass: .successResponse,
            transactionID: allocation.creatingTransaction, attributes: attributes)
        let bytes = serialize(response, key: allocation.key, fingerprint: pending.fingerprint)
        allocation.successResponse = bytes
        slots[index] = allocation
        metrics.allocations += 1
        metrics.allocationsCreated += 1
        guard let bytes else { return [] }
        return [.sendToClient(bytes, to: allocation.fiveTuple)]
    }

    /// The driver could not bind the relay socket (port taken by another process, out of descriptors): retry with
    /// another port a few times, then answer 508 Insufficient Capacity (RFC 8656 §7.2).
    public mutating func relayFailed(_ relay: TURNRelayID, now: TURNTime) -> [TURNAction] {
        guard var allocation = allocation(of: relay), case .opening(var pending) = allocation.state else { return [] }
        if !pending.portIsFixed, pending.attempts < 5,
            let port = takePort(family: allocation.family, even: false, withNext: false)
        {
            releasePort(allocation.relayedAddress.port, family: allocation.family)
            pending.attempts += 1
            allocation.state = .opening(pending)
            allocation.relayedAddress.port = port
            slots[Int(relay.slot)] = allocation
            return [.openRelay(relay, family: allocation.family, port: port)]
        }
        let response = STUNMessage(method: .allocate, messageClass: .errorResponse,
            transactionID: allocation.creatingTransaction, attributes: [.errorCode(.insufficientCapacity)])
        let bytes = serialize(response, key: allocation.key, fingerprint: pending.fingerprint)
        if let token = pending.reservationToken, let reservation = reservations.removeValue(forKey: token) {
            releasePort(reservation.port, family: reservation.family)
        }
        removeAllocation(at: Int(relay.slot), closeRelay: false)
        guard let bytes else { return [] }
        return [.sendToClient(bytes, to: allocation.fiveTuple)]
    }

    /// A TCP or TLS client connection closed: its allocation goes with it (RFC 8656 §7, §4).
    public mutating func connectionClosed(_ fiveTuple: TURNFiveTuple) -> [TURNAction] {
        guard let slot = slotByFiveTuple[fiveTuple] else { return [] }
        let relay = slots[Int(slot)]?.relay
        let peerConnections = slots[Int(slot)]?.tcpConnections.keys.map { $0 } ?? []
        removeAllocation(at: Int(slot), closeRelay: false)
        guard let relay else { return [] }
        // A relay still being opened is closed too: the driver closes it when the bind completes.
        return [.closeRelay(relay)] + peerConnections.map { .closePeerConnection(connectionID: $0) }
    }

    // MARK: - Time

    /// Expires allocations, permissions, channels, reservations and rate-limit windows whose time has come
    /// (RFC 8656 §7, §9, §12). Call at ``nextDeadline()`` or periodically (drivers tick once a second).
    public mutating func handleTimeout(now: TURNTime) -> [TURNAction] {
        var actions: [TURNAction] = []
        for index in slots.indices {
            guard var allocation = slots[index], allocation.isOpen else { continue }
            if allocation.expiry <= now {
                actions.append(.closeRelay(allocation.relay))
                removeAllocation(at: index, closeRelay: false)
                continue
            }
            var changed = false
            let permissionsBefore = allocation.permissions.count
            if allocation.permissions.values.contains(where: { $0 <= now }) {
                allocation.permissions = allocation.permissions.filter { $0.value > now }
                changed = true
            }
            let channelsBefore = allocation.channels.count
            if allocation.channels.values.contains(where: { $0.expiry <= now }) {
                allocation.channels = allocation.channels.filter { $0.value.expiry > now }
                allocation.channelByPeer = allocation.channelByPeer.filter { allocation.channels[$0.value] != nil }
                changed = true
            }
            if changed {
                metrics.permissions -= permissionsBefore - allocation.permissions.count
                metrics.channels -= channelsBefore - allocation.channels.count
                slots[index] = allocation
            }
        }
        for (token, reservation) in reservations where reservation.expiry <= now {
            reservations.removeValue(forKey: token)
            releasePort(reservation.port, family: reservation.family)
        }
        if failedAuthentications.values.contains(where: { $0.windowEnd <= now }) {
            failedAuthentications = failedAuthentications.filter { $0.value.windowEnd > now }
        }
        return actions
    }

    /// The earliest time at which ``handleTimeout(now:)`` has something to do; nil when nothing will expire.
    public func nextDeadline() -> TURNTime? {
        var earliest: TURNTime?
        func consider(_ time: TURNTime) {
            if earliest.map({ time < $0 }) ?? true { earliest = time }
        }
        for case let allocation? in slots where allocation.isOpen {
            consider(allocation.expiry)
            for expiry in allocation.permissions.values { consider(expiry) }
            for binding in allocation.channels.values { consider(binding.expiry) }
        }
        for reservation in reservations.values { consider(reservation.expiry) }
        for window in failedAuthentications.values { consider(window.windowEnd) }
        return earliest
    }

    // MARK: - Table maintenance

    mutating func insertAllocation(_ make: (TURNRelayID) -> Allocation) -> TURNRelayID {
        let index: Int
        if let free = freeSlots.popLast() {
            index = Int(free)
            generations[index] &+= 1
        } else {
            index = slots.count
            slots.append(nil)
            generations.append(0)
        }
        let relay = TURNRelayID(slot: Int32(truncatingIfNeeded: index), generation: generations[index])
        let allocation = make(relay)
        slots[index] = allocation
        slotByFiveTuple[allocation.fiveTuple] = relay.slot
        allocationsPerUser[allocation.username, default: 0] += 1
        return relay
    }

    mutating func removeAllocation(at index: Int, closeRelay: Bool) {
        guard index >= 0, index < slots.count, let allocation = slots[index] else { return }
        slots[index] = nil
        freeSlots.append(Int32(truncatingIfNeeded: index))
        slotByFiveTuple.removeValue(forKey: allocation.fiveTuple)
        if let count = allocationsPerUser[allocation.username], count > 1 {
            allocationsPerUser[allocation.username] = count - 1
        } else {
            allocationsPerUser.removeValue(forKey: allocation.username)
        }
        releasePort(allocation.relayedAddress.port, family: allocation.family)
        for id in allocation.tcpConnections.keys { connectionOwner.removeValue(forKey: id) }
        if allocation.isOpen {
            metrics.allocations -= 1
            metrics.permissions -= allocation.permissions.count
            metrics.channels -= allocation.channels.count
        }
    }

    mutating func takePort(family: STUNAddressFamily, even: Bool, withNext: Bool) -> UInt16? {
        family == .ipv6
            ? portPoolIPv6.take(even: even, withNext: withNext) : portPoolIPv4.take(even: even, withNext: withNext)
    }

    mutating func releasePort(_ port: UInt16, family: STUNAddressFamily) {
        if family == .ipv6 { portPoolIPv6.release(port) } else { portPoolIPv4.release(port) }
    }

    /// Serializes a response; nil only if encoding failed (an attribute too long), which our own responses avoid.
    func serialize(_ message: STUNMessage, key: STUNIntegrityKey?, fingerprint: Bool) -> ByteBuffer? {
        var buffer = allocator.buffer(capacity: 128)
        do {
            try message.write(into: &buffer, integrityKey: key, fingerprint: fingerprint)
        } catch {
            return nil
        }
        return buffer
    }
}
