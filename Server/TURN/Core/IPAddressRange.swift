import STUN

/// An IP network in CIDR notation (`10.0.0.0/8`, `fc00::/7`, or a single address), as `--allow-peer` and
/// `--deny-peer` take it.
public struct IPAddressRange: Hashable, Sendable, CustomStringConvertible {
    /// The network address with the host bits cleared.
    public private(set) var network: STUNIPAddress
    /// 0–32 for IPv4, 0–128 for IPv6.
    public private(set) var prefixLength: Int

    /// The range of `address` masked to `prefixLength` bits (clamped to the family's width).
    public init(_ address: STUNIPAddress, prefixLength: Int) {
        let width = address.isIPv4 ? 32 : 128
        let length = max(0, min(prefixLength, width))
        self.prefixLength = length
        self.network = address.masked(toPrefix: length)
    }

    /// Parses `ADDRESS/PREFIX` or a bare address (a /32 or /128).
    public init(parsing text: String) throws(IPAddressRangeError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let addressText = parts.first, let address = STUNIPAddress(addressText) else {
            throw .notAnAddress(text)
        }
        let width = address.isIPv4 ? 32 : 128
        var length = width
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...width).contains(parsed) else { throw .badPrefixLength(text) }
            length = parsed
        }
        self.init(address, prefixLength: length)
    }

    /// True if `address` is of the same family and inside the range.
    public func contains(_ address: STUNIPAddress) -> Bool {
        guard address.isIPv4 == network.isIPv4 else { return false }
        return address.masked(toPrefix: prefixLength) == network
    }

    public var description: String { "\(network)/\(prefixLength)" }
}

/// Why a CIDR flag value was refused.
public enum IPAddressRangeError: Error, Hashable, Sendable, CustomStringConvertible {
    case notAnAddress(String)
    case badPrefixLength(String)

    public var description: String {
        switch self {
        case .notAnAddress(let text): "'\(text)' is not an IP address or CIDR range, e.g. 10.0.0.0/8 or fd00::/8"
        case .badPrefixLength(let text): "'\(text)' has a prefix length outside 0-32 (IPv4) or 0-128 (IPv6)"
        }
    }
}

extension STUNIPAddress {
    var isIPv4: Bool {
        if case .v4 = self { return true }
        return false
    }

    /// The address with every bit after the first `prefix` bits cleared.
    func masked(toPrefix prefix: Int) -> STUNIPAddress {
        switch self {
        case .v4(let value):
            if prefix <= 0 { return .v4(0) }
            if prefix >= 32 { return self }
            return .v4(value & ~(UInt32.max >> UInt32(prefix)))
        case .v6(let high, let low):
            if prefix <= 0 { return .v6(0, 0) }
            if prefix >= 128 { return self }
            if prefix <= 64 {
                let mask = prefix == 64 ? UInt64.max : ~(UInt64.max >> UInt64(prefix))
                return .v6(high & mask, 0)
            }
            return .v6(high, low & ~(UInt64.max >> UInt64(prefix - 64)))
        }
    }

    /// The IPv4 address inside an IPv4-mapped (`::ffff:0:0/96`, RFC 4291 §2.5.5.2) or NAT64 well-known-prefix
    /// (`64:ff9b::/96`, RFC 6052 §2.1) IPv6 address; nil for anything else.
    var embeddedIPv4: UInt32? {
        guard case .v6(let high, let low) = self else { return nil }
        let isMapped = high == 0 && low >> 32 == 0x0000_FFFF
        let isNAT64 = high == 0x0064_FF9B_0000_0000 && low >> 32 == 0
        guard isMapped || isNAT64 else { return nil }
        return UInt32(truncatingIfNeeded: low)
    }
}
