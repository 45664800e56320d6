import NIOCore

/// The fixed RTP header fields plus where the CSRC list, header extension block, payload and padding lie inside
/// the packet (RFC 3550 §5.1, §5.3.1).
///
/// A plain value with no references: parsing records offsets instead of copying bytes, so a forwarded packet's
/// payload is never copied. All offsets are relative to the first byte of the packet.
public struct RTPHeader: Sendable, Hashable {
    /// The P bit: the packet ends with padding whose last byte counts the padding bytes (RFC 3550 §5.1).
    public var hasPadding: Bool
    /// The X bit: a header extension block follows the CSRC list (RFC 3550 §5.3.1).
    public var hasExtension: Bool
    /// The M bit; its meaning is set by the profile (for video: last packet of a frame).
    public var marker: Bool
    /// The 7-bit payload type.
    public var payloadType: UInt8
    /// The 16-bit sequence number.
    public var sequenceNumber: UInt16
    /// The 32-bit media timestamp.
    public var timestamp: UInt32
    /// The synchronization source identifier.
    public var ssrc: UInt32
    /// The number of CSRC identifiers (the CC field, 0...15).
    public var csrcCount: Int
    /// The 16-bit "defined by profile" field of the extension block, 0 when there is none
    /// (0xBEDE one-byte form, 0x100X two-byte form, RFC 8285 §4).
    public var extensionProfile: UInt16
    /// Offset of the extension data (after the 4-byte extension header); equal to the CSRC list end when absent.
    public var extensionDataOffset: Int
    /// Length in bytes of the extension data (the length field × 4).
    public var extensionDataLength: Int
    /// Offset of the payload, i.e. the total header length.
    public var payloadOffset: Int
    /// Length of the payload, excluding padding.
    public var payloadLength: Int
    /// Number of padding bytes at the end of the packet, including the count byte; 0 when P is clear.
    public var paddingLength: Int

    /// The size of the fixed part of the RTP header.
    public static let fixedHeaderLength = 12

    /// The form of the header extension block, or nil when the X bit is clear.
    public var extensionForm: RTPHeaderExtensionForm? {
        hasExtension ? RTPHeaderExtensionForm(profile: extensionProfile) : nil
    }

    /// Parses the RTP header of the packet made of all readable bytes of `buffer`.
    ///
    /// Checks version 2, the CSRC list, the extension block bounds and the elements of one-byte/two-byte
    /// extension blocks (RFC 8285 §4), and the padding count (RFC 3550 §5.1). Nothing is copied.
    /// - Throws: ``RTPParseError`` naming the first problem found.
    @inlinable
    public init(parsing buffer: ByteBuffer) throws(RTPParseError) {
        try self.init(parsing: buffer, packetStart: buffer.readerIndex, packetLength: buffer.readableBytes)
    }

    /// Parses the RTP header of the `packetLength` bytes that start at index `packetStart` of `buffer`.
    /// - Throws: ``RTPParseError``; a range outside the buffer's readable bytes reports a truncated header.
    public init(parsing buffer: ByteBuffer, packetStart: Int, packetLength: Int) throws(RTPParseError) {
        guard packetStart >= buffer.readerIndex, packetLength >= 0,
            packetLength <= buffer.writerIndex - packetStart
        else {
            throw .truncatedFixedHeader(length: max(0, min(packetLength, buffer.writerIndex - packetStart)))
        }
        guard packetLength >= Self.fixedHeaderLength,
            let b0 = buffer.getInteger(at: packetStart, as: UInt8.self),
            let b1 = buffer.getInteger(at: packetStart + 1, as: UInt8.self),
            let seq = buffer.getInteger(at: packetStart + 2, as: UInt16.self),
            let ts = buffer.getInteger(at: packetStart + 4, as: UInt32.self),
            let ssrc = buffer.getInteger(at: packetStart + 8, as: UInt32.self)
        else {
            throw .truncatedFixedHeader(length: packetLength)
        }
        let version = b0 >> 6
        guard version == 2 else { throw .unsupportedVersion(version) }
        self.hasPadding = b0 & 0x20 != 0
        self.hasExtension = b0 & 0x10 != 0
        self.csrcCount = Int(b0 & 0x0F)
        self.marker = b1 & 0x80 != 0
        self.payloadType = b1 & 0x7F
        self.sequenceNumber = seq
        self.timestamp = ts
        self.ssrc = ssrc

        var offset = Self.fixedHeaderLength + csrcCount * 4
        guard offset <= packetLength else {
            throw .truncatedCSRCList(csrcCount: csrcCount, available: packetLength - Self.fixedHeaderLength)
        }
        if hasExtension {
            guard offset + 4 <= packetLength,
                let profile = buffer.getInteger(at: packetStart + offset, as: UInt16.self),
                let words = buffer.getInteger(at: packetStart + offset + 2, as: UInt16.self)
            else {
                throw .truncatedExtensionHeader
            }
            let dataLength = Int(words) * 4
            let dataOffset = offset + 4
            guard dataLength <= packetLength - dataOffset else {
                throw .extensionLengthExceedsPacket(declaredBytes: dataLength, available: packetLength - dataOffset)
            }
            self.extensionProfile = profile
            self.extensionDataOffset = dataOffset
            self.extensionDataLength = dataLength
            try RTPHeaderExtensionForm(profile: profile).validateElements(
                in: buffer,
                from: packetStart + dataOffset,
                length: dataLength
            )
            offset = dataOffset + dataLength
        } else {
            self.extensionProfile = 0
            self.extensionDataOffset = offset
            self.extensionDataLength = 0
        }
        self.payloadOffset = offset
        let afterHeader = packetLength - offset
        if hasPadding {
            guard afterHeader > 0,
                let count = buffer.getInteger(at: packetStart + packetLength - 1, as: UInt8.self),
                count > 0, Int(count) <= afterHeader
            else {
                let count = buffer.getInteger(at: packetStart + packetLength - 1, as: UInt8.self) ?? 0
                throw .invalidPaddingLength(padding: afterHeader > 0 ? Int(count) : 0, available: afterHeader)
            }
            self.paddingLength = Int(count)
        } else {
            self.paddingLength = 0
        }
        self.payloadLength = afterHeader - paddingLength
    }

    /// The total packet length this header describes.
    public var packetLength: Int { payloadOffset + payloadLength + paddingLength }
}

/// The layout of an RTP header extension block, chosen by its 16-bit profile field (RFC 8285 §4).
public enum RTPHeaderExtensionForm: Sendable, Hashable {
    /// 0xBEDE: elements with a 4-bit id (1...14) and 4-bit length-minus-one (RFC 8285 §4.2).
    case oneByte
    /// 0x100 followed by 4 "appbits": elements with an 8-bit id and 8-bit length (RFC 8285 §4.3).
    case twoByte(appBits: UInt8)
    /// Any other profile: the block is opaque to RFC 8285 parsing (RFC 3550 §5.3.1).
    case opaque(profile: UInt16)

    /// The profile value 0xBEDE of the one-byte form.
    public static let oneByteProfile: UInt16 = 0xBEDE

    /// Classifies a profile field value.
    @inlinable
    public init(profile: UInt16) {
        if profile == Self.oneByteProfile {
            self = .oneByte
        } else if profile & 0xFFF0 == 0x1000 {
            self = .twoByte(appBits: UInt8(truncatingIfNeeded: profile & 0x000F))
        } else {
            self = .opaque(profile: profile)
        }
    }

    /// The 16-bit profile field value for this form.
    @inlinable
    public var profile: UInt16 {
        switch self {
        case .oneByte: return Self.oneByteProfile
        case .twoByte(let appBits): return 0x1000 | UInt16(appBits & 0x0F)
        case .opaque(let profile): return profile
        }
    }

    /// Walks the elements once so later lookups cannot fail (RFC 8285 §4.2, §4.3).
    func validateElements(in buffer: ByteBuffer, from start: Int, length: Int) throws(RTPParseError) {
        var walker = RTPHeaderExtensionWalker(form: self, start: start, end: start + length)
        while true {
            switch walker.next(in: buffer) {
            case .element: continue
            case .end: return
            case .malformed(let id): throw .extensionElementOverrunsBlock(id: id)
            }
        }
    }
}

/// One step of walking an extension block.
@usableFromInline
enum RTPHeaderExtensionStep {
    case element(id: UInt8, dataIndex: Int, dataLength: Int)
    case end
    case malformed(id: UInt8)
}

/// Walks the elements of a one-byte or two-byte extension block without allocating (RFC 8285 §4.2, §4.3).
/// Padding bytes (id 0) are skipped; in the one-byte form id 15 ends processing (RFC 8285 §4.2).
@usableFromInline
struct RTPHeaderExtensionWalker: Sendable {
    @usableFromInline let twoByte: Bool
    @usableFromInline let opaque: Bool
    @usableFromInline var index: Int
    @usableFromInline let end: Int

    @inlinable
    init(form: RTPHeaderExtensionForm, start: Int, end: Int) {
        switch form {
        case .oneByte: twoByte = false; opaque = false
        case .twoByte: twoByte = true; opaque = false
        case .opaque: twoByte = false; opaque = true
        }
        self.index = start
        self.end = end
    }

    @inlinable
    mutating func next(in buffer: ByteBuffer) -> RTPHeaderExtensionStep {
        if opaque { return .end }
        while index < end {
            guard let first = buffer.getInteger(at: index, as: UInt8.self) else { return .end }
            if twoByte {
                if first == 0 {
                    index += 1
                    continue
                }
                guard index + 2 <= end, let length = buffer.getInteger(at: index + 1, as: UInt8.self) else {
                    index = end
                    return .malformed(id: first)
                }
                let dataIndex = index + 2
                guard Int(length) <= end - dataIndex else {
                    index = end
                    return .malformed(id: first)
                }
                index = dataIndex + Int(length)
                return .element(id: first, dataIndex: dataIndex, dataLength: Int(length))
            } else {
                let id = first >> 4
                if id == 0 {
                    index += 1
                    continue
                }
                if id == 15 {
                    index = end
                    return .end
                }
                let length = Int(first & 0x0F) + 1
                let dataIndex = index + 1
                guard length <= end - dataIndex else {
                    index = end
                    return .malformed(id: id)
                }
                index = dataIndex + length
                return .element(id: id, dataIndex: dataIndex, dataLength: length)
            }
        }
        return .end
    }
}
