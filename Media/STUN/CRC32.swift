/// CRC-32 as used by FINGERPRINT (RFC 8489 §14.7 points to ITU-T V.42 / ISO 3309: the reflected polynomial
/// 0xEDB88320, initial value and final XOR 0xFFFFFFFF — the same CRC as zlib and Ethernet).
///
/// Table-driven, one byte per step: 256 precomputed entries, built once.
public enum CRC32 {
    /// The CRC-32 of `bytes`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        update(0xFFFF_FFFF, with: bytes) ^ 0xFFFF_FFFF
    }

    /// The CRC-32 of `bytes`.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var state: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            for byte in bytes {
                state = table[Int(UInt8(truncatingIfNeeded: state) ^ byte)] ^ (state >> 8)
            }
        }
        return state ^ 0xFFFF_FFFF
    }

    /// Feeds `bytes` into a running (pre-inversion) CRC state.
    static func update(_ initial: UInt32, with bytes: UnsafeRawBufferPointer) -> UInt32 {
        var state = initial
        table.withUnsafeBufferPointer { table in
            for byte in bytes {
                state = table[Int(UInt8(truncatingIfNeeded: state) ^ byte)] ^ (state >> 8)
            }
        }
        return state
    }

    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 {
            value = value & 1 == 1 ? (value >> 1) ^ 0xEDB8_8320 : value >> 1
        }
        return value
    }
}
