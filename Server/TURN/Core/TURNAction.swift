import NIOCore
import STUN

/// What the sans-IO core asks its driver to do (DESIGN.md §5: cores return actions, drivers perform them).
public enum TURNAction: Sendable {
    /// Send `bytes` (a STUN response, a Data indication or ChannelData) to the client of `to`.
    case sendToClient(ByteBuffer, to: TURNFiveTuple)
    /// Bind a UDP relay socket for `relay` on `port` of `family`, then report back with
    /// ``TURNServerCore/relayOpened(_:now:)`` or ``TURNServerCore/relayFailed(_:now:)``.
    case openRelay(TURNRelayID, family: STUNAddressFamily, port: UInt16)
    /// Open a TCP relay (RFC 6062): listen on `port` of `family` for peers; report back as for ``openRelay``.
    case openTCPRelay(TURNRelayID, family: STUNAddressFamily, port: UInt16)
    /// Connect from `relay`'s address to `peer` (RFC 6062 §5.2), then report with
    /// ``TURNServerCore/peerConnectionEstablished(relay:connectionID:now:)`` or
    /// ``TURNServerCore/peerConnectionFailed(relay:connectionID:now:)``.
    case connectToPeer(TURNRelayID, peer: STUNTransportAddress, connectionID: UInt32)
    /// Splice the client data connection `dataConnection` to the peer connection `connectionID` (RFC 6062 §5.4):
    /// from now on both carry raw bytes. `response` (the ConnectionBind success) goes on the data connection first.
    case spliceConnection(connectionID: UInt32, dataConnection: TURNFiveTuple, response: ByteBuffer)
    /// Close peer connection `connectionID` (its allocation went away, or it was never bound in time).
    case closePeerConnection(connectionID: UInt32)
    /// Close the relay socket of a deleted or expired allocation.
    case closeRelay(TURNRelayID)
    /// Send `payload` from `relay`'s socket to `peer` (a Send indication, RFC 8656 §11.2, or ChannelData).
    case sendToPeer(TURNRelayID, peer: STUNTransportAddress, payload: ByteBuffer)
}

/// Where ChannelData from a client goes: out of `relay`'s socket to `peer` (RFC 8656 §12.6).
public struct TURNPeerRoute: Hashable, Sendable {
    public var relay: TURNRelayID
    public var peer: STUNTransportAddress
}

/// How a datagram a relay received from a peer reaches the client (RFC 8656 §11.3, §12.7).
public enum TURNClientDelivery: Hashable, Sendable {
    /// Wrap the payload in ChannelData on `channel`.
    case channelData(channel: UInt16, to: TURNFiveTuple)
    /// Wrap the payload in a Data indication with XOR-PEER-ADDRESS (no channel bound to that peer).
    case dataIndication(to: TURNFiveTuple)

    public var fiveTuple: TURNFiveTuple {
        switch self {
        case .channelData(_, let to), .dataIndication(let to): to
        }
    }
}

/// Counters for `/metrics` (Prometheus) and logs. Plain integers: the core runs on one event loop.
public struct TURNMetrics: Hashable, Sendable {
    public var allocations = 0
    public var permissions = 0
    public var channels = 0
    public var allocationsCreated = 0
    public var packetsToPeers = 0
    public var bytesToPeers = 0
    public var packetsToClients = 0
    public var bytesToClients = 0
    public var authenticationFailures = 0
    public var deniedPeers = 0
    public var quotaRejections = 0
    public var droppedUnauthenticatedResponses = 0
    public var droppedRateLimited = 0
    public var droppedBandwidth = 0
    public var droppedNoPermission = 0
    public var malformed = 0
    public var bindingRequests = 0

    public init() {}

    /// Adds every counter of `other` (for summing cores).
    public mutating func add(_ other: TURNMetrics) {
        allocations += other.allocations
        permissions += other.permissions
        channels += other.channels
        allocationsCreated += other.allocationsCreated
        packetsToPeers += other.packetsToPeers
        bytesToPeers += other.bytesToPeers
        packetsToClients += other.packetsToClients
        bytesToClients += other.bytesToClients
        authenticationFailures += other.authenticationFailures
        deniedPeers += other.deniedPeers
        quotaRejections += other.quotaRejections
        droppedUnauthenticatedResponses += other.droppedUnauthenticatedResponses
        droppedRateLimited += other.droppedRateLimited
        droppedBandwidth += other.droppedBandwidth
        droppedNoPermission += other.droppedNoPermission
        malformed += other.malformed
        bindingRequests += other.bindingRequests
    }
}
