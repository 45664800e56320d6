import NIOCore

/// A STUN or TURN message: header (type, transaction ID) and its attributes in wire order (RFC 8489 §5–6, §14;
/// RFC 8656).
///
/// Parsing checks the framing (header, cookie, lengths, attribute bounds), decodes every attribute, keeps unknown ones
/// verbatim and verifies FINGERPRINT when present. MESSAGE-INTEGRITY needs a key the caller may only know after
/// reading USERNAME/REALM, so it is checked separately (``verifyIntegrity(of:key:algorithm:)-(ByteBuffer,_,_)``) or by
/// passing `integrityKey` to the parser.
///
/// Attributes that follow MESSAGE-INTEGRITY (other than MESSAGE-INTEGRITY-SHA256 and FINGERPRINT), or follow
/// MESSAGE-INTEGRITY-SHA256 (other than FINGERPRINT), are ignored as RFC 8489 §14.5–14.6 require: they are
/// checked for framing but not decoded or kept.
public struct STUNMessage: Hashable, Sendable {
    /// 0x2112A442 (RFC 8489 §5).
    public static let magicCookie: UInt32 = 0x2112_A442
    /// A STUN header is 20 bytes.
    public static let headerLength = 20
    /// FINGERPRINT's XOR constant, "STUN" in ASCII (RFC 8489 §14.7).
    public static let fingerprintXOR: UInt32 = 0x5354_554E

    public var type: STUNMessageType
    public var transactionID: STUNTransactionID
    public var attributes: [STUNAttribute]

    public init(type: STUNMessageType, transactionID: STUNTransactionID = .random(), attributes: [STUNAttribute] = []) {
        self.type = type
        self.transactionID = transactionID
        self.attributes = attributes
    }

    public init(
        method: STUNMethod,
        messageClass: STUNClass,
        transactionID: STUNTransactionID = .random(),
        attributes: [STUNAttribute] = []
    ) {
        self.init(
            type: STUNMessageType(method: method, messageClass: messageClass),
            transactionID: transactionID,
            attributes: attributes
        )
    }

    public var method: STUNMethod { type.method }
    public var messageClass: STUNClass { type.messageClass }
}

// MARK: - Parsing

extension STUNMessage {
    /// Parses the readable bytes of `buffer`, which must be exactly one STUN message (a datagram, or a frame cut by
    /// ``STUNStreamFraming``). DATA payloads are slices of `buffer` (no copy).
    ///
    /// - Parameter integrityKey: when given, MESSAGE-INTEGRITY(-SHA256) must be present and match it.
    public init(parsing buffer: ByteBuffer, integrityKey: STUNIntegrityKey? = nil) throws(STUNParseError) {
        let readerIndex = buffer.readerIndex
        let result = buffer.withUnsafeReadableBytes { raw in
            Result { () throws(STUNParseError) in
                let message = try STUNMessage.decode(raw) { offset, length in
                    buffer.getSlice(at: readerIndex + offset, length: length) ?? ByteBuffer()
                }
                if let integrityKey { try STUNMessage.verifyIntegrity(of: raw, key: integrityKey) }
                return message
            }
        }
        self = try result.get()
    }

    /// Parses exactly one STUN message from `bytes` (see ``init(parsing:integrityKey:)-(ByteBuffer,_)``).
    public init(parsing bytes: [UInt8], integrityKey: STUNIntegrityKey? = nil) throws(STUNParseError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(STUNParseError) in try STUNMessage(parsing: raw, integrityKey: integrityKey) }
        }
        self = try result.get()
    }

    /// Parses exactly one STUN message from raw bytes; DATA payloads are copied into new buffers.
    public init(parsing raw: UnsafeRawBufferPointer, integrityKey: STUNIntegrityKey? = nil) throws(STUNParseError) {
        self = try STUNMessage.decode(raw) { offset, length in
            ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)]))
        }
        if let integrityKey { try STUNMessage.verifyIntegrity(of: raw, key: integrityKey) }
    }

    /// Checks the 20-byte header (RFC 8489 §5) and returns the message's end offset (20 + Message Length), which
    /// must equal `raw.count`.
    static func checkHeader(_ raw: UnsafeRawBufferPointer) throws(STUNParseError) -> Int {
        guard raw.count >= headerLength else { throw .truncatedHeader(available: raw.count) }
        guard raw[0] & 0xC0 == 0 else { throw .notSTUN(firstByte: raw[0]) }
        let cookie = raw.beUInt32(at: 4)
        guard cookie == magicCookie else { throw .badMagicCookie(cookie) }
        let length = raw.beUInt16(at: 2)
        guard length % 4 == 0 else { throw .lengthNotMultipleOfFour(length) }
        let end = headerLength + Int(length)
        guard end == raw.count else { throw .lengthMismatch(declared: end, available: raw.count) }
        return end
    }

    static func decode(
        _ raw: UnsafeRawBufferPointer,
        dataSlice: (Int, Int) -> ByteBuffer
    ) throws(STUNParseError) -> STUNMessage {
        let end = try checkHeader(raw)
        let type = STUNMessageType(rawValue: raw.beUInt16(at: 0))
        let transactionID = STUNTransactionID(
            high: raw.beUInt32(at: 8),
            middle: raw.beUInt32(at: 12),
            low: raw.beUInt32(at: 16)
        )
        var attributes: [STUNAttribute] = []
        attributes.reserveCapacity(8)
        var sawIntegrity = false
        var sawIntegritySHA256 = false
        var fingerprint: (offset: Int, value: UInt32)?
        var offset = headerLength
        while offset < end {
            // The body length is a multiple of 4 and so is every padded attribute, so a whole attribute header
            // always remains here.
            let rawType = raw.beUInt16(at: offset)
            let length = Int(raw.beUInt16(at: offset + 2))
            let available = end - offset - 4
            guard paddedToFour(length) <= available else {
                throw .attributeOverrun(type: rawType, length: paddedToFour(length), available: available)
            }
            guard fingerprint == nil else { throw .attributeAfterFingerprint(type: rawType) }
            let type = STUNAttributeType(rawValue: rawType)
            // RFC 8489 §14.5–14.6: ignore what follows the integrity attributes, FINGERPRINT excepted.
            let ignored =
                (sawIntegritySHA256 && type != .fingerprint)
                || (sawIntegrity && type != .fingerprint && type != .messageIntegritySHA256)
            if !ignored {
                let valueStart = offset + 4
                let value = UnsafeRawBufferPointer(rebasing: raw[valueStart..<(valueStart + length)])
                let attribute = try STUNAttribute.decode(
                    type: rawType,
                    value: value,
                    valueOffset: valueStart,
                    transactionID: transactionID,
                    dataSlice: dataSlice
                )
                switch attribute {
                case .messageIntegrity: sawIntegrity = true
                case .messageIntegritySHA256: sawIntegritySHA256 = true
                case .fingerprint(let value): fingerprint = (offset, value)
                default: break
                }
                attributes.append(attribute)
            }
            offset += 4 + paddedToFour(length)
        }
        if let fingerprint {
            // FINGERPRINT is last, so the header's length already ends right after it (RFC 8489 §14.7).
            let computed =
                CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<fingerprint.offset])) ^ fingerprintXOR
            guard computed == fingerprint.value else {
                throw .badFingerprint(expected: computed, received: fingerprint.value)
            }
        }
        return STUNMessage(type: type, transactionID: transactionID, attributes: attributes)
    }

    /// Quick check that `bytes` look like a STUN message: top two bits zero, the magic cookie, and a length that
    /// is a multiple of 4 and fits (RFC 8489 §5, §7.3). Does not decode attributes.
    public static func looksLikeSTUN(_ bytes: ByteBuffer) -> Bool {
        bytes.withUnsafeReadableBytes { raw in
            (try? checkHeader(raw)) != nil
        }
    }
}

// MARK: - Serializing

extension STUNMessage {
    /// Appends the message to `buffer` (RFC 8489 §5–6, §14).
    ///
    /// Attributes are written in order with zero padding. Integrity and fingerprint:
    /// - ``STUNAttribute/messageIntegrity(_:)`` / ``STUNAttribute/messageIntegritySHA256(_:)`` in `attributes` are
    ///   computed with `integrityKey` at their position (the header length covering up to and including them,
    ///   RFC 8489 §14.5–14.6); without a key their stored bytes are written unchanged.
    /// - ``STUNAttribute/fingerprint(_:)`` in `attributes` is always computed (RFC 8489 §14.7).
    /// - If `integrityKey` is given and `attributes` holds no integrity attribute, one of `integrityKey.algorithm`
    ///   is added (before a FINGERPRINT named in `attributes`, else at the end); if `fingerprint` is true and
    ///   `attributes` holds no FINGERPRINT, one is appended last.
    ///
    /// On error `buffer` is left as it was.
    public func write(
        into buffer: inout ByteBuffer,
        integrityKey: STUNIntegrityKey? = nil,
        fingerprint: Bool = false
    ) throws(STUNEncodeError) {
        let start = buffer.writerIndex
        do {
            try writeUnchecked(into: &buffer, integrityKey: integrityKey, fingerprint: fingerprint)
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
    }

    /// The message in a new buffer; see ``write(into:integrityKey:fingerprint:)``.
    public func serialized(
        integrityKey: STUNIntegrityKey? = nil,
        fingerprint: Bool = false,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws(STUNEncodeError) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 128)
        try write(into: &buffer, integrityKey: integrityKey, fingerprint: fingerprint)
        return buffer
    }

    /// The message as an array of bytes; see ``write(into:integrityKey:fingerprint:)``.
    public func bytes(integrityKey: STUNIntegrityKey? = nil, fingerprint: Bool = false) throws(STUNEncodeError) -> [UInt8] {
        let buffer = try serialized(integrityKey: integrityKey, fingerprint: fingerprint)
        return Array(buffer.readableBytesView)
    }

    private func writeUnchecked(
        into buffer: inout ByteBuffer,
        integrityKey: STUNIntegrityKey?,
        fingerprint addFingerprint: Bool
    ) throws(STUNEncodeError) {
        let start = buffer.writerIndex
        buffer.writeInteger(type.rawValue)
        buffer.writeInteger(UInt16(0))
        buffer.writeInteger(Self.magicCookie)
        buffer.writeInteger(transactionID.high)
        buffer.writeInteger(transactionID.middle)
        buffer.writeInteger(transactionID.low)
        var hasIntegrity = false
        var hasFingerprint = false
        for attribute in attributes {
            switch attribute {
            case .messageIntegrity where integrityKey != nil:
                hasIntegrity = true
                try Self.writeIntegrity(.hmacSHA1, length: 20, key: integrityKey, into: &buffer, messageStart: start)
            case .messageIntegritySHA256(let stored) where integrityKey != nil:
                hasIntegrity = true
                let length = (16...32).contains(stored.count) && stored.count % 4 == 0 ? stored.count : 32
                try Self.writeIntegrity(.hmacSHA256, length: length, key: integrityKey, into: &buffer, messageStart: start)
            case .messageIntegrity, .messageIntegritySHA256:
                hasIntegrity = true
                try attribute.write(into: &buffer, transactionID: transactionID)
            case .fingerprint:
                // An integrity attribute the key asks for goes before FINGERPRINT, which must stay last.
                if let integrityKey, !hasIntegrity {
                    hasIntegrity = true
                    try Self.writeIntegrity(integrityKey.algorithm, length: integrityKey.algorithm == .hmacSHA1 ? 20 : 32,
                        key: integrityKey, into: &buffer, messageStart: start)
                }
                hasFingerprint = true
                try Self.writeFingerprint(into: &buffer, messageStart: start)
            default:
                try attribute.write(into: &buffer, transactionID: transactionID)
            }
        }
        if let integrityKey, !hasIntegrity {
            let length = integrityKey.algorithm == .hmacSHA1 ? 20 : 32
            try Self.writeIntegrity(integrityKey.algorithm, length: length, key: integrityKey, into: &buffer, messageStart: start)
        }
        if addFingerprint, !hasFingerprint {
            try Self.writeFingerprint(into: &buffer, messageStart: start)
        }
        try Self.setBodyLength(buffer.writerIndex - start - Self.headerLength, in: &buffer, messageStart: start)
    }

    private static func setBodyLength(_ length: Int, in buffer: inout ByteBuffer, messageStart: Int) throws(STUNEncodeError) {
        guard length <= 0xFFFF else { throw .messageTooLong(length: length) }
        buffer.setInteger(UInt16(truncatingIfNeeded: length), at: messageStart + 2)
    }

    /// Writes MESSAGE-INTEGRITY(-SHA256): sets the header length to end after this attribute, then HMACs
    /// everything before it (RFC 8489 §14.5–14.6).
    private static func writeIntegrity(
        _ algorithm: STUNIntegrityAlgorithm,
        length: Int,
        key: STUNIntegrityKey?,
        into buffer: inout ByteBuffer,
        messageStart: Int
    ) throws(STUNEncodeError) {
        let attributeStart = buffer.writerIndex
        try setBodyLength(attributeStart - messageStart - headerLength + 4 + length, in: &buffer, messageStart: messageStart)
        let type: STUNAttributeType = algorithm == .hmacSHA1 ? .messageIntegrity : .messageIntegritySHA256
        buffer.writeInteger(type.rawValue)
        buffer.writeInteger(UInt16(truncatingIfNeeded: length))
        buffer.writeRepeatingByte(0, count: length)
        let keyBytes = key?.bytes ?? []
        let hash: OpenSSLHashing.Algorithm = algorithm == .hmacSHA1 ? .sha1 : .sha256
        let readerIndex = buffer.readerIndex
        buffer.withUnsafeMutableReadableBytes { raw in
            let covered = UnsafeRawBufferPointer(
                rebasing: raw[(messageStart - readerIndex)..<(attributeStart - readerIndex)]
            )
            let valueStart = attributeStart - readerIndex + 4
            withUnsafeTemporaryAllocation(byteCount: 32, alignment: 1) { digest in
                let computed = keyBytes.withUnsafeBytes { keyRaw in
                    OpenSSLHashing.hmac(hash, key: keyRaw, data: covered, into: digest)
                }
                guard computed else { return }
                UnsafeMutableRawBufferPointer(rebasing: raw[valueStart..<(valueStart + length)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: digest[0..<length]))
            }
        }
    }

    /// Writes FINGERPRINT: sets the header length to end after it, then CRC-32s everything before it XOR
    /// 0x5354554E (RFC 8489 §14.7).
    private static func writeFingerprint(into buffer: inout ByteBuffer, messageStart: Int) throws(STUNEncodeError) {
        let attributeStart = buffer.writerIndex
        try setBodyLength(attributeStart - messageStart - headerLength + 8, in: &buffer, messageStart: messageStart)
        let readerIndex = buffer.readerIndex
        let crc = buffer.withUnsafeReadableBytes { raw in
            CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[(messageStart - readerIndex)..<(attributeStart - readerIndex)]))
        }
        buffer.writeInteger(STUNAttributeType.fingerprint.rawValue)
        buffer.writeInteger(UInt16(4))
        buffer.writeInteger(crc ^ fingerprintXOR)
    }
}

// MARK: - Convenience

extension STUNMessage {
    /// The types of comprehension-required attributes (0x0000–0x7FFF) this module does not understand, in order and
    /// without duplicates. A server answers a request that has any with 420 and UNKNOWN-ATTRIBUTES listing them
    /// (RFC 8489 §6.3.1.1); a client discards such a response.
    public var unknownComprehensionRequiredAttributes: [STUNAttributeType] {
        var result: [STUNAttributeType] = []
        for case .unknown(let type, _) in attributes where type.isComprehensionRequired && !result.contains(type) {
            result.append(type)
        }
        return result
    }

    /// The first attribute of `type`, if any (RFC 8489 §14: later duplicates may be ignored).
    public func first(_ type: STUNAttributeType) -> STUNAttribute? {
        attributes.first { $0.type == type }
    }

    /// USERNAME, if present.
    public var username: String? {
        for case .username(let value) in attributes { return value }
        return nil
    }

    /// REALM, if present.
    public var realm: String? {
        for case .realm(let value) in attributes { return value }
        return nil
    }

    /// NONCE, if present.
    public var nonce: String? {
        for case .nonce(let value) in attributes { return value }
        return nil
    }

    /// ERROR-CODE, if present.
    public var errorCode: STUNErrorCode? {
        for case .errorCode(let value) in attributes { return value }
        return nil
    }

    /// XOR-MAPPED-ADDRESS, if present.
    public var xorMappedAddress: STUNTransportAddress? {
        for case .xorMappedAddress(let value) in attributes { return value }
        return nil
    }

    /// Every XOR-PEER-ADDRESS, in order (CreatePermission may carry several, RFC 8656 §10).
    public var xorPeerAddresses: [STUNTransportAddress] {
        var result: [STUNTransportAddress] = []
        for case .xorPeerAddress(let value) in attributes { result.append(value) }
        return result
    }

    /// XOR-RELAYED-ADDRESS, if present.
    public var xorRelayedAddress: STUNTransportAddress? {
        for case .xorRelayedAddress(let value) in attributes { return value }
        return nil
    }

    /// LIFETIME, if present.
    public var lifetime: UInt32? {
        for case .lifetime(let value) in attributes { return value }
        return nil
    }

    /// DATA, if present.
    public var data: ByteBuffer? {
        for case .data(let value) in attributes { return value }
        return nil
    }
}
