/// The 96-bit transaction ID that pairs a STUN response with its request (RFC 8489 §5, §6).
///
/// RFC 8489 §6 asks for IDs "uniformly and randomly chosen from the interval 0 .. 2**96-1" and cryptographically
/// random; ``random()`` uses `SystemRandomNumberGenerator` (the OS CSPRNG). Tests inject a seeded generator with
/// ``random(using:)``.
public struct STUNTransactionID: Hashable, Sendable, CustomStringConvertible {
    /// Bytes 0–3, 4–7 and 8–11 of the ID, each read big-endian.
    public var high: UInt32
    public var middle: UInt32
    public var low: UInt32

    public init(high: UInt32, middle: UInt32, low: UInt32) {
        self.high = high
        self.middle = middle
        self.low = low
    }

    /// The ID from exactly 12 bytes in wire order; nil for any other count.
    public init?<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        guard bytes.count == 12 else { return nil }
        var words: (UInt32, UInt32, UInt32) = (0, 0, 0)
        for (index, byte) in bytes.enumerated() {
            switch index / 4 {
            case 0: words.0 = words.0 << 8 | UInt32(byte)
            case 1: words.1 = words.1 << 8 | UInt32(byte)
            default: words.2 = words.2 << 8 | UInt32(byte)
            }
        }
        self.init(high: words.0, middle: words.1, low: words.2)
    }

    /// The 12 bytes in wire order.
    public var bytes: [UInt8] {
        [high, middle, low].flatMap { word in
            [UInt8(truncatingIfNeeded: word >> 24), UInt8(truncatingIfNeeded: word >> 16),
             UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word)]
        }
    }

    /// A new ID from the operating system's cryptographically secure generator.
    public static func random() -> STUNTransactionID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// A new ID from `generator` (inject a seeded one for reproducible tests).
    public static func random(using generator: inout some RandomNumberGenerator) -> STUNTransactionID {
        let first = generator.next() as UInt64
        let second = generator.next() as UInt32
        return STUNTransactionID(
            high: UInt32(truncatingIfNeeded: first >> 32),
            middle: UInt32(truncatingIfNeeded: first),
            low: second
        )
    }

    /// 24 lowercase hex digits.
    public var description: String {
        [high, middle, low].map { String(hex($0).dropFirst(2)) }.joined()
    }
}
