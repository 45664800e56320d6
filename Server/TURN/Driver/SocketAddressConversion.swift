import NIOCore
import STUN

#if os(Linux)
// sockaddr_in/sockaddr_in6 reach Swift through NIO's C module on Linux (MemberImportVisibility wants it named).
import CNIOLinux
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Conversions between NIO's `SocketAddress` and STUN's value addresses without going through text: the relay path
/// converts every received source address, so this reads the `sockaddr` bytes directly.
enum SocketAddressConversion {
    // On Linux and Darwin alike the port is at byte 2 of sockaddr_in/sockaddr_in6, the IPv4 address at byte 4 and
    // the IPv6 address at byte 8, all in network order; reading bytes avoids field names some module maps hide.

    /// The address and port of an IPv4/IPv6 socket address; nil for Unix domain sockets.
    static func transportAddress(_ address: SocketAddress) -> STUNTransportAddress? {
        switch address {
        case .v4(let v4):
            return withUnsafeBytes(of: v4.address) { raw in
                let port = UInt16(raw[2]) << 8 | UInt16(raw[3])
                var ip: UInt32 = 0
                for index in 4..<8 { ip = ip << 8 | UInt32(raw[index]) }
                return STUNTransportAddress(address: .v4(ip), port: port)
            }
        case .v6(let v6):
            return withUnsafeBytes(of: v6.address) { raw in
                let port = UInt16(raw[2]) << 8 | UInt16(raw[3])
                var high: UInt64 = 0
                var low: UInt64 = 0
                for index in 8..<16 { high = high << 8 | UInt64(raw[index]) }
                for index in 16..<24 { low = low << 8 | UInt64(raw[index]) }
                return STUNTransportAddress(address: .v6(high, low), port: port)
            }
        case .unixDomainSocket:
            return nil
        }
    }

    /// The socket address for a STUN transport address.
    static func socketAddress(_ address: STUNTransportAddress) -> SocketAddress {
        switch address.address {
        case .v4(let value):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            withUnsafeMutableBytes(of: &sin) { raw in
                raw[2] = UInt8(truncatingIfNeeded: address.port >> 8)
                raw[3] = UInt8(truncatingIfNeeded: address.port)
                for index in 0..<4 { raw[4 + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(index))) }
            }
            return SocketAddress(sin, host: "")
        case .v6(let high, let low):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            withUnsafeMutableBytes(of: &sin6) { raw in
                raw[2] = UInt8(truncatingIfNeeded: address.port >> 8)
                raw[3] = UInt8(truncatingIfNeeded: address.port)
                for index in 0..<8 { raw[8 + index] = UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(index))) }
                for index in 0..<8 { raw[16 + index] = UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(index))) }
            }
            return SocketAddress(sin6, host: "")
        }
    }
}
