import NIOCore

/// The last sent RTP packets of one stream, unprotected, by sequence number, so that a NACK (RFC 4585 §6.2.1)
/// can be answered with a retransmission (RFC 4588).
///
/// A ring of ``capacity`` slots indexed by the low bits of the sequence number. Storing copies the packet into the
/// slot's own buffer, which is reused, so after the first round there is no allocation per packet.
public struct RetransmissionBuffer: Sendable {
    /// The number of packets kept (a power of two).
    public let capacity: Int
    var slots: [ByteBuffer]
    var sequenceNumbers: [UInt16?]

    /// - Parameter capacity: rounded up to a power of two, at least 16 (WebRTC stacks keep ~1 s of video).
    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity, size < 32768 { size <<= 1 }
        self.capacity = size
        slots = Array(repeating: ByteBuffer(), count: size)
        sequenceNumbers = Array(repeating: nil, count: size)
    }

    /// Keeps a copy of an unprotected RTP packet (its readable bytes).
    public mutating func store(_ packet: ByteBuffer, sequenceNumber: UInt16) {
        let index = Int(sequenceNumber) & (capacity - 1)
        slots[index].clear()
        slots[index].writeImmutableBuffer(packet)
        sequenceNumbers[index] = sequenceNumber
    }

    /// The stored packet with this sequence number, if it is still in the ring.
    public func packet(sequenceNumber: UInt16) -> ByteBuffer? {
        let index = Int(sequenceNumber) & (capacity - 1)
        guard sequenceNumbers[index] == sequenceNumber else { return nil }
        return slots[index]
    }
}
