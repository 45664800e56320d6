import NIOCore

/// Receiver estimated maximum bitrate, an application-layer feedback message: PT 206, format 15, FCI starting
/// with "REMB" (draft-alvestrand-rmcat-remb-03 §2.2). The bitrate is sent as an 18-bit mantissa and 6-bit
/// exponent: bitrate = mantissa × 2^exponent bits per second.
public struct RTCPReceiverEstimatedMaximumBitrate: Sendable, Hashable {
    /// The feedback format number (application layer feedback, RFC 4585 §6.4).
    public static let format: UInt8 = 15
    /// The unique identifier "REMB" in ASCII.
    public static let identifier: UInt32 = 0x5245_4D42

    public var senderSSRC: UInt32
    /// The media source field; the draft says it is always 0.
    public var mediaSSRC: UInt32
    /// The 6-bit exponent.
    public var exponent: UInt8
    /// The 18-bit mantissa.
    public var mantissa: UInt32
    /// The SSRCs this estimate applies to (at most 255).
    public var ssrcs: [UInt32]

    /// A REMB with the raw exponent and mantissa (kept exactly as received).
    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, exponent: UInt8, mantissa: UInt32, ssrcs: [UInt32]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.exponent = exponent & 0x3F
        self.mantissa = mantissa & 0x3_FFFF
        self.ssrcs = ssrcs
    }

    /// A REMB for `bitrate` bits per second, encoded with the smallest exponent whose mantissa fits 18 bits
    /// (low bits are truncated for large values, as libwebrtc does).
    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, bitrate: UInt64, ssrcs: [UInt32]) {
        var mantissa = bitrate
        var exponent: UInt8 = 0
        while mantissa > 0x3_FFFF {
            mantissa >>= 1
            exponent &+= 1
        }
        self.init(
            senderSSRC: senderSSRC,
            mediaSSRC: mediaSSRC,
            exponent: exponent,
            mantissa: UInt32(truncatingIfNeeded: mantissa),
            ssrcs: ssrcs
        )
    }

    /// The bitrate in bits per second, saturating at `UInt64.max` for exponents that overflow.
    public var bitrate: UInt64 {
        let value = UInt64(mantissa)
        guard value != 0 else { return 0 }
        guard Int(exponent) < value.leadingZeroBitCount else { return UInt64.max }
        return value << exponent
    }

    /// Whether a PSFB format 15 body (starting at the sender SSRC) carries the "REMB" identifier.
    static func isREMB(_ view: RTCPPacketView) -> Bool {
        guard view.bodyRange.count >= 12 else { return false }
        return view.bytes.getInteger(at: view.bodyRange.lowerBound + 8, as: UInt32.self) == identifier
    }

    init(view: RTCPPacketView) throws(RTCPParseError) {
        var reader = RTCPBodyReader(view)
        try reader.require(16)
        senderSSRC = try reader.read(UInt32.self)
        mediaSSRC = try reader.read(UInt32.self)
        _ = try reader.read(UInt32.self)  // "REMB"
        let word = try reader.read(UInt32.self)
        let count = Int(word >> 24)
        exponent = UInt8(truncatingIfNeeded: (word >> 18) & 0x3F)
        mantissa = word & 0x3_FFFF
        guard reader.remaining == count * 4 else {
            throw .rembSSRCCountMismatch(declared: count, available: reader.remaining / 4)
        }
        var ssrcs: [UInt32] = []
        ssrcs.reserveCapacity(count)
        for _ in 0..<count { ssrcs.append(try reader.read(UInt32.self)) }
        self.ssrcs = ssrcs
    }

    /// Writes this packet.
    public func write(to buffer: inout ByteBuffer) throws(RTCPSerializationError) {
        guard ssrcs.count <= 255 else { throw .countTooLarge(ssrcs.count) }
        let start = buffer.beginRTCPPacket(countOrFormat: Self.format, packetType: RTCPPacketType.payloadFeedback)
        buffer.writeInteger(senderSSRC)
        buffer.writeInteger(mediaSSRC)
        buffer.writeInteger(Self.identifier)
        let word = UInt32(ssrcs.count) << 24 | UInt32(exponent & 0x3F) << 18 | (mantissa & 0x3_FFFF)
        buffer.writeInteger(word)
        for ssrc in ssrcs { buffer.writeInteger(ssrc) }
        try buffer.finishRTCPPacket(start: start)
    }
}
