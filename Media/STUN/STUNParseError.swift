/// Why bytes received from the network are not an acceptable STUN message or ChannelData frame.
///
/// Every parser in this module throws exactly this type (Swift 6 typed throws), so a receive path can switch over
/// the cases without boxing, and a server can decide what to answer (e.g. 400, 401, or silently drop) from the case.
/// Each case carries the numbers that explain what went wrong; ``description`` turns them into a sentence and
/// ``code`` is a stable identifier for logs and metrics.
public enum STUNParseError: Error, Hashable, Sendable {
    /// Fewer than the 20 bytes of a STUN header (RFC 8489 §5) were available.
    case truncatedHeader(available: Int)
    /// The two most significant bits of the first byte are not zero, so this is not a STUN message (RFC 8489 §5).
    case notSTUN(firstByte: UInt8)
    /// The magic cookie is not 0x2112A442 (RFC 8489 §5).
    case badMagicCookie(UInt32)
    /// The header's Message Length is not a multiple of 4 (RFC 8489 §5: attributes are padded).
    case lengthNotMultipleOfFour(UInt16)
    /// The length declared in a header does not match the bytes received (too few, or too many for a datagram).
    case lengthMismatch(declared: Int, available: Int)
    /// An attribute's value (plus its padding) runs past the end of the message.
    case attributeOverrun(type: UInt16, length: Int, available: Int)
    /// An attribute's length is not one its definition allows.
    case invalidAttributeLength(type: UInt16, length: Int)
    /// An address attribute carries a family other than 0x01 (IPv4) or 0x02 (IPv6) (RFC 8489 §14.1).
    case badAddressFamily(type: UInt16, family: UInt8)
    /// A text attribute (USERNAME, REALM, NONCE, SOFTWARE, reason phrase, ...) is not valid UTF-8.
    case invalidUTF8(type: UInt16)
    /// ERROR-CODE or ADDRESS-ERROR-CODE has a class outside 3...6 or a number outside 0...99 (RFC 8489 §14.8).
    case invalidErrorCode(type: UInt16, errorClass: UInt8, number: UInt8)
    /// An attribute follows FINGERPRINT, which must be the last attribute (RFC 8489 §14.7).
    case attributeAfterFingerprint(type: UInt16)
    /// The FINGERPRINT value does not match the CRC-32 of the message (RFC 8489 §14.7).
    case badFingerprint(expected: UInt32, received: UInt32)
    /// Integrity was to be checked, but the message has no MESSAGE-INTEGRITY(-SHA256) attribute (of the asked kind).
    case missingIntegrity
    /// The MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256 value does not match the key (RFC 8489 §14.5, §14.6).
    case badIntegrity(STUNIntegrityAlgorithm)
    /// A ChannelData channel number is outside 0x4000...0x7FFF (RFC 8656 §12).
    case invalidChannelNumber(UInt16)
}

extension STUNParseError: CustomStringConvertible {
    /// A stable, machine-friendly name of the case (for logs, metrics and tests), e.g. `stun.bad-magic-cookie`.
    public var code: String {
        switch self {
        case .truncatedHeader: "stun.truncated-header"
        case .notSTUN: "stun.not-stun"
        case .badMagicCookie: "stun.bad-magic-cookie"
        case .lengthNotMultipleOfFour: "stun.length-not-multiple-of-4"
        case .lengthMismatch: "stun.length-mismatch"
        case .attributeOverrun: "stun.attribute-overrun"
        case .invalidAttributeLength: "stun.invalid-attribute-length"
        case .badAddressFamily: "stun.bad-address-family"
        case .invalidUTF8: "stun.invalid-utf8"
        case .invalidErrorCode: "stun.invalid-error-code"
        case .attributeAfterFingerprint: "stun.attribute-after-fingerprint"
        case .badFingerprint: "stun.bad-fingerprint"
        case .missingIntegrity: "stun.missing-integrity"
        case .badIntegrity: "stun.bad-integrity"
        case .invalidChannelNumber: "stun.invalid-channel-number"
        }
    }

    public var description: String {
        switch self {
        case .truncatedHeader(let available):
            return "STUN header truncated: 20 bytes needed, \(available) available"
        case .notSTUN(let firstByte):
            return "not a STUN message: first byte \(hex(firstByte)) has its top two bits set"
        case .badMagicCookie(let cookie):
            return "bad STUN magic cookie \(hex(cookie)), expected 0x2112a442"
        case .lengthNotMultipleOfFour(let length):
            return "STUN message length \(length) is not a multiple of 4"
        case .lengthMismatch(let declared, let available):
            return "length mismatch: header declares \(declared) bytes but \(available) were received"
        case .attributeOverrun(let type, let length, let available):
            return "attribute \(STUNAttributeType(rawValue: type)) of length \(length) (padded) overruns the message: "
                + "\(available) bytes left"
        case .invalidAttributeLength(let type, let length):
            return "attribute \(STUNAttributeType(rawValue: type)) has invalid length \(length)"
        case .badAddressFamily(let type, let family):
            return "attribute \(STUNAttributeType(rawValue: type)) has unknown address family \(hex(family))"
        case .invalidUTF8(let type):
            return "attribute \(STUNAttributeType(rawValue: type)) is not valid UTF-8"
        case .invalidErrorCode(let type, let errorClass, let number):
            return "attribute \(STUNAttributeType(rawValue: type)) has invalid error code class \(errorClass) "
                + "number \(number) (class must be 3...6, number 0...99)"
        case .attributeAfterFingerprint(let type):
            return "attribute \(STUNAttributeType(rawValue: type)) follows FINGERPRINT, which must be last"
        case .badFingerprint(let expected, let received):
            return "FINGERPRINT mismatch: computed \(hex(expected)), message carries \(hex(received))"
        case .missingIntegrity:
            return "message has no MESSAGE-INTEGRITY attribute to verify"
        case .badIntegrity(let algorithm):
            return "\(algorithm == .hmacSHA1 ? "MESSAGE-INTEGRITY" : "MESSAGE-INTEGRITY-SHA256") does not match the key"
        case .invalidChannelNumber(let number):
            return "channel number \(hex(number)) is outside 0x4000...0x7fff"
        }
    }
}

/// Why a message or ChannelData frame could not be written: a value does not fit the wire format.
///
/// Writers check what the types cannot express (16-bit lengths, error-code ranges, channel-number ranges) and throw
/// instead of truncating; on error the target buffer is left as it was before the call.
public enum STUNEncodeError: Error, Hashable, Sendable {
    /// An attribute value is longer than the 65,535 bytes its 16-bit length field can express.
    case attributeTooLong(type: UInt16, length: Int)
    /// The message body would exceed the 65,535 bytes a STUN header's length field can express (RFC 8489 §5).
    case messageTooLong(length: Int)
    /// An error code outside 300...699 (RFC 8489 §14.8).
    case invalidErrorCode(Int)
    /// A MESSAGE-INTEGRITY-SHA256 value must be 16 to 32 bytes, a multiple of 4 (RFC 8489 §14.6).
    case invalidIntegrityLength(Int)
    /// A ChannelData channel number outside 0x4000...0x7FFF (RFC 8656 §12).
    case invalidChannelNumber(UInt16)
    /// ChannelData application data longer than 65,535 bytes (RFC 8656 §12.4).
    case channelDataTooLong(Int)
}

extension STUNEncodeError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .attributeTooLong(let type, let length):
            "attribute \(STUNAttributeType(rawValue: type)) value of \(length) bytes exceeds 65535"
        case .messageTooLong(let length):
            "STUN message body of \(length) bytes exceeds 65535"
        case .invalidErrorCode(let code):
            "error code \(code) is outside 300...699"
        case .invalidIntegrityLength(let length):
            "MESSAGE-INTEGRITY-SHA256 length \(length) is not 16...32 and a multiple of 4"
        case .invalidChannelNumber(let number):
            "channel number \(hex(number)) is outside 0x4000...0x7fff"
        case .channelDataTooLong(let length):
            "ChannelData payload of \(length) bytes exceeds 65535"
        }
    }
}

/// `0x…` with the natural width of the integer, for error messages.
func hex<T: FixedWidthInteger>(_ value: T) -> String {
    let digits = String(value, radix: 16)
    let width = T.bitWidth / 4
    return "0x" + String(repeating: "0", count: max(0, width - digits.count)) + digits
}
