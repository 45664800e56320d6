import NIOCore

extension STUNAttribute {
    /// Appends this attribute (header, value, zero padding to 4 bytes; RFC 8489 §14) to `buffer`.
    ///
    /// MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT are written with their stored values here; ``STUNMessage``'s
    /// writer computes them instead.
    func write(into buffer: inout ByteBuffer, transactionID: STUNTransactionID) throws(STUNEncodeError) {
        switch self {
        case .mappedAddress(let address), .alternateServer(let address):
            try Self.writeAttribute(type, into: &buffer) { Self.writeAddress(address, xor: nil, into: &$0) }
        case .xorMappedAddress(let address), .xorPeerAddress(let address), .xorRelayedAddress(let address):
            try Self.writeAttribute(type, into: &buffer) { Self.writeAddress(address, xor: transactionID, into: &$0) }
        case .username(let text), .realm(let text), .nonce(let text), .software(let text), .alternateDomain(let text):
            try Self.writeAttribute(type, into: &buffer) { $0.writeString(text) }
        case .userHash(let bytes), .messageIntegrity(let bytes), .messageIntegritySHA256(let bytes):
            try Self.writeAttribute(type, into: &buffer) { $0.writeBytes(bytes) }
        case .unknown(let type, let bytes):
            try Self.writeAttribute(type, into: &buffer) { $0.writeBytes(bytes) }
        case .fingerprint(let value), .lifetime(let value), .connectionID(let value), .priority(let value):
            try Self.writeAttribute(type, into: &buffer) { $0.writeInteger(value) }
        case .errorCode(let code):
            let (errorClass, number) = try Self.errorCodeParts(code)
            try Self.writeAttribute(type, into: &buffer) {
                $0.writeInteger(UInt16(0))
                $0.writeInteger(errorClass)
                $0.writeInteger(number)
                $0.writeString(code.reason)
            }
        case .addressErrorCode(let family, let code):
            let (errorClass, number) = try Self.errorCodeParts(code)
            try Self.writeAttribute(type, into: &buffer) {
                $0.writeInteger(family.rawValue)
                $0.writeInteger(UInt8(0))
                $0.writeInteger(errorClass)
                $0.writeInteger(number)
                $0.writeString(code.reason)
            }
        case .passwordAlgorithms(let algorithms):
            for algorithm in algorithms where algorithm.parameters.count > 0xFFFF {
                throw .attributeTooLong(type: type.rawValue, length: algorithm.parameters.count)
            }
            try Self.writeAttribute(type, into: &buffer) {
                for algorithm in algorithms {
                    $0.writeInteger(algorithm.number)
                    $0.writeInteger(UInt16(truncatingIfNeeded: algorithm.parameters.count))
                    $0.writeBytes(algorithm.parameters)
                    $0.writeRepeatingByte(0, count: paddedToFour(algorithm.parameters.count) - algorithm.parameters.count)
                }
            }
        case .passwordAlgorithm(let algorithm):
            guard algorithm.parameters.count <= 0xFFFF else {
                throw .attributeTooLong(type: type.rawValue, length: algorithm.parameters.count)
            }
            try Self.writeAttribute(type, into: &buffer) {
                $0.writeInteger(algorithm.number)
                $0.writeInteger(UInt16(truncatingIfNeeded: algorithm.parameters.count))
                $0.writeBytes(algorithm.parameters)
            }
        case .unknownAttributes(let types):
            try Self.writeAttribute(type, into: &buffer) {
                for type in types { $0.writeInteger(type.rawValue) }
            }
        case .channelNumber(let number):
            try Self.writeAttribute(type, into: &buffer) {
                $0.writeInteger(number)
                $0.writeInteger(UInt16(0))
            }
        case .data(let payload):
            try Self.writeAttribute(type, into: &buffer) { $0.writeImmutableBuffer(payload) }
        case .requestedAddressFamily(let family), .additionalAddressFamily(let family):
            try Self.writeAttribute(type, into: &buffer) {
                $0.writeInteger(family.rawValue)
                $0.writeRepeatingByte(0, count: 3)
            }
        case .evenPort(let reserveNextPort):
            try Self.writeAttribute(type, into: &buffer) { $0.writeInteger(reserveNextPort ? UInt8(0x80) : 0) }
        case .requestedTransport(let protocolNumber):
            try Self.writeAttribute(type, into: &buffer) {
                $0.writeInteger(protocolNumber)
                $0.writeRepeatingByte(0, count: 3)
            }
        case .dontFragment, .useCandidate:
            try Self.writeAttribute(type, into: &buffer) { _ in }
        case .reservationToken(let value), .iceControlled(let value), .iceControlling(let value):
            try Self.writeAttribute(type, into: &buffer) { $0.writeInteger(value) }
        case .icmp(let icmpType, let code, let errorData):
            try Self.writeAttribute(type, into: &buffer) {
                $0.writeInteger(UInt16(0))
                $0.writeInteger(icmpType)
                $0.writeInteger(code)
                $0.writeInteger(errorData)
            }
        }
    }

    /// Writes the 4-byte header, lets `body` write the value, fills in the length and pads with zeros. Throws
    /// (leaving `buffer` as it was) if the value is longer than 65,535 bytes.
    @inline(__always)
    static func writeAttribute(
        _ type: STUNAttributeType,
        into buffer: inout ByteBuffer,
        body: (inout ByteBuffer) -> Void
    ) throws(STUNEncodeError) {
        let start = buffer.writerIndex
        buffer.writeInteger(type.rawValue)
        buffer.writeInteger(UInt16(0))
        body(&buffer)
        let length = buffer.writerIndex - start - 4
        guard length <= 0xFFFF else {
            buffer.moveWriterIndex(to: start)
            throw .attributeTooLong(type: type.rawValue, length: length)
        }
        buffer.setInteger(UInt16(truncatingIfNeeded: length), at: start + 2)
        buffer.writeRepeatingByte(0, count: paddedToFour(length) - length)
    }

    private static func writeAddress(
        _ address: STUNTransportAddress,
        xor transactionID: STUNTransactionID?,
        into buffer: inout ByteBuffer
    ) {
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(address.address.family.rawValue)
        let portMask = transactionID == nil ? 0 : UInt16(truncatingIfNeeded: STUNMessage.magicCookie >> 16)
        buffer.writeInteger(address.port ^ portMask)
        switch address.address {
        case .v4(let value):
            buffer.writeInteger(transactionID == nil ? value : value ^ STUNMessage.magicCookie)
        case .v6(var high, var low):
            if let id = transactionID {
                high ^= UInt64(STUNMessage.magicCookie) << 32 | UInt64(id.high)
                low ^= UInt64(id.middle) << 32 | UInt64(id.low)
            }
            buffer.writeInteger(high)
            buffer.writeInteger(low)
        }
    }

    private static func errorCodeParts(_ code: STUNErrorCode) throws(STUNEncodeError) -> (UInt8, UInt8) {
        guard (300...699).contains(code.code) else { throw .invalidErrorCode(code.code) }
        return (UInt8(truncatingIfNeeded: code.code / 100), UInt8(truncatingIfNeeded: code.code % 100))
    }
}
