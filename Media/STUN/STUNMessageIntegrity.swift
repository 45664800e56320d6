import NIOCore

/// Which message-integrity attribute: MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) or MESSAGE-INTEGRITY-SHA256
/// (HMAC-SHA256, RFC 8489 §14.6).
public enum STUNIntegrityAlgorithm: Hashable, Sendable {
    case hmacSHA1
    case hmacSHA256
}

/// The HMAC key for MESSAGE-INTEGRITY / MESSAGE-INTEGRITY-SHA256, derived from credentials (RFC 8489 §9).
///
/// SASLprep / OpaqueString (RFC 8489 §9.2.2, RFC 8265) is **not** applied: passwords, usernames and realms are used as
/// their UTF-8 bytes. That is exact for the ASCII credentials WebRTC and the TURN REST scheme produce; callers with
/// non-ASCII credentials must pass the already-prepared form (as RFC 5769 §2.4's "TheMatrIX").
public struct STUNIntegrityKey: Hashable, Sendable {
    /// The raw key bytes handed to HMAC.
    public var bytes: [UInt8]
    /// Which integrity attribute a writer adds when the message does not already name one.
    public var algorithm: STUNIntegrityAlgorithm

    public init(bytes: [UInt8], algorithm: STUNIntegrityAlgorithm = .hmacSHA1) {
        self.bytes = bytes
        self.algorithm = algorithm
    }

    /// Short-term credential key (RFC 8489 §9.1.1): the password itself — ICE's remote `ice-pwd`.
    public static func shortTerm(password: String, algorithm: STUNIntegrityAlgorithm = .hmacSHA1) -> STUNIntegrityKey {
        STUNIntegrityKey(bytes: Array(password.utf8), algorithm: algorithm)
    }

    /// Long-term credential key (RFC 8489 §9.2.2): MD5 (the RFC 5389 key, what TURN clients use) or SHA-256 of
    /// `username ":" realm ":" password`, as chosen by PASSWORD-ALGORITHM.
    public static func longTerm(
        username: String,
        realm: String,
        password: String,
        passwordAlgorithm: STUNPasswordAlgorithm = .md5,
        algorithm: STUNIntegrityAlgorithm = .hmacSHA1
    ) -> STUNIntegrityKey {
        let input = Array("\(username):\(realm):\(password)".utf8)
        let hash: OpenSSLHashing.Algorithm = passwordAlgorithm.number == STUNPasswordAlgorithm.sha256.number ? .sha256 : .md5
        return STUNIntegrityKey(bytes: OpenSSLHashing.digest(hash, input), algorithm: algorithm)
    }
}

/// USERHASH (RFC 8489 §14.4): SHA-256 of `username ":" realm`, letting a client hide its username.
public enum STUNUserHash {
    /// The 32-byte USERHASH value (SASLprep/OpaqueString not applied; see ``STUNIntegrityKey``).
    public static func compute(username: String, realm: String) -> [UInt8] {
        OpenSSLHashing.digest(.sha256, Array("\(username):\(realm)".utf8))
    }
}

extension STUNMessage {
    /// Verifies MESSAGE-INTEGRITY-SHA256 (preferred when present) or MESSAGE-INTEGRITY of a received message.
    ///
    /// The HMAC covers the header — with its length field set to end right after the integrity attribute — and
    /// every attribute before that attribute (RFC 8489 §14.5–14.6). Pass the same bytes that were parsed: a server
    /// parses first, looks up the key from USERNAME/REALM, then calls this.
    ///
    /// - Parameter algorithm: require this attribute; nil takes MESSAGE-INTEGRITY-SHA256 if present, else
    ///   MESSAGE-INTEGRITY.
    /// - Throws: ``STUNParseError/missingIntegrity`` if there is no such attribute,
    ///   ``STUNParseError/badIntegrity(_:)`` if it does not match, or a framing error for malformed bytes.
    public static func verifyIntegrity(
        of bytes: ByteBuffer,
        key: STUNIntegrityKey,
        algorithm: STUNIntegrityAlgorithm? = nil
    ) throws(STUNParseError) {
        let result = bytes.withUnsafeReadableBytes { raw in
            Result { () throws(STUNParseError) in try verifyIntegrity(of: raw, key: key, algorithm: algorithm) }
        }
        try result.get()
    }

    /// ``verifyIntegrity(of:key:algorithm:)-(ByteBuffer,_,_)`` for an array of bytes.
    public static func verifyIntegrity(
        of bytes: [UInt8],
        key: STUNIntegrityKey,
        algorithm: STUNIntegrityAlgorithm? = nil
    ) throws(STUNParseError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(STUNParseError) in try verifyIntegrity(of: raw, key: key, algorithm: algorithm) }
        }
        try result.get()
    }

    /// ``verifyIntegrity(of:key:algorithm:)-(ByteBuffer,_,_)`` for raw bytes.
    public static func verifyIntegrity(
        of raw: UnsafeRawBufferPointer,
        key: STUNIntegrityKey,
        algorithm: STUNIntegrityAlgorithm? = nil
    ) throws(STUNParseError) {
        let end = try checkHeader(raw)
        var sha1Offset: Int?
        var sha256Offset: Int?
        var offset = headerLength
        scan: while offset < end {
            // The body length is a multiple of 4 and so is every padded attribute, so a whole attribute header
            // always remains here.
            let type = raw.beUInt16(at: offset)
            let length = Int(raw.beUInt16(at: offset + 2))
            guard paddedToFour(length) <= end - offset - 4 else {
                throw .attributeOverrun(type: type, length: paddedToFour(length), available: end - offset - 4)
            }
            switch STUNAttributeType(rawValue: type) {
            case .messageIntegrity where sha1Offset == nil:
                sha1Offset = offset
            case .messageIntegritySHA256:
                sha256Offset = offset
                break scan  // after MESSAGE-INTEGRITY-SHA256 only FINGERPRINT may follow
            case .fingerprint:
                break scan
            default:
                break
            }
            offset += 4 + paddedToFour(length)
        }
        let chosen: STUNIntegrityAlgorithm
        let attributeOffset: Int
        switch (algorithm, sha1Offset, sha256Offset) {
        case (.hmacSHA256, _, let sha256?), (nil, _, let sha256?):
            (chosen, attributeOffset) = (.hmacSHA256, sha256)
        case (.hmacSHA1, let sha1?, _), (nil, let sha1?, nil):
            (chosen, attributeOffset) = (.hmacSHA1, sha1)
        default:
            throw .missingIntegrity
        }
        let valueLength = Int(raw.beUInt16(at: attributeOffset + 2))
        switch chosen {
        case .hmacSHA1 where valueLength != 20,
            .hmacSHA256 where !(16...32).contains(valueLength) || valueLength % 4 != 0:
            throw .invalidAttributeLength(type: raw.beUInt16(at: attributeOffset), length: valueLength)
        default:
            break
        }
        let received = UnsafeRawBufferPointer(rebasing: raw[(attributeOffset + 4)..<(attributeOffset + 4 + valueLength)])
        let coveredLength = attributeOffset + 4 + valueLength - headerLength
        let hash: OpenSSLHashing.Algorithm = chosen == .hmacSHA1 ? .sha1 : .sha256
        let matches = withUnsafeTemporaryAllocation(byteCount: attributeOffset, alignment: 1) { copy in
            // The covered bytes with the header's length field adjusted (RFC 8489 §14.5).
            copy.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<attributeOffset]))
            copy[2] = UInt8(truncatingIfNeeded: coveredLength >> 8)
            copy[3] = UInt8(truncatingIfNeeded: coveredLength)
            return withUnsafeTemporaryAllocation(byteCount: 32, alignment: 1) { digest in
                let computed = key.bytes.withUnsafeBytes { keyBytes in
                    OpenSSLHashing.hmac(hash, key: keyBytes, data: UnsafeRawBufferPointer(copy), into: digest)
                }
                guard computed else { return false }
                return constantTimeEqual(UnsafeRawBufferPointer(rebasing: digest[0..<valueLength]), received)
            }
        }
        guard matches else { throw .badIntegrity(chosen) }
    }
}

/// Compares without an early exit, so timing does not reveal how many leading bytes of a MAC matched.
func constantTimeEqual(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in 0..<lhs.count { difference |= lhs[index] ^ rhs[index] }
    return difference == 0
}
