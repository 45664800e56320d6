import NIOCore

extension STUNAttribute {
    /// Decodes one attribute value (without its 4-byte header and without padding).
    ///
    /// - Parameters:
    ///   - type: the attribute type from the header.
    ///   - value: exactly the value bytes (the header's Length of them).
    ///   - valueOffset: where `value` starts in the message, for `dataSlice`.
    ///   - transactionID: for XOR-ed IPv6 addresses (RFC 8489 §14.2).
    ///   - dataSlice: makes the DATA payload from (offset, length) in the message without copying where possible.
    static func decode(
        type rawType: UInt16,
        value: UnsafeRawBufferPointer,
        valueOffset: Int,
        transactionID: STUNTransactionID,
        dataSlice: (Int, Int) -> ByteBuffer
    ) throws(STUNParseError) -> STUNAttribute {
        let type = STUNAttributeType(rawValue: rawType)
        let length = value.count
        func requireLength(_ expected: Int) throws(STUNParseError) {
            guard length == expected else { throw .invalidAttributeLength(type: rawType, length: length) }
        }
        switch type {
        case .mappedAddress:
            return .mappedAddress(try decodeAddress(value, type: rawType, xor: nil))
        case .xorMappedAddress:
            return .xorMappedAddress(try decodeAddress(value, type: rawType, xor: transactionID))
        case .xorPeerAddress:
            return .xorPeerAddress(try decodeAddress(value, type: rawType, xor: transactionID))
        case .xorRelayedAddress:
            return .xorRelayedAddress(try decodeAddress(value, type: rawType, xor: transactionID))
        case .alternateServer:
            return .alternateServer(try decodeAddress(value, type: rawType, xor: nil))
        case .username:
            return .username(try decodeText(value, type: rawType))
        case .realm:
            return .realm(try decodeText(value, type: rawType))
        case .nonce:
            return .nonce(try decodeText(value, type: rawType))
        case .software:
            return .software(try decodeText(value, type: rawType))
        case .alternateDomain:
            return .alternateDomain(try decodeText(value, type: rawType))
        case .userHash:
            try requireLength(32)
            return .userHash(Array(value))
        case .messageIntegrity:
            try requireLength(20)
            return .messageIntegrity(Array(value))
        case .messageIntegritySHA256:
            guard (16...32).contains(length), length % 4 == 0 else {
                throw .invalidAttributeLength(type: rawType, length: length)
            }
            return .messageIntegritySHA256(Array(value))
        case .fingerprint:
            try requireLength(4)
            return .fingerprint(value.beUInt32(at: 0))
        case .errorCode:
            guard length >= 4 else { throw .invalidAttributeLength(type: rawType, length: length) }
            let code = try decodeErrorCode(value, type: rawType)
            return .errorCode(code)
        case .addressErrorCode:
            guard length >= 4 else { throw .invalidAttributeLength(type: rawType, length: length) }
            let code = try decodeErrorCode(value, type: rawType)
            return .addressErrorCode(family: STUNAddressFamily(rawValue: value[0]), code)
        case .passwordAlgorithms:
            var algorithms: [STUNPasswordAlgorithm] = []
            var offset = 0
            while offset < length {
                guard length - offset >= 4 else { throw .invalidAttributeLength(type: rawType, length: length) }
                let number = value.beUInt16(at: offset)
                let parameterLength = Int(value.beUInt16(at: offset + 2))
                guard parameterLength <= length - offset - 4 else {
                    throw .invalidAttributeLength(type: rawType, length: length)
                }
                let start = offset + 4
                algorithms.append(
                    STUNPasswordAlgorithm(number: number, parameters: Array(value[start..<(start + parameterLength)]))
                )
                // Parameters are padded to 4 inside the list; tolerate a last entry whose padding is left out.
                offset = min(length, start + paddedToFour(parameterLength))
            }
            return .passwordAlgorithms(algorithms)
        case .passwordAlgorithm:
            guard length >= 4 else { throw .invalidAttributeLength(type: rawType, length: length) }
            let parameterLength = Int(value.beUInt16(at: 2))
            guard parameterLength <= length - 4, length - 4 - parameterLength < 4 else {
                throw .invalidAttributeLength(type: rawType, length: length)
            }
            return .passwordAlgorithm(
                STUNPasswordAlgorithm(number: value.beUInt16(at: 0), parameters: Array(value[4..<(4 + parameterLength)]))
            )
        case .unknownAttributes:
            guard length % 2 == 0 else { throw .invalidAttributeLength(type: rawType, length: length) }
            return .unknownAttributes(
                stride(from: 0, to: length, by: 2).map { STUNAttributeType(rawValue: value.beUInt16(at: $0)) }
            )
        case .channelNumber:
            try requireLength(4)
            return .channelNumber(value.beUInt16(at: 0))
        case .lifetime:
            try requireLength(4)
            return .lifetime(value.beUInt32(at: 0))
        case .data:
            return .data(dataSlice(valueOffset, length))
        case .requestedAddressFamily:
            try requireLength(4)
            return .requestedAddressFamily(STUNAddressFamily(rawValue: value[0]))
        case .additionalAddressFamily:
            try requireLength(4)
            return .additionalAddressFamily(STUNAddressFamily(rawValue: value[0]))
        case .evenPort:
            try requireLength(1)
            return .evenPort(reserveNextPort: value[0] & 0x80 != 0)
        case .requestedTransport:
            try requireLength(4)
            return .requestedTransport(protocolNumber: value[0])
        case .dontFragment:
            try requireLength(0)
            return .dontFragment
        case .reservationToken:
            try requireLength(8)
            return .reservationToken(value.beUInt64(at: 0))
        case .icmp:
            try requireLength(8)
            return .icmp(type: value[2], code: value[3], errorData: value.beUInt32(at: 4))
        case .connectionID:
            try requireLength(4)
            return .connectionID(value.beUInt32(at: 0))
        case .priority:
            try requireLength(4)
            return .priority(value.beUInt32(at: 0))
        case .useCandidate:
            try requireLength(0)
            return .useCandidate
        case .iceControlled:
            try requireLength(8)
            return .iceControlled(tieBreaker: value.beUInt64(at: 0))
        case .iceControlling:
            try requireLength(8)
            return .iceControlling(tieBreaker: value.beUInt64(at: 0))
        default:
            return .unknown(type, Array(value))
        }
    }

    /// (XOR-)MAPPED-ADDRESS layout: reserved byte, family, port, 4 or 16 address bytes (RFC 8489 §14.1–14.2).
    /// With `xor`, the port is XORed with the cookie's top 16 bits and the address with the cookie (IPv4) or the
    /// cookie followed by the transaction ID (IPv6).
    private static func decodeAddress(
        _ value: UnsafeRawBufferPointer,
        type: UInt16,
        xor transactionID: STUNTransactionID?
    ) throws(STUNParseError) -> STUNTransportAddress {
        guard value.count >= 4 else { throw .invalidAttributeLength(type: type, length: value.count) }
        let family = value[1]
        var port = value.beUInt16(at: 2)
        if transactionID != nil { port ^= UInt16(truncatingIfNeeded: STUNMessage.magicCookie >> 16) }
        switch STUNAddressFamily(rawValue: family) {
        case .ipv4:
            guard value.count == 8 else { throw .invalidAttributeLength(type: type, length: value.count) }
            var address = value.beUInt32(at: 4)
            if transactionID != nil { address ^= STUNMessage.magicCookie }
            return STUNTransportAddress(address: .v4(address), port: port)
        case .ipv6:
            guard value.count == 20 else { throw .invalidAttributeLength(type: type, length: value.count) }
            var high = value.beUInt64(at: 4)
            var low = value.beUInt64(at: 12)
            if let id = transactionID {
                high ^= UInt64(STUNMessage.magicCookie) << 32 | UInt64(id.high)
                low ^= UInt64(id.middle) << 32 | UInt64(id.low)
            }
            return STUNTransportAddress(address: .v6(high, low), port: port)
        default:
            throw .badAddressFamily(type: type, family: family)
        }
    }

    private static func decodeText(_ value: UnsafeRawBufferPointer, type: UInt16) throws(STUNParseError) -> String {
        guard let text = String(validating: value, as: UTF8.self) else { throw .invalidUTF8(type: type) }
        return text
    }

    /// ERROR-CODE / ADDRESS-ERROR-CODE: class in the low 3 bits of byte 2, number in byte 3, then the reason
    /// (RFC 8489 §14.8, RFC 8656 §18.12).
    private static func decodeErrorCode(
        _ value: UnsafeRawBufferPointer,
        type: UInt16
    ) throws(STUNParseError) -> STUNErrorCode {
        let errorClass = value[2] & 0x07
        let number = value[3]
        guard (3...6).contains(errorClass), number <= 99 else {
            throw .invalidErrorCode(type: type, errorClass: errorClass, number: number)
        }
        let reason = try decodeText(UnsafeRawBufferPointer(rebasing: value[4...]), type: type)
        return STUNErrorCode(code: Int(errorClass) * 100 + Int(number), reason: reason)
    }
}
