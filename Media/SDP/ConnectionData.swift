/// A `c=` line, or the address part of `a=rtcp` (RFC 8866 §5.7): `nettype addrtype connection-address`.
///
/// WebRTC writes `IN IP4 0.0.0.0` and carries the real addresses in ICE candidates (RFC 8829 §5.2.1).
public struct ConnectionData: Hashable, Sendable {
    /// `IN` for the Internet.
    public var networkType: String
    /// `IP4` or `IP6`.
    public var addressType: String
    /// The address, kept as written (it may carry a multicast `/ttl/count` suffix or be an FQDN).
    public var address: String

    public init(networkType: String = "IN", addressType: String = "IP4", address: String = "0.0.0.0") {
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    static func parse(_ value: Substring, line: Int) throws(SDPParseError) -> ConnectionData {
        let fields = value.fields()
        guard fields.count == 3 else {
            throw .badConnectionData(line: line, reason: "expected 3 fields, found \(fields.count)")
        }
        return ConnectionData(networkType: String(fields[0]), addressType: String(fields[1]), address: String(fields[2]))
    }

    func write(to out: inout String) {
        out += networkType
        out += " "
        out += addressType
        out += " "
        out += address
    }
}
