import NIOCore

/// A goodbye packet, type 203 (RFC 3550 §6.6): the sources leaving, with an optional reason.
public struct RTCPBye: Sendable, Hashable {
    /// Up to 31 SSRC/CSRC identifiers.
    public var sources: [UInt32]
    /// The reason for leaving (UTF-8, up to 255 bytes), nil when absent.
    public var reason: [UInt8]?

    public init(sources: [UInt32], reason: [UInt8]? = nil) {
        self.sources = sources
        self.reason = reason
    }

    /// A BYE with a text reason.
    public init(sources: [UInt32], reason text: String) {
        self.init(sources: sources, reason: Array(text.utf8))
    }

    /// The reason decoded as UTF-8.
    public var reasonText: String? { reason.map { String(decoding: $0, as: UTF8.self) } }

    init(view: RTCPPacketView) throws(RTCPParseError) {
        var reader = RTCPBodyReader(view)
        try reader.require(Int(view.countOrFormat) * 4)
        var sources: [UInt32] = []
        sources.reserveCapacity(Int(view.countOrFormat))
        for _ in 0..<view.countOrFormat { sources.append(try reader.read(UInt32.self)) }
        self.sources = sources
        if reader.remaining > 0 {
            let length = Int(try reader.read(UInt8.self))
            guard length <= reader.remaining else { throw .malformedByeReason }
            reason = try reader.readBytes(length)
        } else {
            reason = nil
        }
    }

    /// Writes this packet, padding the reason with zero bytes to a 32-bit boundary (RFC 3550 §6.6).
    public func write(to buffer: inout ByteBuffer) throws(RTCPSerializationError) {
        guard sources.count <= 31 else { throw .countTooLarge(sources.count) }
        if let reason, reason.count > 255 { throw .textTooLong(reason.count) }
        let start = buffer.beginRTCPPacket(
            countOrFormat: UInt8(truncatingIfNeeded: sources.count),
            packetType: RTCPPacketType.bye
        )
        for source in sources { buffer.writeInteger(source) }
        if let reason {
            buffer.writeInteger(UInt8(truncatingIfNeeded: reason.count))
            buffer.writeBytes(reason)
            let written = 1 + reason.count
            if written % 4 != 0 { buffer.writeRepeatingByte(0, count: 4 - written % 4) }
        }
        try buffer.finishRTCPPacket(start: start)
    }
}
