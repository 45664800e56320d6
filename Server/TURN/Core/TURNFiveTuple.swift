import STUN

/// The transport between a client and the server (RFC 8656 §3.1).
public enum TURNClientTransport: UInt8, Hashable, Sendable, CustomStringConvertible {
    case udp
    case tcp
    case tls

    /// Stream transports carry ChannelData padded to 4 bytes (RFC 8656 §12.5) and have a verified source address.
    public var isStream: Bool { self != .udp }

    public var description: String {
        switch self {
        case .udp: "UDP"
        case .tcp: "TCP"
        case .tls: "TLS"
        }
    }
}

/// The 5-tuple that identifies an allocation: client address and port, server address and port, and the
/// transport (RFC 8656 §2, §7).
public struct TURNFiveTuple: Hashable, Sendable, CustomStringConvertible {
    public var client: STUNTransportAddress
    public var server: STUNTransportAddress
    public var transport: TURNClientTransport

    public init(client: STUNTransportAddress, server: STUNTransportAddress, transport: TURNClientTransport) {
        self.client = client
        self.server = server
        self.transport = transport
    }

    public var description: String { "\(transport) \(client) -> \(server)" }
}

/// Identifies one relay socket the driver holds for the core (one per allocation; RFC 8656 §7).
public struct TURNRelayID: Hashable, Sendable, CustomStringConvertible {
    /// The slot of the allocation in the core's table; also a cheap array index for the driver.
    public var slot: Int32
    /// Bumped each time a slot is reused, so a stale id from a closed relay never matches a new allocation.
    public var generation: UInt32

    public init(slot: Int32, generation: UInt32) {
        self.slot = slot
        self.generation = generation
    }

    public var description: String { "relay#\(slot).\(generation)" }
}
