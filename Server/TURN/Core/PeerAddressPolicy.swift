import STUN

/// Which peer addresses an allocation may relay to: applied to CreatePermission, ChannelBind and Send
/// (RFC 8656 §21.2.2 lets a server "arbitrarily restrict the range of addresses of peers").
///
/// Deny by default, as eturnal and Enable Security's hardening recommend, because a TURN relay inside a private
/// network is an SSRF proxy (the 2020 Slack report; CVE-2020-26262; CVE-2026-27624). The order of rules:
/// 1. always denied, whatever the flags: the unspecified networks `0.0.0.0/8` and `::/128` (Linux routes them to
///    the host itself, CVE-2020-26262), and the tunnel prefixes 6to4 `2002::/16` and Teredo `2001::/32`
///    (RFC 8656 §21.4);
/// 2. `--deny-peer` ranges;
/// 3. `--allow-peer` ranges (e.g. the sfuservers' private network);
/// 4. loopback, when `--allow-loopback-peers` is set (tests only);
/// 5. the default-deny list (``defaultDenied``);
/// 6. everything else is allowed.
///
/// IPv4-mapped (`::ffff:a.b.c.d`) and NAT64 (`64:ff9b::a.b.c.d`) addresses are judged by the IPv4 address inside
/// them, so `::ffff:127.0.0.1` is loopback (CVE-2026-27624).
public struct PeerAddressPolicy: Hashable, Sendable {
    /// Denied unless `--allow-peer` opens them: loopback, RFC 1918, CGNAT, link-local (cloud metadata),
    /// multicast, reserved, ULA, IPv6 link-local and multicast, and the local-use NAT64 prefix.
    public static let defaultDenied: [IPAddressRange] = [
        "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
        "224.0.0.0/4", "240.0.0.0/4", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "64:ff9b:1::/48",
    ].compactMap { try? IPAddressRange(parsing: $0) }

    /// Denied whatever the flags say.
    public static let alwaysDenied: [IPAddressRange] = [
        "0.0.0.0/8", "::/128", "2002::/16", "2001::/32",
    ].compactMap { try? IPAddressRange(parsing: $0) }

    static let loopback: [IPAddressRange] = ["127.0.0.0/8", "::1/128"].compactMap { try? IPAddressRange(parsing: $0) }

    public var allowed: [IPAddressRange]
    public var denied: [IPAddressRange]
    public var allowLoopback: Bool

    public init(allowed: [IPAddressRange] = [], denied: [IPAddressRange] = [], allowLoopback: Bool = false) {
        self.allowed = allowed
        self.denied = denied
        self.allowLoopback = allowLoopback
    }

    /// Whether relaying to `address` is allowed.
    public func allows(_ address: STUNIPAddress) -> Bool {
        // Judge mapped/NAT64 forms by their IPv4; an explicit IPv6 rule may still name the IPv6 form itself.
        let effective: STUNIPAddress = address.embeddedIPv4.map { .v4($0) } ?? address
        func matches(_ ranges: [IPAddressRange]) -> Bool {
            ranges.contains { $0.contains(effective) || $0.contains(address) }
        }
        if matches(Self.alwaysDenied) { return false }
        if matches(denied) { return false }
        if matches(allowed) { return true }
        if allowLoopback && matches(Self.loopback) { return true }
        if matches(Self.defaultDenied) { return false }
        return true
    }
}
