import COpenSSL

/// HMAC and HKDF from the system OpenSSL (the same libcrypto the STUN module uses), for TURN REST passwords,
/// nonces and key derivation.
enum KeyedHashing {
    enum Algorithm {
        case sha1, sha256

        var digestLength: Int { self == .sha1 ? 20 : 32 }
        var evp: OpaquePointer? { self == .sha1 ? EVP_sha1() : EVP_sha256() }
    }

    /// HMAC of `data` under `key`. OpenSSL does not fail for in-memory HMAC-SHA1/SHA-256; if it ever did, the
    /// all-zero result simply never matches a client's MAC.
    static func hmac(_ algorithm: Algorithm, key: [UInt8], data: [UInt8]) -> [UInt8] {
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

    /// HKDF-SHA256 (RFC 5869 §2) with an empty salt (HashLen zero bytes, §2.2): extract then expand to `length`
    /// bytes (at most 255 × 32).
    static func hkdfSHA256(inputKey: [UInt8], salt: [UInt8] = [], info: [UInt8], length: Int) -> [UInt8] {
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
}

/// Base64 (RFC 4648 §4) with padding, as the TURN REST password is written.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(index + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
