import COpenSSL

/// An independent, deliberately plain re-statement of the SRTP transforms from the RFC text, on OpenSSL's raw
/// AES and HMAC, used to check libsrtp's output byte for byte. It is itself checked against the RFC vectors
/// (RFC 3711 Appendix B.3 for key derivation, RFC 7714 §16/§17 for AES-GCM), which libsrtp cannot take directly
/// because they start from session keys while libsrtp only accepts master keys.
enum ReferenceSRTPCrypto {
    /// AES-128 in counter mode (the whole 16-byte IV is the initial counter block).
    static func aesCTR(key: [UInt8], iv: [UInt8], _ input: [UInt8]) -> [UInt8] {
        guard let context = EVP_CIPHER_CTX_new() else { return [] }
        defer { EVP_CIPHER_CTX_free(context) }
        var output = [UInt8](repeating: 0, count: input.count + 16)
        var length: Int32 = 0
        guard EVP_EncryptInit_ex(context, EVP_aes_128_ctr(), nil, key, iv) == 1,
            EVP_EncryptUpdate(context, &output, &length, input, Int32(input.count)) == 1
        else { return [] }
        return Array(output.prefix(Int(length)))
    }

    /// AES-128-GCM with a 12-byte IV: ciphertext and 16-byte tag.
    static func aesGCM(key: [UInt8], iv: [UInt8], aad: [UInt8], _ input: [UInt8]) -> (ciphertext: [UInt8], tag: [UInt8]) {
        guard let context = EVP_CIPHER_CTX_new() else { return ([], []) }
        defer { EVP_CIPHER_CTX_free(context) }
        var output = [UInt8](repeating: 0, count: input.count + 16)
        var tag = [UInt8](repeating: 0, count: 16)
        var finalBlock = [UInt8](repeating: 0, count: 16)  // GCM writes nothing here
        var length: Int32 = 0
        var ignored: Int32 = 0
        guard EVP_EncryptInit_ex(context, EVP_aes_128_gcm(), nil, key, iv) == 1,
            EVP_EncryptUpdate(context, nil, &ignored, aad, Int32(aad.count)) == 1,
            EVP_EncryptUpdate(context, &output, &length, input, Int32(input.count)) == 1,
            EVP_EncryptFinal_ex(context, &finalBlock, &ignored) == 1,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, 16, &tag) == 1
        else { return ([], []) }
        return (Array(output.prefix(Int(length))), tag)
    }

    static func hmacSHA1(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 20)
        var length: UInt32 = 0
        _ = HMAC(EVP_sha1(), key, Int32(key.count), data, data.count, &output, &length)
        return output
    }

    /// RFC 3711 §4.3.1/§4.3.3 with a key derivation rate of 0: x = (label at byte 7) XOR master salt (a 96-bit
    /// GCM salt is zero-padded to 112 bits, RFC 7714 §11), keystream = AES-CM(master key, x * 2^16).
    static func deriveSessionKey(masterKey: [UInt8], masterSalt: [UInt8], label: UInt8, length: Int) -> [UInt8] {
        var x = masterSalt + [UInt8](repeating: 0, count: 14 - masterSalt.count)
        x[7] ^= label
        return aesCTR(key: masterKey, iv: x + [0, 0], [UInt8](repeating: 0, count: length))
    }

    /// RFC 7714 §8.1, §9.1: IV = (0x0000 || SSRC || ROC || SEQ) XOR salt, AAD = the RTP header.
    static func gcmProtectRTP(key: [UInt8], salt: [UInt8], packet: [UInt8], headerLength: Int, roc: UInt32) -> [UInt8] {
        let header = Array(packet[0..<headerLength])
        var iv: [UInt8] = [0, 0] + Array(packet[8..<12]) + bigEndian(roc) + Array(packet[2..<4])
        for index in 0..<12 { iv[index] ^= salt[index] }
        let (ciphertext, tag) = aesGCM(key: key, iv: iv, aad: header, Array(packet[headerLength...]))
        return header + ciphertext + tag
    }

    /// RFC 7714 §9.2, §17: IV = (0x0000 || SSRC || 0x0000 || SRTCP index) XOR salt; AAD = the first 8 bytes then
    /// E flag || index; the E flag and index trail the tag.
    static func gcmProtectRTCP(key: [UInt8], salt: [UInt8], packet: [UInt8], srtcpIndex: UInt32) -> [UInt8] {
        let header = Array(packet[0..<8])
        var iv: [UInt8] = [0, 0] + Array(packet[4..<8]) + [0, 0] + bigEndian(srtcpIndex)
        for index in 0..<12 { iv[index] ^= salt[index] }
        let trailer = bigEndian(srtcpIndex | 0x8000_0000)
        let (ciphertext, tag) = aesGCM(key: key, iv: iv, aad: header + trailer, Array(packet[8...]))
        return header + ciphertext + tag + trailer
    }

    /// RFC 3711 §4.1.1, §4.2: AES-CM with IV = (salt * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16), then
    /// HMAC-SHA1 over the packet and ROC, truncated to 80 bits.
    static func cmProtectRTP(key: [UInt8], salt: [UInt8], authKey: [UInt8], packet: [UInt8], headerLength: Int, roc: UInt32)
        -> [UInt8]
    {
        let sequence = UInt64(packet[2]) << 8 | UInt64(packet[3])
        let index = UInt64(roc) << 16 | sequence
        var iv = salt + [0, 0]
        for (offset, byte) in packet[8..<12].enumerated() { iv[4 + offset] ^= byte }
        for offset in 0..<6 { iv[8 + offset] ^= UInt8(truncatingIfNeeded: index >> (8 * (5 - offset))) }
        let encrypted = Array(packet[0..<headerLength]) + aesCTR(key: key, iv: iv, Array(packet[headerLength...]))
        return encrypted + hmacSHA1(key: authKey, encrypted + bigEndian(roc)).prefix(10)
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
            UInt8(truncatingIfNeeded: value)]
    }
}
