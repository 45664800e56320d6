/// Extends 16-bit RTP sequence numbers to 64 bits across wrap-around (RFC 3550 §A.1 style).
///
/// Each number is placed at the 64-bit value closest to the previous one, so 65535 → 0 continues at 65536,
/// and a reordered packet from before a wrap maps back below it. The first number maps to itself; a packet from
/// before it maps to a negative value.
public struct SequenceNumberUnwrapper: Sendable, Hashable {
    @usableFromInline var last: Int64?

    public init() {}

    /// The unwrapped value of `sequenceNumber`, which becomes the new reference.
    @inlinable
    public mutating func unwrap(_ sequenceNumber: UInt16) -> Int64 {
        let value = unwrapped(sequenceNumber)
        last = value
        return value
    }

    /// The unwrapped value of `sequenceNumber` without changing the reference.
    @inlinable
    public func unwrapped(_ sequenceNumber: UInt16) -> Int64 {
        guard let last else { return Int64(sequenceNumber) }
        let delta = Int16(bitPattern: sequenceNumber &- UInt16(truncatingIfNeeded: last))
        return last &+ Int64(delta)
    }
}

/// Extends 32-bit RTP timestamps to 64 bits across wrap-around, the same way as ``SequenceNumberUnwrapper``.
public struct TimestampUnwrapper: Sendable, Hashable {
    @usableFromInline var last: Int64?

    public init() {}

    /// The unwrapped value of `timestamp`, which becomes the new reference.
    @inlinable
    public mutating func unwrap(_ timestamp: UInt32) -> Int64 {
        let value = unwrapped(timestamp)
        last = value
        return value
    }

    /// The unwrapped value of `timestamp` without changing the reference.
    @inlinable
    public func unwrapped(_ timestamp: UInt32) -> Int64 {
        guard let last else { return Int64(timestamp) }
        let delta = Int32(bitPattern: timestamp &- UInt32(truncatingIfNeeded: last))
        return last &+ Int64(delta)
    }
}
