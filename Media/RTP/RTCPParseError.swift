/// Why an RTCP compound packet or one of its packets could not be parsed (RFC 3550 §6, RFC 4585 §6,
/// RFC 5104 §4.3, draft-alvestrand-rmcat-remb, draft-holmer-rmcat-transport-wide-cc-extensions-01).
///
/// Thrown with typed throws (`throws(RTCPParseError)`); each case says what was wrong.
public enum RTCPParseError: Error, Hashable, Sendable {
    /// Fewer than the 4 bytes of an RTCP common header remain (RFC 3550 §6.4.1).
    case truncatedHeader(available: Int)
    /// The version field was not 2.
    case unsupportedVersion(UInt8)
    /// The length field promises more bytes than the compound holds.
    case lengthExceedsBuffer(packetType: UInt8, declared: Int, available: Int)
    /// The P bit is set but the padding count is 0 or larger than the packet body (RFC 3550 §6.4.1).
    case invalidPadding(packetType: UInt8, padding: Int, bodyLength: Int)
    /// The body is shorter than its fixed fields and the count field require.
    case truncatedBody(packetType: UInt8, needed: Int, available: Int)
    /// An SDES item or chunk runs past the end of the packet (RFC 3550 §6.5).
    case malformedSourceDescription
    /// The BYE reason length runs past the end of the packet (RFC 3550 §6.6).
    case malformedByeReason
    /// A feedback message's FCI has a length its format does not allow (RFC 4585 §6.1).
    case invalidFeedbackLength(packetType: UInt8, format: UInt8, length: Int)
    /// The REMB SSRC count does not match the FCI length (draft-alvestrand-rmcat-remb §2.2).
    case rembSSRCCountMismatch(declared: Int, available: Int)
    /// Transport-cc feedback ends before its packet chunks cover the packet status count.
    case transportCCTruncatedChunks(statusCount: Int, covered: Int)
    /// Transport-cc feedback ends before the receive delta of every received packet.
    case transportCCTruncatedDeltas(expected: Int, decoded: Int)
    /// Transport-cc feedback uses the reserved status symbol 11.
    case transportCCReservedSymbol
    /// Bytes remain after the last receive delta beyond 32-bit alignment padding.
    case transportCCTrailingBytes(Int)
}

extension RTCPParseError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .truncatedHeader(let available):
            return "RTCP packet needs a 4-byte common header but \(available) bytes remain (RFC 3550 §6.4.1)"
        case .unsupportedVersion(let version):
            return "RTCP version \(version) is not 2 (RFC 3550 §6.4.1)"
        case .lengthExceedsBuffer(let type, let declared, let available):
            return "RTCP packet type \(type) declares \(declared) bytes but \(available) remain in the compound"
        case .invalidPadding(let type, let padding, let body):
            return "RTCP packet type \(type) padding count \(padding) is invalid for a \(body)-byte body"
        case .truncatedBody(let type, let needed, let available):
            return "RTCP packet type \(type) needs \(needed) body bytes but has \(available)"
        case .malformedSourceDescription:
            return "RTCP SDES chunk or item runs past the end of the packet (RFC 3550 §6.5)"
        case .malformedByeReason:
            return "RTCP BYE reason length runs past the end of the packet (RFC 3550 §6.6)"
        case .invalidFeedbackLength(let type, let format, let length):
            return "RTCP feedback type \(type) format \(format) has invalid FCI length \(length) (RFC 4585 §6.1)"
        case .rembSSRCCountMismatch(let declared, let available):
            return "REMB declares \(declared) SSRCs but the FCI holds \(available)"
        case .transportCCTruncatedChunks(let count, let covered):
            return "transport-cc feedback chunks cover \(covered) of \(count) packet statuses before the packet ends"
        case .transportCCTruncatedDeltas(let expected, let decoded):
            return "transport-cc feedback has \(decoded) of \(expected) receive deltas before the packet ends"
        case .transportCCReservedSymbol:
            return "transport-cc feedback uses the reserved packet status symbol 11"
        case .transportCCTrailingBytes(let count):
            return "transport-cc feedback has \(count) unexpected bytes after the receive deltas"
        }
    }
}

/// Why an RTCP packet could not be written.
public enum RTCPSerializationError: Error, Hashable, Sendable {
    /// A count (report blocks, SDES chunks, BYE sources) exceeds the 5-bit count field (31).
    case countTooLarge(Int)
    /// An SDES item value or BYE reason is longer than 255 bytes.
    case textTooLong(Int)
    /// A packet would exceed 65536 32-bit words.
    case packetTooLong(Int)
    /// Opaque data (profile extensions, APP data) must be a multiple of 4 bytes.
    case unalignedData(Int)
    /// An APP subtype or an RTCP format outside 0...31.
    case subtypeOutOfRange(UInt8)
    /// A generic NACK, FIR or REMB needs at least one entry.
    case emptyFeedback
    /// A transport-cc receive delta does not fit the size its status symbol gives.
    case transportCCDeltaOutOfRange(Int16)
    /// Transport-cc chunks, status count and receive deltas disagree.
    case transportCCInconsistent
    /// An unknown packet's stored bytes are not a well-formed RTCP packet.
    case malformedUnknownPacket
}

extension RTCPSerializationError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .countTooLarge(let count): return "\(count) entries exceed the 5-bit RTCP count field"
        case .textTooLong(let length): return "RTCP text of \(length) bytes exceeds 255"
        case .packetTooLong(let length): return "RTCP packet of \(length) bytes exceeds the 16-bit length field"
        case .unalignedData(let length): return "RTCP opaque data of \(length) bytes is not a multiple of 4"
        case .subtypeOutOfRange(let value): return "RTCP subtype/format \(value) is outside 0...31"
        case .emptyFeedback: return "RTCP feedback message needs at least one entry"
        case .transportCCDeltaOutOfRange(let delta):
            return "transport-cc receive delta \(delta) does not fit its status symbol"
        case .transportCCInconsistent:
            return "transport-cc chunks, packet status count and receive deltas disagree"
        case .malformedUnknownPacket: return "stored unknown RTCP packet bytes are not a well-formed RTCP packet"
        }
    }
}
