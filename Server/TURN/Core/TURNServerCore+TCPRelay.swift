import NIOCore
import STUN

/// TURN TCP relays (RFC 6062): Connect, ConnectionAttempt and ConnectionBind.
///
/// CONNECTION-IDs carry the index of the core that owns the peer connection in their top 8 bits, so a driver can hand
/// a ConnectionBind that arrived on another event loop's data connection to the right core.
extension TURNServerCore {
    /// How long a peer connection waits for the client's ConnectionBind (RFC 6062 §5.2, §5.3: 30 s).
    static let connectionBindTimeout: Int64 = 30

    /// The core that owns `connectionID` (its top 8 bits).
    public static func owningCore(of connectionID: UInt32) -> Int { Int(connectionID >> 24) }

    mutating func newConnectionID(in allocation: Allocation) -> UInt32 {
        var id: UInt32
        repeat {
            id = UInt32(configuration.coreIndex) << 24 | UInt32.random(in: 1...0xFF_FFFF)
        } while allocation.tcpConnections[id] != nil || connectionOwner[id] != nil
        return id
    }

    /// Connect (RFC 6062 §5.2): open a TCP connection from the relay to the peer.
    mutating func handleConnect(_ context: RequestContext, credentials: Credentials) -> [TURNAction] {
        let index: Int
        switch existingAllocation(context, credentials: credentials) {
        case .success(let found): index = found
        case .failure(let answer): return answer.actions
        }
        guard var allocation = slots[index], allocation.isTCP else {
            return respondError(context, .badRequest, key: credentials.key)
        }
        guard let peer = context.message.xorPeerAddresses.first else {
            return respondError(context, .badRequest, key: credentials.key)
        }
        if let error = peerError(peer, allocation: allocation) {
            return respondError(context, error, key: credentials.key)
        }
        guard !allocation.tcpConnections.values.contains(where: { $0.peer == peer }) else {
            return respondError(context, .connectionAlreadyExists, key: credentials.key)
        }
        let id = newConnectionID(in: allocation)
        allocation.tcpConnections[id] = Allocation.TCPPeerConnection(peer: peer,
            state: .connecting(transaction: context.message.transactionID, fingerprint: context.fingerprint))
        slots[index] = allocation
        connectionOwner[id] = allocation.relay
        return [.connectToPeer(allocation.relay, peer: peer, connectionID: id)]
    }

    /// The driver connected to the peer: answer the Connect with CONNECTION-ID (RFC 6062 §5.2).
    public mutating func peerConnectionEstablished(relay: TURNRelayID, connectionID: UInt32, now: TURNTime)
        -> [TURNAction]
    {
        let index = Int(relay.slot)
        guard var allocation = allocation(of: relay), var connection = allocation.tcpConnections[connectionID],
            case .connecting(let transaction, let fingerprint) = connection.state
        else { return [.closePeerConnection(connectionID: connectionID)] }
        connection.state = .awaitingBind(expiry: now.adding(seconds: Self.connectionBindTimeout))
        allocation.tcpConnections[connectionID] = connection
        slots[index] = allocation
        let response = STUNMessage(method: .connect, messageClass: .successResponse, transactionID: transaction,
            attributes: [.connectionID(connectionID)])
        guard let bytes = serialize(response, key: allocation.key, fingerprint: fingerprint) else { return [] }
        return [.sendToClient(bytes, to: allocation.fiveTuple)]
    }

    /// The driver could not connect: 447 Connection Timeout or Failure (RFC 6062 §5.2).
    public mutating func peerConnectionFailed(relay: TURNRelayID, connectionID: UInt32, now: TURNTime) -> [TURNAction] {
        connectionOwner.removeValue(forKey: connectionID)
        let index = Int(relay.slot)
        guard var allocation = allocation(of: relay),
            let connection = allocation.tcpConnections.removeValue(forKey: connectionID)
        else { return [] }
        slots[index] = allocation
        guard case .connecting(let transaction, let fingerprint) = connection.state else { return [] }
        let response = STUNMessage(method: .connect, messageClass: .errorResponse, transactionID: transaction,
            attributes: [.errorCode(.connectionTimeoutOrFailure)])
        guard let bytes = serialize(response, key: allocation.key, fingerprint: fingerprint) else { return [] }
        return [.sendToClient(bytes, to: allocation.fiveTuple)]
    }

    /// A peer connected to the TCP relay (RFC 6062 §5.3): with a permission for its IP, the client is told by a
    /// ConnectionAttempt indication; without one, nil (the driver closes the connection).
    public mutating func peerConnectionAccepted(relay: TURNRelayID, from peer: STUNTransportAddress, now: TURNTime)
        -> (connectionID: UInt32, actions: [TURNAction])?
    {
        let index = Int(relay.slot)
        guard var allocation = allocation(of: relay), allocation.isOpen, allocation.isTCP,
            allocation.hasPermission(for: peer.address, now: now)
        else {
            metrics.droppedNoPermission += 1
            return nil
        }
        let id = newConnectionID(in: allocation)
        allocation.tcpConnections[id] = Allocation.TCPPeerConnection(peer: peer,
            state: .awaitingBind(expiry: now.adding(seconds: Self.connectionBindTimeout)))
        slots[index] = allocation
        connectionOwner[id] = relay
        let indication = STUNMessage(method: .connectionAttempt, messageClass: .indication,
            attributes: [.xorPeerAddress(peer), .connectionID(id)])
        guard let bytes = serialize(indication, key: nil, fingerprint: false) else { return nil }
        return (id, [.sendToClient(bytes, to: allocation.fiveTuple)])
    }

    /// ConnectionBind (RFC 6062 §5.4), on a new client data connection: binds it to a peer connection of an
    /// allocation of the same user that is waiting for it. Handled by the core that owns the CONNECTION-ID.
    mutating func handleConnectionBind(_ context: RequestContext, credentials: Credentials) -> [TURNAction] {
        guard context.fiveTuple.transport.isStream, slotByFiveTuple[context.fiveTuple] == nil,
            case .connectionID(let id)? = context.message.first(.connectionID),
            let relay = connectionOwner[id], var allocation = allocation(of: relay),
            var connection = allocation.tcpConnections[id], case .awaitingBind(let expiry) = connection.state,
            context.now < expiry
        else { return respondError(context, .badRequest, key: credentials.key) }
        guard allocation.username == credentials.username else {
            return respondError(context, .wrongCredentials, key: credentials.key)
        }
        connection.state = .bound
        allocation.tcpConnections[id] = connection
        slots[Int(relay.slot)] = allocation
        let response = STUNMessage(method: .connectionBind, messageClass: .successResponse,
            transactionID: context.message.transactionID)
        guard let bytes = serialize(response, key: credentials.key, fingerprint: context.fingerprint) else {
            return []
        }
        return [.spliceConnection(connectionID: id, dataConnection: context.fiveTuple, response: bytes)]
    }

    /// The peer or data connection of `connectionID` closed.
    public mutating func peerConnectionClosed(connectionID: UInt32) {
        guard let relay = connectionOwner.removeValue(forKey: connectionID), var allocation = allocation(of: relay)
        else { return }
        allocation.tcpConnections.removeValue(forKey: connectionID)
        slots[Int(relay.slot)] = allocation
    }
}
