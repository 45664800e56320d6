import NIOCore

/// A transport address an agent can send from or receive on, with what ICE needs to rank it (RFC 8445 §5.1).
///
/// Local candidates are what the caller adds (host, relayed) or what the agent learns (server-reflexive from a
/// STUN server, peer-reflexive from a check response); remote candidates come from signaling (SDP or trickle) or
/// are learned from checks (peer-reflexive). Only UDP is modelled.
public struct Candidate: Hashable, Sendable, CustomStringConvertible {
    /// How the address was obtained (RFC 8445 §5.1.1).
    public enum Kind: Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// An address of a local interface.
        case host
        /// The public side of a NAT, as a STUN server saw it.
        case serverReflexive
        /// An address learned from a connectivity check (RFC 8445 §7.2.5.3.1, §7.3.1.3).
        case peerReflexive
        /// An address on a TURN server.
        case relay

        /// The RECOMMENDED type preference (RFC 8445 §5.1.2.2): host 126, peer-reflexive 110,
        /// server-reflexive 100, relayed 0.
        public var typePreference: UInt32 {
            switch self {
            case .host: 126
            case .peerReflexive: 110
            case .serverReflexive: 100
            case .relay: 0
            }
        }

        /// The SDP token (`host`, `srflx`, `prflx`, `relay`).
        public var description: String {
            switch self {
            case .host: "host"
            case .serverReflexive: "srflx"
            case .peerReflexive: "prflx"
            case .relay: "relay"
            }
        }
    }

    public var kind: Kind
    /// The transport address itself (what the peer sends to).
    public var address: SocketAddress
    /// The address the agent sends from for this candidate (RFC 8445 §5.1.1.3): the host address a reflexive
    /// candidate was derived from, or the candidate itself for host and relayed candidates. For remote
    /// candidates it is the address itself.
    public var base: SocketAddress
    /// RFC 8445 §5.1.2.
    public var priority: UInt32
    /// Equal for candidates of the same type, base IP and STUN/TURN server (RFC 8445 §5.1.1.3): 1 to 32 ice-chars.
    public var foundation: String
    /// 1 (RTP; with rtcp-mux the only one).
    public var component: UInt16
    /// `raddr`/`rport`: the base of a reflexive candidate, the mapped address of a relayed one.
    public var relatedAddress: SocketAddress?

    public init(
        kind: Kind, address: SocketAddress, base: SocketAddress? = nil, priority: UInt32, foundation: String,
        component: UInt16 = 1, relatedAddress: SocketAddress? = nil
    ) {
        self.kind = kind
        self.address = address
        self.base = base ?? address
        self.priority = priority
        self.foundation = foundation
        self.component = component
        self.relatedAddress = relatedAddress
    }

    /// The local preference encoded in ``priority`` (its middle 16 bits).
    public var localPreference: UInt16 { UInt16(truncatingIfNeeded: priority >> 8) }

    /// RFC 8445 §5.1.2.1: `priority = 2^24 * type preference + 2^8 * local preference + (256 - component ID)`.
    ///
    /// - Parameters:
    ///   - typePreference: 0...126; defaults to ``Kind/typePreference`` of `kind`.
    ///   - localPreference: 0...65535; with one interface 65535 (RFC 8445 §5.1.2.1), higher for preferred
    ///     interfaces or address families (RFC 8421).
    ///   - component: 1...256.
    public static func priority(
        kind: Kind, typePreference: UInt32? = nil, localPreference: UInt16 = 65535, component: UInt16 = 1
    ) -> UInt32 {
        let type = min(typePreference ?? kind.typePreference, 126)
        let componentTerm = 256 - UInt32(min(max(component, 1), 256))
        return type << 24 | UInt32(localPreference) << 8 | componentTerm
    }

    /// A foundation for a local candidate (RFC 8445 §5.1.1.3): the same for the same type, base IP address and
    /// server, and different otherwise. It is a decimal FNV-1a hash of those, so it is stable across restarts.
    public static func foundation(kind: Kind, base: SocketAddress, server: SocketAddress? = nil) -> String {
        var hash: UInt32 = 0x811C_9DC5
        func mix(_ text: String) {
            for byte in text.utf8 {
                hash ^= UInt32(byte)
                hash = hash &* 0x0100_0193
            }
            hash ^= 0xFF
            hash = hash &* 0x0100_0193
        }
        mix(kind.description)
        mix(base.ipAddress ?? "")
        mix(server?.ipAddress ?? "")
        mix("udp")
        return String(hash)
    }

    /// A host candidate for a local interface address (RFC 8445 §5.1.1.1).
    public static func host(_ address: SocketAddress, localPreference: UInt16 = 65535, component: UInt16 = 1)
        -> Candidate
    {
        Candidate(
            kind: .host, address: address,
            priority: priority(kind: .host, localPreference: localPreference, component: component),
            foundation: foundation(kind: .host, base: address), component: component)
    }

    /// A relayed candidate for a TURN allocation (RFC 8445 §5.1.1.2): `relayedAddress` is the XOR-RELAYED-ADDRESS,
    /// `mappedAddress` the XOR-MAPPED-ADDRESS of the Allocate response, `server` the TURN server. The driver
    /// sends what the agent transmits `from` the relayed address through the allocation.
    public static func relay(
        _ relayedAddress: SocketAddress, mappedAddress: SocketAddress?, server: SocketAddress,
        localPreference: UInt16 = 65535, component: UInt16 = 1
    ) -> Candidate {
        Candidate(
            kind: .relay, address: relayedAddress,
            priority: priority(kind: .relay, localPreference: localPreference, component: component),
            foundation: foundation(kind: .relay, base: relayedAddress, server: server), component: component,
            relatedAddress: mappedAddress)
    }

    /// Host candidates for interface addresses in the caller's order of preference: the first gets local
    /// preference 65535, the next 65534, and so on (RFC 8445 §5.1.2.1 leaves the policy to the agent; put IPv6
    /// first to follow RFC 8421). Enumerating interfaces is the caller's job (sans-IO).
    public static func hostCandidates(for addresses: [SocketAddress], component: UInt16 = 1) -> [Candidate] {
        var candidates: [Candidate] = []
        for (index, address) in addresses.enumerated() {
            let preference = UInt16(clamping: 65535 - min(index, 65535))
            candidates.append(host(address, localPreference: preference, component: component))
        }
        return candidates
    }

    public var description: String {
        "\(kind) \(address) (base \(base), priority \(priority), foundation \(foundation))"
    }
}

extension SocketAddress {
    /// True for two IPv4 or two IPv6 addresses: ICE pairs only candidates of the same family (RFC 8445 §6.1.2.2).
    func hasSameFamily(as other: SocketAddress) -> Bool {
        switch (self, other) {
        case (.v4, .v4), (.v6, .v6): true
        default: false
        }
    }
}
