import STUN

/// Everything the sans-IO core needs to decide; the driver adds sockets, certificates and addresses to listen on.
public struct TURNServerConfiguration: Sendable {
    /// REALM of the long-term credential mechanism (RFC 8489 §9.2).
    public var realm: String
    /// Accepted TURN REST keys, tried in order: our HKDF-derived key and/or coturn's raw `--static-auth-secret`.
    public var restCredentials: [TURNRESTCredentials]
    /// Static users (`user → password`) for long-term credentials, mostly for tests and small setups.
    public var staticUsers: [String: String]
    /// Which peers may be relayed to.
    public var peerPolicy: PeerAddressPolicy
    /// The relay ports, split by the driver when several cores each run a core (RFC 8656 §7.2 picks them).
    public var relayPorts: ClosedRange<UInt16>
    /// The address written in XOR-RELAYED-ADDRESS for IPv4 relays (the public `--ip`), if IPv4 relaying is offered.
    public var relayAddressIPv4: STUNIPAddress?
    /// The same for IPv6 relays.
    public var relayAddressIPv6: STUNIPAddress?
    /// Allocation lifetime when the client asks for less or nothing (RFC 8656 §7.2: 600 s).
    public var defaultAllocationLifetime: Int64 = 600
    /// Upper bound on requested lifetimes (RFC 8656 §7.2 suggests 3600 s).
    public var maximumAllocationLifetime: Int64 = 3600
    /// Permission lifetime (RFC 8656 §9: 300 s).
    public var permissionLifetime: Int64 = 300
    /// Channel binding lifetime (RFC 8656 §12: 600 s).
    public var channelLifetime: Int64 = 600
    /// How long a nonce stays valid before 438 Stale Nonce.
    public var nonceLifetime: Int64 = 600
    /// How long an EVEN-PORT reservation is kept (RFC 8656 §7.2 suggests about 30 s).
    public var reservationLifetime: Int64 = 30
    /// Simultaneous allocations per username (RFC 8656 §21.3.1); 0 = no limit. 486 beyond it.
    public var userQuota: Int = 10
    /// Simultaneous allocations on this core; 0 = no limit. 486 beyond it.
    public var totalQuota: Int = 0
    /// Permissions per allocation; 508 beyond it.
    public var maximumPermissionsPerAllocation: Int = 64
    /// Channels per allocation; 508 beyond it.
    public var maximumChannelsPerAllocation: Int = 64
    /// Relayed bits per second per allocation, each direction; 0 = no limit. Excess packets are dropped.
    public var maximumBitsPerSecond: Int = 0
    /// Failed authentications tolerated per source IP in ``failedAuthenticationWindow`` seconds (above the 32
    /// attempts coturn's uclient makes before it gives up, so a client with a wrong password ends); after that,
    /// requests from that IP are dropped without answer until the window passes.
    public var failedAuthenticationLimit: Int = 40
    public var failedAuthenticationWindow: Int64 = 60
    /// Never send a UDP source that has not authenticated a response larger than its request (anti-reflection),
    /// except Binding success responses (RFC 8489 requires XOR-MAPPED-ADDRESS) and the 401/438 challenge with
    /// REALM and NONCE that every client needs to authenticate.
    public var limitUnauthenticatedResponseSize: Bool = true
    /// Accept channel numbers 0x4000–0x7FFF (RFC 5766) rather than only RFC 8656's 0x4000–0x4FFF: coturn's
    /// clients pick from the whole old range.
    public var acceptRFC5766ChannelNumbers: Bool = true
    /// Which core this is (0-255), written into RFC 6062 CONNECTION-IDs so any core can route a ConnectionBind.
    public var coreIndex: UInt8 = 0
    /// Key for nonces; random per process unless a test fixes it.
    public var nonceKey: [UInt8]

    public init(
        realm: String,
        restCredentials: [TURNRESTCredentials] = [],
        staticUsers: [String: String] = [:],
        peerPolicy: PeerAddressPolicy = PeerAddressPolicy(),
        relayPorts: ClosedRange<UInt16> = 49152...65535,
        relayAddressIPv4: STUNIPAddress? = nil,
        relayAddressIPv6: STUNIPAddress? = nil,
        nonceKey: [UInt8]? = nil
    ) {
        self.realm = realm
        self.restCredentials = restCredentials
        self.staticUsers = staticUsers
        self.peerPolicy = peerPolicy
        self.relayPorts = relayPorts
        self.relayAddressIPv4 = relayAddressIPv4
        self.relayAddressIPv6 = relayAddressIPv6
        if let nonceKey {
            self.nonceKey = nonceKey
        } else {
            var generator = SystemRandomNumberGenerator()
            self.nonceKey = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
    }
}
