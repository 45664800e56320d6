import COpenSSL

/// HMAC and message digests from the system OpenSSL (libcrypto), the only cryptography STUN needs:
/// HMAC-SHA1 / HMAC-SHA256 for MESSAGE-INTEGRITY(-SHA256), MD5 / SHA-256 for long-term keys and USERHASH.
enum OpenSSLHashing {
    enum Algorithm {
        case md5, sha1, sha256

        var digestLength: Int {
            switch self {
            case .md5: 16
            case .sha1: 20
            case .sha256: 32
            }
        }

        var evp: OpaquePointer? {
            switch self {
            case .md5: EVP_md5()
            case .sha1: EVP_sha1()
            case .sha256: EVP_sha256()
            }
        }
    }

    /// HMAC of `data` under `key` written to the start of `output` (which must hold `algorithm.digestLength`
    /// bytes). Returns false if OpenSSL failed (it does not for these inputs; callers treat it as a mismatch).
    static func hmac(
        _ algorithm: Algorithm,
        key: UnsafeRawBufferPointer,
        data: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) -> Bool {
        guard output.count >= algorithm.digestLength, key.count <= Int(Int32.max),
            let out = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
        else { return false }
        // OpenSSL wants non-null pointers even for empty input.
        var placeholder: UInt8 = 0
        return withUnsafeMutablePointer(to: &placeholder) { placeholderPointer in
            let keyPointer = UnsafeRawPointer(key.baseAddress) ?? UnsafeRawPointer(placeholderPointer)
            let dataPointer = data.baseAddress?.assumingMemoryBound(to: UInt8.self)
                ?? UnsafePointer(placeholderPointer)
            var length: UInt32 = 0
            let result = HMAC(algorithm.evp, keyPointer, Int32(key.count), dataPointer, data.count, out, &length)
            return result != nil && Int(length) == algorithm.digestLength
        }
    }

    /// The digest of `data`.
    static func digest(_ algorithm: Algorithm, _ data: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: algorithm.digestLength)
        var placeholder: UInt8 = 0
        let ok = data.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out in
                withUnsafeMutablePointer(to: &placeholder) { placeholderPointer in
                    var length: UInt32 = 0
                    let inputPointer = UnsafeRawPointer(input.baseAddress) ?? UnsafeRawPointer(placeholderPointer)
                    guard let outPointer = out.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
                    return EVP_Digest(inputPointer, input.count, outPointer, &length, algorithm.evp, nil) == 1
                }
            }
        }
        // EVP_Digest does not fail for in-memory MD5/SHA-256; an all-zero key would simply never verify.
        return ok ? output : [UInt8](repeating: 0, count: algorithm.digestLength)
    }
}
