import NIOCore

/// RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1, RFC 3611).
public enum RTCPPacketType {
    public static let senderReport: UInt8 = 200
    public static let receiverReport: UInt8 = 201
    public static let sourceDescription: UInt8 = 202
    public static let bye: UInt8 = 203
    public static let applicationDefined: UInt8 = 204
    /// Transport-layer feedback (RFC 4585 §6.2).
    public static let transportFeedback: UInt8 = 205
    /// Payload-specific feedback (RFC 4585 §6.3).
    public static let payloadFeedback: UInt8 = 206
    /// Extended reports (RFC 3611).
    public static let extendedReport: UInt8 = 207
}

extension RTCPPacketType {
    /// Whether a datagram on an rtcp-mux transport is RTCP rather than RTP (RFC 5761 §4): version 2 and a
    /// second byte in 192...223, i.e. an RTCP packet type, which RTP payload types 64...95 would collide with.
    @inlinable
    public static func isRTCP(_ datagram: ByteBuffer) -> Bool {
        guard let first = datagram.getInteger(at: datagram.readerIndex, as: UInt8.self),
            let second = datagram.getInteger(at: datagram.readerIndex + 1, as: UInt8.self)
        else {
            return false
        }
        return first >> 6 == 2 && (192...223).contains(second)
    }
}

/// One packet inside an RTCP compound, located but not decoded: its common header fields and where its body
/// lies in the compound's buffer (RFC 3550 §6.4.1). Lets a forwarder route feedback by type and SSRC without
/// allocating.
public struct RTCPPacketView: Sendable {
    /// The compound's buffer (shared storage, not copied).
    public let bytes: ByteBuffer
    /// The P bit.
    public let hasPadding: Bool
    /// The 5-bit count (RC/SC) or feedback message type (FMT) field.
    public let countOrFormat: UInt8
    /// The packet type (200...207 and others).
    public let packetType: UInt8
    /// The whole packet, header and padding included, as an index range of ``bytes``.
    public let packetRange: Range<Int>
    /// The body after the 4-byte header, padding excluded, as an index range of ``bytes``.
    public let bodyRange: Range<Int>

    /// The body as a zero-copy slice.
    public var body: ByteBuffer { bytes.getSlice(at: bodyRange.lowerBound, length: bodyRange.count) ?? ByteBuffer() }

    /// The first 32-bit word of the body: the sender's SSRC for SR, RR, APP, RTPFB and PSFB.
    public var senderSSRC: UInt32? {
        bodyRange.count >= 4 ? bytes.getInteger(at: bodyRange.lowerBound, as: UInt32.self) : nil
    }

    /// The second 32-bit word of a feedback message: the media source SSRC (RFC 4585 §6.1).
    public var mediaSSRC: UInt32? {
        bodyRange.count >= 8 ? bytes.getInteger(at: bodyRange.lowerBound + 4, as: UInt32.self) : nil
    }
}

/// Iterates the packets of an RTCP compound packet (RFC 3550 §6.1) without allocating.
///
/// Each packet's version, length and padding are checked; a bad length ends the iteration with an error
/// instead of reading out of bounds.
public struct RTCPCompoundReader: Sendable {
    @usableFromInline var bytes: ByteBuffer
    @usableFromInline var index: Int
    @usableFromInline let end: Int

    /// Reads the readable bytes of `buffer` (not consumed).
    public init(_ buffer: ByteBuffer) {
        self.bytes = buffer
        self.index = buffer.readerIndex
        self.end = buffer.writerIndex
    }

    /// The next packet, or nil at the end of the compound.
    /// - Throws: ``RTCPParseError`` for a truncated header, wrong version, overlong length or bad padding; the
    ///   reader then stays at the failing packet.
    public mutating func next() throws(RTCPParseError) -> RTCPPacketView? {
        let remaining = end - index
        guard remaining > 0 else { return nil }
        guard remaining >= 4,
            let b0 = bytes.getInteger(at: index, as: UInt8.self),
            let type = bytes.getInteger(at: index + 1, as: UInt8.self),
            let words = bytes.getInteger(at: index + 2, as: UInt16.self)
        else {
            throw .truncatedHeader(available: remaining)
        }
        guard b0 >> 6 == 2 else { throw .unsupportedVersion(b0 >> 6) }
        let length = (Int(words) + 1) * 4
        guard length <= remaining else {
            throw .lengthExceedsBuffer(packetType: type, declared: length, available: remaining)
        }
        let hasPadding = b0 & 0x20 != 0
        var bodyEnd = index + length
        if hasPadding {
            let bodyLength = length - 4
            let padding = Int(bytes.getInteger(at: index + length - 1, as: UInt8.self) ?? 0)
            guard padding > 0, padding <= bodyLength else {
                throw .invalidPadding(packetType: type, padding: padding, bodyLength: bodyLength)
            }
            bodyEnd -= padding
        }
        let view = RTCPPacketView(
            bytes: bytes,
            hasPadding: hasPadding,
            countOrFormat: b0 & 0x1F,
            packetType: type,
            packetRange: index..<(index + length),
            bodyRange: (index + 4)..<bodyEnd
        )
        index += length
        return view
    }
}

/// A bounds-checked big-endian reader over a range of a `ByteBuffer`, used by the RTCP body parsers.
struct RTCPBodyReader {
    let bytes: ByteBuffer
    var index: Int
    let end: Int
    let packetType: UInt8

    init(_ view: RTCPPacketView) {
        self.bytes = view.bytes
        self.index = view.bodyRange.lowerBound
        self.end = view.bodyRange.upperBound
        self.packetType = view.packetType
    }

    var remaining: Int { end - index }

    func require(_ count: Int) throws(RTCPParseError) {
        guard count <= remaining else {
            throw .truncatedBody(packetType: packetType, needed: count, available: remaining)
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws(RTCPParseError) -> T {
        let size = MemoryLayout<T>.size
        guard size <= remaining, let value = bytes.getInteger(at: index, as: T.self) else {
            throw .truncatedBody(packetType: packetType, needed: size, available: remaining)
        }
        index += size
        return value
    }

    mutating func readBytes(_ count: Int) throws(RTCPParseError) -> [UInt8] {
        guard count >= 0, count <= remaining, let value = bytes.getBytes(at: index, length: count) else {
            throw .truncatedBody(packetType: packetType, needed: count, available: remaining)
        }
        index += count
        return value
    }

    mutating func readRest() -> [UInt8] {
        let value = bytes.getBytes(at: index, length: remaining) ?? []
        index = end
        return value
    }
}

extension ByteBuffer {
    /// Writes an RTCP common header with a placeholder length; returns its index for ``finishRTCPPacket``.
    mutating func beginRTCPPacket(countOrFormat: UInt8, packetType: UInt8, padding: Bool = false) -> Int {
        let start = writerIndex
        writeInteger(0x80 | (padding ? 0x20 : 0) | (countOrFormat & 0x1F))
        writeInteger(packetType)
        writeInteger(UInt16(0))
        return start
    }

    /// Fills in the length field (32-bit words minus one) of the packet begun at `start` (RFC 3550 §6.4.1).
    mutating func finishRTCPPacket(start: Int) throws(RTCPSerializationError) {
        let length = writerIndex - start
        guard length % 4 == 0 else {
            moveWriterIndex(to: start)
            throw .unalignedData(length)
        }
        guard length / 4 - 1 <= Int(UInt16.max) else {
            moveWriterIndex(to: start)
            throw .packetTooLong(length)
        }
        setInteger(UInt16(truncatingIfNeeded: length / 4 - 1), at: start + 2)
    }
}
