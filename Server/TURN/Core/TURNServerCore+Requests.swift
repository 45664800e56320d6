import NIOCore
import STUN

extension TURNServerCore {
    /// Who sent an authenticated request: the username and the long-term key its MESSAGE-INTEGRITY matched.
    struct Credentials {
        var username: String
        var key: STUNIntegrityKey
    }

    /// A request being answered: enough to build responses of the right transaction and framing.
    struct RequestContext {
        var message: STUNMessage
        var fiveTuple: TURNFiveTuple
        var requestLength: Int
        var fingerprint: Bool
        var now: TURNTime
    }

    mutating func handleSTUN(_ bytes: ByteBuffer, from fiveTuple: TURNFiveTuple, now: TURNTime) -> [TURNAction] {
        let message: STUNMessage
        do {
            message = try STUNMessage(parsing: bytes)
        } catch {
            metrics.malformed += 1
            return []
        }
        let context = RequestContext(message: message, fiveTuple: fiveTuple, requestLength: bytes.readableBytes,
            fingerprint: message.first(.fingerprint) != nil, now: now)
        switch message.messageClass {
        case .request:
            break
        case .indication:
            if message.method == .send { return handleSendIndication(message, from: fiveTuple, now: now) }
            return []
        case .successResponse, .errorResponse:
            return []
        }
        if isRateLimited(fiveTuple.client.address, now: now) {
            metrics.droppedRateLimited += 1
            return []
        }
        switch message.method {
        case .binding:
            return handleBinding(context)
        case .allocate, .refresh, .createPermission, .channelBind, .connect, .connectionBind:
            let credentials: Credentials
            switch authenticate(context, raw: bytes) {
            case .authenticated(let found): credentials = found
            case .rejected(let actions): return actions
            }
            let unknown = message.unknownComprehensionRequiredAttributes
            if !unknown.isEmpty {
                return respondError(context, .unknownAttribute, key: credentials.key,
                    extra: [.unknownAttributes(unknown)])
            }
            switch message.method {
            case .allocate: return handleAllocate(context, credentials: credentials)
            case .refresh: return handleRefresh(context, credentials: credentials)
            case .createPermission: return handleCreatePermission(context, credentials: credentials)
            case .connect: return handleConnect(context, credentials: credentials)
            case .connectionBind: return handleConnectionBind(context, credentials: credentials)
            default: return handleChannelBind(context, credentials: credentials)
            }
        default:
            // Unknown or unsupported method: 400 (RFC 8489 §6.3.1).
            return respondError(context, .badRequest, key: nil)
        }
    }

    // MARK: Binding (RFC 8489 §6.3.1)

    mutating func handleBinding(_ context: RequestContext) -> [TURNAction] {
        metrics.bindingRequests += 1
        let unknown = context.message.unknownComprehensionRequiredAttributes
        if !unknown.isEmpty {
            return respondError(context, .unknownAttribute, key: nil, extra: [.unknownAttributes(unknown)])
        }
        let response = STUNMessage(method: .binding, messageClass: .successResponse,
            transactionID: context.message.transactionID,
            attributes: [.xorMappedAddress(context.fiveTuple.client)])
        // Exempt from the response-size rule: RFC 8489 requires XOR-MAPPED-ADDRESS (+12 or +24 bytes).
        guard let bytes = serialize(response, key: nil, fingerprint: context.fingerprint) else { return [] }
        return [.sendToClient(bytes, to: context.fiveTuple)]
    }

    // MARK: Allocate (RFC 8656 §7.2)

    mutating func handleAllocate(_ context: RequestContext, credentials: Credentials) -> [TURNAction] {
        let message = context.message
        if let slot = slotByFiveTuple[context.fiveTuple], let existing = slots[Int(slot)] {
            // A retransmission of the Allocate that created it gets the same answer; anything else is 437.
            if existing.creatingTransaction == message.transactionID {
                if let response = existing.successResponse {
                    return [.sendToClient(response, to: context.fiveTuple)]
                }
                return []
            }
            return respondError(context, .allocationMismatch, key: credentials.key)
        }
        var requestedTransport: UInt8?
        var requestedFamily: STUNAddressFamily?
        var evenPort: Bool?
        var reservationToken: UInt64?
        var lifetime: UInt32?
        for attribute in message.attributes {
            switch attribute {
            case .requestedTransport(let number): requestedTransport = requestedTransport ?? number
            case .requestedAddressFamily(let family): requestedFamily = requestedFamily ?? family
            case .evenPort(let reserveNext): evenPort = evenPort ?? reserveNext
            case .reservationToken(let token): reservationToken = reservationToken ?? token
            case .lifetime(let seconds): lifetime = lifetime ?? seconds
            default: break  // DONT-FRAGMENT is accepted: relayed datagrams are sent as they come.
            }
        }
        guard let requestedTransport else { return respondError(context, .badRequest, key: credentials.key) }
        // UDP relays (RFC 8656); TCP relays (RFC 6062 §5.1) only for clients on TCP/TLS, without EVEN-PORT or
        // RESERVATION-TOKEN.
        let tcpRelay = requestedTransport == 6 && context.fiveTuple.transport.isStream
        guard requestedTransport == 17 || tcpRelay else {
            return respondError(context, .unsupportedTransportProtocol, key: credentials.key)
        }
        if tcpRelay, evenPort != nil || reservationToken != nil {
            return respondError(context, .badRequest, key: credentials.key)
        }
        var family: STUNAddressFamily
        var port: UInt16
        var portIsFixed = false
        var newReservation: UInt64?
        if let reservationToken {
            guard evenPort == nil, requestedFamily == nil else {
                return respondError(context, .badRequest, key: credentials.key)
            }
            // A token reserved here is taken from the table; one from another core is checked by its MAC and
            // its port bound directly (the kernel refuses a second use).
            guard let reserved = reservationTokens.open(reservationToken, now: context.now) else {
                return respondError(context, .insufficientCapacity, key: credentials.key)
            }
            reservations.removeValue(forKey: reservationToken)
            (family, port, portIsFixed) = (reserved.family, reserved.port, true)
        } else {
            family = requestedFamily ?? .ipv4
            guard relayAddress(for: family) != nil else {
                return respondError(context, .addressFamilyNotSupported, key: credentials.key)
            }
            if configuration.userQuota > 0,
                allocationsPerUser[credentials.username, default: 0] >= configuration.userQuota
            {
                metrics.quotaRejections += 1
                return respondError(context, .allocationQuotaReached, key: credentials.key)
            }
            if configuration.totalQuota > 0, slotByFiveTuple.count >= configuration.totalQuota {
                metrics.quotaRejections += 1
                return respondError(context, .allocationQuotaReached, key: credentials.key)
            }
            let reserveNext = evenPort == true
            guard let taken = takePort(family: family, even: evenPort != nil, withNext: reserveNext) else {
                return respondError(context, .insufficientCapacity, key: credentials.key)
            }
            port = taken
            if reserveNext {
                let expiry = context.now.adding(seconds: configuration.reservationLifetime)
                let token = reservationTokens.make(port: taken + 1, family: family, expiry: expiry)
                reservations[token] = Reservation(family: family, port: taken + 1, expiry: expiry)
                newReservation = token
            }
            portIsFixed = evenPort != nil
        }
        guard let relayIP = relayAddress(for: family) else {
            releasePort(port, family: family)
            return respondError(context, .addressFamilyNotSupported, key: credentials.key)
        }
        let pending = Allocation.PendingAllocate(lifetime: clampedLifetime(lifetime), reservationToken: newReservation,
            portIsFixed: portIsFixed, attempts: 1, fingerprint: context.fingerprint)
        let relay = insertAllocation { relay in
            var allocation = Allocation(fiveTuple: context.fiveTuple, relay: relay, family: family,
                relayedAddress: STUNTransportAddress(address: relayIP, port: port), username: credentials.username,
                key: credentials.key, expiry: context.now.adding(seconds: pending.lifetime),
                state: .opening(pending), creatingTransaction: message.transactionID)
            allocation.isTCP = tcpRelay
            return allocation
        }
        return [tcpRelay ? .openTCPRelay(relay, family: family, port: port) : .openRelay(relay, family: family, port: port)]
    }

    func relayAddress(for family: STUNAddressFamily) -> STUNIPAddress? {
        switch family {
        case .ipv4: configuration.relayAddressIPv4
        case .ipv6: configuration.relayAddressIPv6
        default: nil
        }
    }

    /// RFC 8656 §7.2: at least the default, at most the configured maximum.
    func clampedLifetime(_ requested: UInt32?) -> Int64 {
        let wanted = Int64(requested ?? 0)
        return min(max(wanted, configuration.defaultAllocationLifetime), configuration.maximumAllocationLifetime)
    }

    /// The open allocation of the request's 5-tuple, or the error to answer: 437 without one (RFC 8656 §8–12),
    /// 441 when another user asks (RFC 8656 §5).
    mutating func existingAllocation(
        _ context: RequestContext,
        credentials: Credentials
    ) -> Result<Int, TURNErrorAnswer> {
        guard let slot = slotByFiveTuple[context.fiveTuple], let allocation = slots[Int(slot)], allocation.isOpen else {
            return .failure(TURNErrorAnswer(actions: respondError(context, .allocationMismatch, key: credentials.key)))
        }
        guard allocation.username == credentials.username else {
            return .failure(TURNErrorAnswer(actions: respondError(context, .wrongCredentials, key: credentials.key)))
        }
        return .success(Int(slot))
    }

    // MARK: Refresh (RFC 8656 §8)

    mutating func handleRefresh(_ context: RequestContext, credentials: Credentials) -> [TURNAction] {
        let index: Int
        switch existingAllocation(context, credentials: credentials) {
        case .success(let found): index = found
        case .failure(let answer): return answer.actions
        }
        guard var allocation = slots[index] else { return [] }
        if case .requestedAddressFamily(let family)? = context.message.first(.requestedAddressFamily),
            family != allocation.family
        {
            return respondError(context, .peerAddressFamilyMismatch, key: credentials.key)
        }
        let requested = context.message.lifetime
        if requested == 0 {
            let relay = allocation.relay
            removeAllocation(at: index, closeRelay: false)
            return respondSuccess(context, key: credentials.key, attributes: [.lifetime(0)]) + [.closeRelay(relay)]
        }
        let lifetime = clampedLifetime(requested)
        allocation.expiry = context.now.adding(seconds: lifetime)
        slots[index] = allocation
        return respondSuccess(context, key: credentials.key, attributes: [.lifetime(UInt32(clamping: lifetime))])
    }

    // MARK: CreatePermission (RFC 8656 §10)

    mutating func handleCreatePermission(_ context: RequestContext, credentials: Credentials) -> [TURNAction] {
        let index: Int
        switch existingAllocation(context, credentials: credentials) {
        case .success(let found): index = found
        case .failure(let answer): return answer.actions
        }
        guard var allocation = slots[index] else { return [] }
        let peers = context.message.xorPeerAddresses
        guard !peers.isEmpty else { return respondError(context, .badRequest, key: credentials.key) }
        var added = Set<STUNIPAddress>()
        for peer in peers {
            if let error = peerError(peer, allocation: allocation) {
                return respondError(context, error, key: credentials.key)
            }
            if allocation.permissions[peer.address] == nil { added.insert(peer.address) }
        }
        guard allocation.permissions.count + added.count <= configuration.maximumPermissionsPerAllocation else {
            return respondError(context, .insufficientCapacity, key: credentials.key)
        }
        let expiry = context.now.adding(seconds: configuration.permissionLifetime)
        for peer in peers { allocation.permissions[peer.address] = expiry }
        metrics.permissions += added.count
        slots[index] = allocation
        return respondSuccess(context, key: credentials.key, attributes: [])
    }

    /// 443 for a peer of the other family than the relay, 403 for a peer the policy denies.
    mutating func peerError(_ peer: STUNTransportAddress, allocation: Allocation) -> STUNErrorCode? {
        guard peer.address.family == allocation.family else { return .peerAddressFamilyMismatch }
        guard configuration.peerPolicy.allows(peer.address) else {
            metrics.deniedPeers += 1
            return .forbidden
        }
        return nil
    }

    // MARK: ChannelBind (RFC 8656 §12.2)

    mutating func handleChannelBind(_ context: RequestContext, credentials: Credentials) -> [TURNAction] {
        let index: Int
        switch existingAllocation(context, credentials: credentials) {
        case .success(let found): index = found
        case .failure(let answer): return answer.actions
        }
        guard var allocation = slots[index] else { return [] }
        guard case .channelNumber(let channel)? = context.message.first(.channelNumber),
            let peer = context.message.xorPeerAddresses.first
        else { return respondError(context, .badRequest, key: credentials.key) }
        let allowedNumbers = configuration.acceptRFC5766ChannelNumbers
            ? ChannelData.channelNumbers : ChannelData.rfc8656ChannelNumbers
        guard allowedNumbers.contains(channel) else { return respondError(context, .badRequest, key: credentials.key) }
        if let error = peerError(peer, allocation: allocation) {
            return respondError(context, error, key: credentials.key)
        }
        if let bound = allocation.channels[channel], bound.peer != peer, context.now < bound.expiry {
            return respondError(context, .badRequest, key: credentials.key)
        }
        if let boundChannel = allocation.channelByPeer[peer], boundChannel != channel,
            let binding = allocation.channels[boundChannel], context.now < binding.expiry
        {
            return respondError(context, .badRequest, key: credentials.key)
        }
        let isNewChannel = allocation.channels[channel] == nil
        if isNewChannel, allocation.channels.count >= configuration.maximumChannelsPerAllocation {
            return respondError(context, .insufficientCapacity, key: credentials.key)
        }
        let isNewPermission = allocation.permissions[peer.address] == nil
        if isNewPermission, allocation.permissions.count >= configuration.maximumPermissionsPerAllocation {
            return respondError(context, .insufficientCapacity, key: credentials.key)
        }
        if let stale = allocation.channels[channel], stale.peer != peer {
            allocation.channelByPeer.removeValue(forKey: stale.peer)
        }
        allocation.channels[channel] = Allocation.ChannelBinding(peer: peer,
            expiry: context.now.adding(seconds: configuration.channelLifetime))
        allocation.channelByPeer[peer] = channel
        // A channel binding also installs or refreshes the permission (RFC 8656 §12.2).
        let permissionExpiry = context.now.adding(seconds: configuration.permissionLifetime)
        if let current = allocation.permissions[peer.address], current > permissionExpiry {
        } else {
            allocation.permissions[peer.address] = permissionExpiry
        }
        if isNewChannel { metrics.channels += 1 }
        if isNewPermission { metrics.permissions += 1 }
        slots[index] = allocation
        return respondSuccess(context, key: credentials.key, attributes: [])
    }

    // MARK: Send indication (RFC 8656 §11.2)

    mutating func handleSendIndication(_ message: STUNMessage, from fiveTuple: TURNFiveTuple, now: TURNTime)
        -> [TURNAction]
    {
        guard let slot = slotByFiveTuple[fiveTuple], let allocation = slots[Int(slot)], allocation.isOpen,
            let peer = message.xorPeerAddresses.first, let payload = message.data
        else { return [] }
        guard allocation.hasPermission(for: peer.address, now: now) else {
            metrics.droppedNoPermission += 1
            return []
        }
        if configuration.maximumBitsPerSecond > 0,
            slots[Int(slot)]?.toPeerBudget.take(payload.readableBytes, now: now,
                bytesPerSecond: Int64(configuration.maximumBitsPerSecond / 8)) != true
        {
            metrics.droppedBandwidth += 1
            return []
        }
        metrics.packetsToPeers &+= 1
        metrics.bytesToPeers &+= payload.readableBytes
        return [.sendToPeer(allocation.relay, peer: peer, payload: payload)]
    }

    // MARK: Responses

    mutating func respondSuccess(_ context: RequestContext, key: STUNIntegrityKey, attributes: [STUNAttribute])
        -> [TURNAction]
    {
        let response = STUNMessage(method: context.message.method, messageClass: .successResponse,
            transactionID: context.message.transactionID, attributes: attributes)
        guard let bytes = serialize(response, key: key, fingerprint: context.fingerprint) else { return [] }
        return [.sendToClient(bytes, to: context.fiveTuple)]
    }

    /// An error response. With `key` (the request authenticated) it carries MESSAGE-INTEGRITY; without, it is an
    /// answer to an unauthenticated source and, over UDP, is dropped rather than sent larger than the request —
    /// except the 401/438 challenge (`isChallenge`), without which no client could authenticate: coturn's uclient
    /// sends 56-64-byte Allocates and REALM + NONCE alone take more. The challenge is kept small instead (no reason
    /// phrase, a 24-character nonce), and sources that then fail to authenticate are rate limited.
    mutating func respondError(
        _ context: RequestContext,
        _ error: STUNErrorCode,
        key: STUNIntegrityKey?,
        extra: [STUNAttribute] = [],
        isChallenge: Bool = false
    ) -> [TURNAction] {
        // Unauthenticated answers carry no reason phrase: fewer bytes to reflect.
        let code = key == nil ? error.with(reason: "") : error
        let response = STUNMessage(method: context.message.method, messageClass: .errorResponse,
            transactionID: context.message.transactionID, attributes: [.errorCode(code)] + extra)
        guard let bytes = serialize(response, key: key, fingerprint: context.fingerprint) else { return [] }
        if key == nil, !isChallenge, !mayAnswerUnauthenticated(context, size: bytes.readableBytes) { return [] }
        return [.sendToClient(bytes, to: context.fiveTuple)]
    }

    /// RFC 8489 §6.3.4 / RFC 8656 §21.1.5 spirit: never amplify toward a source whose address is unverified.
    mutating func mayAnswerUnauthenticated(_ context: RequestContext, size: Int) -> Bool {
        guard configuration.limitUnauthenticatedResponseSize, context.fiveTuple.transport == .udp,
            size > context.requestLength
        else { return true }
        metrics.droppedUnauthenticatedResponses += 1
        return false
    }
}

/// An error answer carried out of a lookup (a `Result` failure).
struct TURNErrorAnswer: Error {
    var actions: [TURNAction]
}
