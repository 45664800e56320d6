/// Why an RTP packet, one of its header extensions, or an RTP payload format header could not be parsed.
///
/// Thrown with typed throws (`throws(RTPParseError)`) so a failed parse on the media path costs no allocation.
/// Every case names what was wrong; ``description`` gives a readable sentence for logs.
public enum RTPParseError: Error, Hashable, Sendable {
    /// Fewer than the 12 bytes of the fixed RTP header (RFC 3550 §5.1).
    case truncatedFixedHeader(length: Int)
    /// The version field was not 2 (RFC 3550 §5.1).
    case unsupportedVersion(UInt8)
    /// The CSRC count promises more 32-bit identifiers than the packet holds (RFC 3550 §5.1).
    case truncatedCSRCList(csrcCount: Int, available: Int)
    /// The X bit is set but the 4-byte extension header is missing (RFC 3550 §5.3.1).
    case truncatedExtensionHeader
    /// The extension length (in 32-bit words) runs past the end of the packet (RFC 3550 §5.3.1).
    case extensionLengthExceedsPacket(declaredBytes: Int, available: Int)
    /// A one-byte or two-byte header extension element runs past the end of the extension block (RFC 8285 §4).
    case extensionElementOverrunsBlock(id: UInt8)
    /// The P bit is set but the padding count is 0 or larger than what follows the header (RFC 3550 §5.1).
    case invalidPaddingLength(padding: Int, available: Int)
    /// A typed header extension had a length its definition does not allow.
    case invalidExtensionLength(RTPHeaderExtensionKind, length: Int)
    /// The VP8 payload descriptor (RFC 7741 §4.2) is cut short.
    case truncatedVP8PayloadDescriptor
    /// The Opus payload (RFC 7587 §4.2) is empty or its frame count byte is missing (RFC 6716 §3.2).
    case truncatedOpusPayload
    /// An RTX payload (RFC 4588 §4) is shorter than its 2-byte original sequence number.
    case truncatedRTXPayload(length: Int)
}

extension RTPParseError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .truncatedFixedHeader(let length):
            return "RTP packet of \(length) bytes is shorter than the 12-byte fixed header (RFC 3550 §5.1)"
        case .unsupportedVersion(let version):
            return "RTP version \(version) is not 2 (RFC 3550 §5.1)"
        case .truncatedCSRCList(let count, let available):
            return "RTP CSRC count \(count) needs \(count * 4) bytes but only \(available) follow the fixed header"
        case .truncatedExtensionHeader:
            return "RTP X bit is set but the 4-byte header extension header is missing (RFC 3550 §5.3.1)"
        case .extensionLengthExceedsPacket(let declared, let available):
            return "RTP header extension declares \(declared) bytes but only \(available) remain"
        case .extensionElementOverrunsBlock(let id):
            return "RTP header extension element id \(id) runs past the end of the extension block (RFC 8285 §4)"
        case .invalidPaddingLength(let padding, let available):
            return "RTP padding count \(padding) is invalid for \(available) bytes after the header (RFC 3550 §5.1)"
        case .invalidExtensionLength(let kind, let length):
            return "RTP header extension \(kind.uri) has invalid length \(length)"
        case .truncatedVP8PayloadDescriptor:
            return "VP8 payload descriptor is truncated (RFC 7741 §4.2)"
        case .truncatedOpusPayload:
            return "Opus payload is empty or lacks its frame count byte (RFC 7587 §4.2, RFC 6716 §3.2)"
        case .truncatedRTXPayload(let length):
            return "RTX payload of \(length) bytes lacks the 2-byte original sequence number (RFC 4588 §4)"
        }
    }
}

/// Why an RTP packet or header extension could not be written.
public enum RTPSerializationError: Error, Hashable, Sendable {
    /// More than 15 contributing sources (the CC field is 4 bits, RFC 3550 §5.1).
    case tooManyCSRCs(Int)
    /// A payload type outside 0...127.
    case payloadTypeOutOfRange(UInt8)
    /// A one-byte-form element with an id outside 1...14 or data outside 1...16 bytes (RFC 8285 §4.2).
    case invalidOneByteElement(id: UInt8, length: Int)
    /// A two-byte-form element with id 0 or more than 255 bytes of data (RFC 8285 §4.3).
    case invalidTwoByteElement(id: UInt8, length: Int)
    /// A raw extension block whose length is not a multiple of 4 or exceeds 65535 words (RFC 3550 §5.3.1).
    case invalidRawExtensionLength(Int)
    /// Padding must be 1...255 bytes when present (RFC 3550 §5.1).
    case invalidPaddingLength(Int)
    /// The two-byte form's "appbits" must fit in 4 bits (RFC 8285 §4.3).
    case invalidAppBits(UInt8)
}

extension RTPSerializationError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .tooManyCSRCs(let count):
            return "\(count) CSRCs do not fit the 4-bit CC field (RFC 3550 §5.1)"
        case .payloadTypeOutOfRange(let pt):
            return "payload type \(pt) is outside 0...127"
        case .invalidOneByteElement(let id, let length):
            return
                "one-byte extension element id \(id) length \(length): needs id 1...14, length 1...16 (RFC 8285 §4.2)"
        case .invalidTwoByteElement(let id, let length):
            return
                "two-byte extension element id \(id) length \(length): needs id 1...255, length ≤ 255 (RFC 8285 §4.3)"
        case .invalidRawExtensionLength(let length):
            return "raw header extension of \(length) bytes is not a multiple of 4 up to 262140 (RFC 3550 §5.3.1)"
        case .invalidPaddingLength(let length):
            return "RTP padding of \(length) bytes is outside 1...255 (RFC 3550 §5.1)"
        case .invalidAppBits(let bits):
            return "two-byte header extension appbits \(bits) do not fit in 4 bits (RFC 8285 §4.3)"
        }
    }
}
