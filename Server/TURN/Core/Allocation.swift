import NIOCore
import STUN

/// One allocation: a relayed transport address bound to a client's 5-tuple, with its permissions and channels
/// (RFC 8656 §2.2, §7).
struct Allocation: Sendable {
    enum State: Sendable {
        /// The driver is binding the relay socket; the Allocate is answered when it reports back.
        case opening(PendingAllocate)
        /// Relaying.
        case open
    }

    /// What is needed to answer the Allocate once the relay socket is bound.
    struct PendingAllocate: Sendable {
        var lifetime: Int64
        var reservationToken: UInt64?
        /// The port came from a reservation or EVEN-PORT pair: do not retry with another port.
        var portIsFixed: Bool
        var attempts: Int
        var fingerprint: Bool
    }

    /// A TCP connection between the relay and a peer (RFC 6062 §2).
    struct TCPPeerConnection: Sendable {
        enum State: Sendable {
            /// The relay is connecting on behalf of this Connect request.
            case connecting(transaction: STUNTransactionID, fingerprint: Bool)
            /// Connected; waiting (until `expiry`) for the client's ConnectionBind on a data connection.
            case awaitingBind(expiry: TURNTime)
            /// Spliced to a client data connection.
            case bound
        }

        var peer: STUNTransportAddress
        var state: State
    }

    struct ChannelBinding: Sendable {
        var peer: STUNTransportAddress
        var expiry: TURNTime
    }

    var fiveTuple: TURNFiveTuple
    var relay: TURNRelayID
    var family: STUNAddressFamily
    var relayedAddress: STUNTransportAddress
    var username: String
    var key: STUNIntegrityKey
    var expiry: TURNTime
    var state: State
    /// The Allocate that created this allocation, so a retransmission gets the same answer (RFC 8656 §7.2).
    var creatingTransaction: STUNTransactionID
    var successResponse: ByteBuffer?
    /// Installed permissions by peer IP (ports are ignored, RFC 8656 §9) and when each expires.
    var permissions: [STUNIPAddress: TURNTime] = [:]
    var channels: [UInt16: ChannelBinding] = [:]
    var channelByPeer: [STUNTransportAddress: UInt16] = [:]
    /// A TCP relay (RFC 6062) rather than UDP.
    var isTCP = false
    /// RFC 6062 peer connections by CONNECTION-ID.
    var tcpConnections: [UInt32: TCPPeerConnection] = [:]
    var toPeerBudget = ByteBudget()
    var toClientBudget = ByteBudget()

    var isOpen: Bool {
        if case .open = state { return true }
        return false
    }

    func hasPermission(for peer: STUNIPAddress, now: TURNTime) -> Bool {
        guard let expiry = permissions[peer] else { return false }
        return now < expiry
    }
}

/// A token bucket for `--max-bps`: up to one second's worth of bytes may be sent in a burst.
struct ByteBudget: Sendable {
    var tokens: Int64 = 0
    var last: TURNTime?

    /// Takes `bytes` if the budget allows at `bytesPerSecond`; false means drop the packet.
    mutating func take(_ bytes: Int, now: TURNTime, bytesPerSecond: Int64) -> Bool {
        if let last {
            let elapsed = max(0, now.nanosecondsSinceEpoch &- last.nanosecondsSinceEpoch)
            let refill = elapsed >= 1_000_000_000 ? bytesPerSecond : elapsed * bytesPerSecond / 1_000_000_000
            tokens = min(bytesPerSecond, tokens &+ refill)
        } else {
            tokens = bytesPerSecond
        }
        last = now
        guard tokens >= Int64(bytes) else { return false }
        tokens -= Int64(bytes)
        return true
    }
}
