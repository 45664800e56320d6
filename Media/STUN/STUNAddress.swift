import NIOCore

/// An address family code as carried by STUN address attributes (RFC 8489 §14.1) and by TURN's
/// REQUESTED-ADDRESS-FAMILY / ADDITIONAL-ADDRESS-FAMILY / ADDRESS-ERROR-CODE (RFC 8656 §18.8, §18.10, §18.11).
///
/// A struct over the raw byte rather than an enum because a TURN server must be able to receive a family it does not
/// support and answer 440 (Address Family not Supported).
public struct STUNAddressFamily: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// 0x01: IPv4.
    public static let ipv4 = STUNAddressFamily(rawValue: 0x01)
    /// 0x02: IPv6.
    public static let ipv6 = STUNAddressFamily(rawValue: 0x02)

    public var description: String {
        switch self {
        case .ipv4: "IPv4"
        case .ipv6: "IPv6"
        default: "family \(hex(rawValue))"
        }
    }
}

/// An IPv4 or IPv6 address, held as plain integers (network byte order read big-endian) so it is cheap to copy,
/// hash and XOR (RFC 8489 §14.2).
public enum STUNIPAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 address; 192.0.2.1 is `0xC000_0201`.
    case v4(UInt32)
    /// An IPv6 address as its first and last 64 bits.
    case v6(UInt64, UInt64)

    /// The family code written in address attributes.
    public var family: STUNAddressFamily {
        switch self {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }

    /// The 4 or 16 address bytes in network order.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let value):
            return (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) }
        case .v6(let high, let low):
            return (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
                + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
        }
    }

    /// The address from 4 (IPv4) or 16 (IPv6) bytes in network order; nil for any other count.
    public init?<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        switch bytes.count {
        case 4:
            self = .v4(bytes.reduce(0) { $0 << 8 | UInt32($1) })
        case 16:
            var high: UInt64 = 0
            var low: UInt64 = 0
            for (index, byte) in bytes.enumerated() {
                if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
            }
            self = .v6(high, low)
        default:
            return nil
        }
    }

    /// Parses textual IPv4 (`192.0.2.1`) or IPv6 (`2001:db8::1`, `::ffff:192.0.2.1`) notation; a zone suffix
    /// (`%eth0`) is dropped. Nil if the text is not an address.
    public init?(_ text: some StringProtocol) {
        let withoutZone = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        if let v4 = Self.parseIPv4(withoutZone) {
            self = .v4(v4)
        } else if let (high, low) = Self.parseIPv6(withoutZone) {
            self = .v6(high, low)
        } else {
            return nil
        }
    }

    /// Dotted quad for IPv4; RFC 5952 canonical text for IPv6 (lowercase, longest zero run as `::`).
    public var description: String {
        switch self {
        case .v4(let value):
            return (0..<4).map { String(UInt8(truncatingIfNeeded: value >> (24 - 8 * $0))) }.joined(separator: ".")
        case .v6(let high, let low):
            let groups: [UInt16] = (0..<4).map { UInt16(truncatingIfNeeded: high >> (48 - 16 * $0)) }
                + (0..<4).map { UInt16(truncatingIfNeeded: low >> (48 - 16 * $0)) }
            // Longest run of at least two zero groups, first one on ties (RFC 5952 §4.2).
            var bestStart = -1
            var bestLength = 1
            var index = 0
            while index < 8 {
                if groups[index] == 0 {
                    var end = index
                    while end < 8 && groups[end] == 0 { end += 1 }
                    if end - index > bestLength {
                        bestStart = index
                        bestLength = end - index
                    }
                    index = end
                } else {
                    index += 1
                }
            }
            let text = { (range: Range<Int>) in
                groups[range].map { String($0, radix: 16) }.joined(separator: ":")
            }
            if bestStart < 0 { return text(0..<8) }
            return text(0..<bestStart) + "::" + text((bestStart + bestLength)..<8)
        }
    }

    private static func parseIPv4(_ text: some StringProtocol) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                let octet = UInt8(part)
            else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }

    private static func parseIPv6(_ text: some StringProtocol) -> (UInt64, UInt64)? {
        guard text.contains(":") else { return nil }
        // Split at the one "::" allowed, without Foundation.
        let utf8 = Array(text.utf8)
        var halves: [String] = []
        var start = 0
        var index = 0
        while index + 1 < utf8.count {
            if utf8[index] == UInt8(ascii: ":") && utf8[index + 1] == UInt8(ascii: ":") {
                halves.append(String(decoding: utf8[start..<index], as: UTF8.self))
                index += 2
                start = index
            } else {
                index += 1
            }
        }
        halves.append(String(decoding: utf8[start...], as: UTF8.self))
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String, allowIPv4Tail: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if allowIPv4Tail, index == pieces.count - 1, piece.contains("."), let v4 = parseIPv4(piece) {
                    result.append(UInt16(truncatingIfNeeded: v4 >> 16))
                    result.append(UInt16(truncatingIfNeeded: v4))
                } else {
                    guard (1...4).contains(piece.count), piece.allSatisfy(\.isHexDigit),
                        let group = UInt16(piece, radix: 16)
                    else { return nil }
                    result.append(group)
                }
            }
            return result
        }
        var all: [UInt16]
        if halves.count == 2 {
            guard let head = groups(halves[0], allowIPv4Tail: false), let tail = groups(halves[1], allowIPv4Tail: true),
                head.count + tail.count <= 7
            else { return nil }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let only = groups(halves[0], allowIPv4Tail: true), only.count == 8 else { return nil }
            all = only
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, group) in all.enumerated() {
            if index < 4 { high = high << 16 | UInt64(group) } else { low = low << 16 | UInt64(group) }
        }
        return (high, low)
    }
}

/// An IP address and port: the value of MAPPED-ADDRESS, XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS
/// and ALTERNATE-SERVER (RFC 8489 §14.1–14.2, §14.15; RFC 8656 §18.3, §18.5).
public struct STUNTransportAddress: Hashable, Sendable, CustomStringConvertible {
    public var address: STUNIPAddress
    public var port: UInt16

    public init(address: STUNIPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// `192.0.2.1:3478` or `[2001:db8::1]:3478`.
    public var description: String {
        switch address {
        case .v4: "\(address):\(port)"
        case .v6: "[\(address)]:\(port)"
        }
    }

    /// The same address as a NIO `SocketAddress`, for handing to a channel.
    public func socketAddress() throws -> SocketAddress {
        try SocketAddress(packedIPAddress: ByteBuffer(bytes: address.bytes), port: Int(port))
    }

    /// The address of a NIO `SocketAddress` (IPv4 or IPv6); nil for a Unix domain socket address.
    public init?(_ socketAddress: SocketAddress) {
        guard let text = socketAddress.ipAddress, let port = socketAddress.port, let ip = STUNIPAddress(text),
            let port16 = UInt16(exactly: port)
        else { return nil }
        self.init(address: ip, port: port16)
    }
}
