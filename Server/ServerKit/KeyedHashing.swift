import COpenSSL

/// HMAC (RFC 2104) and HKDF (RFC 5869) from the system OpenSSL — the same libcrypto the STUN and DTLS modules
/// use, so no second crypto library is built. Used for the per-purpose deployment keys (``DeploymentKeys``), JWT
/// HS256 signatures (``JSONWebToken``), TURN REST passwords and TURN's stateless nonces.
public enum KeyedHashing {
    /// The hash under the HMAC.
    public enum Algorithm: Sendable {
        case sha1, sha256

        /// Output length in bytes.
        public var digestLength: Int { self == .sha1 ? 20 : 32 }
        var evp: OpaquePointer? { self == .sha1 ? EVP_sha1() : EVP_sha256() }
    }

    /// HMAC of `data` under `key`. OpenSSL does not fail for in-memory HMAC-SHA1/SHA-256; if it ever did, the
    /// all-zero result simply never matches a peer's MAC.
    public static func hmac(_ algorithm: Algorithm, key: [UInt8], data: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: algorithm.digestLength)
        var placeholder: UInt8 = 0
        let ok = key.withUnsafeBytes { keyRaw in
            data.withUnsafeBytes { dataRaw in
                output.withUnsafeMutableBytes { out in
                    withUnsafeMutablePointer(to: &placeholder) { placeholderPointer -> Bool in
                        let keyPointer = UnsafeRawPointer(keyRaw.baseAddress) ?? UnsafeRawPointer(placeholderPointer)
                        let dataPointer = dataRaw.baseAddress?.assumingMemoryBound(to: UInt8.self)
                            ?? UnsafePointer(placeholderPointer)
                        guard let outPointer = out.baseAddress?.assumingMemoryBound(to: UInt8.self),
                            keyRaw.count <= Int(Int32.max)
                        else { return false }
                        var length: UInt32 = 0
                        let result = HMAC(algorithm.evp, keyPointer, Int32(keyRaw.count), dataPointer, dataRaw.count,
                            outPointer, &length)
                        return result != nil && Int(length) == algorithm.digestLength
                    }
                }
            }
        }
        return ok ? output : [UInt8](repeating: 0, count: algorithm.digestLength)
    }

    /// SHA-256 of `data` (FIPS 180-4), e.g. to keep sign-in codes and session secrets hashed at rest.
    public static func sha256(_ data: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 32)
        var placeholder: UInt8 = 0
        let ok = data.withUnsafeBytes { dataRaw in
            output.withUnsafeMutableBytes { out in
                withUnsafeMutablePointer(to: &placeholder) { placeholderPointer -> Bool in
                    guard let outPointer = out.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
                    let dataPointer = UnsafeRawPointer(dataRaw.baseAddress) ?? UnsafeRawPointer(placeholderPointer)
                    var length: UInt32 = 0
                    return EVP_Digest(dataPointer, dataRaw.count, outPointer, &length, EVP_sha256(), nil) == 1
                        && length == 32
                }
            }
        }
        return ok ? output : [UInt8](repeating: 0, count: 32)
    }

    /// HKDF-SHA256 (RFC 5869 §2) with an empty salt meaning HashLen zero bytes (§2.2): extract then expand to
    /// `length` bytes (at most 255 × 32; longer requests are cut at that).
    public static func hkdfSHA256(inputKey: [UInt8], salt: [UInt8] = [], info: [UInt8], length: Int) -> [UInt8] {
        let pseudoRandomKey = hmac(.sha256, key: salt.isEmpty ? [UInt8](repeating: 0, count: 32) : salt,
            data: inputKey)
        var output: [UInt8] = []
        var previous: [UInt8] = []
        var counter: UInt8 = 1
        while output.count < length && counter != 0 {
            previous = hmac(.sha256, key: pseudoRandomKey, data: previous + info + [counter])
            output += previous
            counter &+= 1
        }
        return Array(output.prefix(length))
    }

    /// Compares two byte strings in time that depends only on their lengths, never on where they first differ,
    /// so a MAC or a code cannot be guessed byte by byte from response times.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices {
            difference |= a[index] ^ b[index]
        }
        return difference == 0
    }

    /// `count` bytes from OpenSSL's CSPRNG (RAND_bytes); falls back to Swift's system generator, which also
    /// reads the kernel's CSPRNG, should OpenSSL ever refuse.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(0, count))
        let ok = bytes.withUnsafeMutableBytes { raw -> Bool in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count <= Int(Int32.max) else {
                return raw.isEmpty
            }
            return RAND_bytes(base, Int32(raw.count)) == 1
        }
        if !ok {
            var generator = SystemRandomNumberGenerator()
            for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255, using: &generator) }
        }
        return bytes
    }
}
