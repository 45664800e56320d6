import CMediaShims
import COpenSSL

/// An ECDSA P-256 private key, kept as PKCS #8 PEM text (so it is a `Sendable` value that can be written to the
/// cache as is). Used for the ACME account (JWS ES256, RFC 7518 §3.4) and for each certificate.
public struct ACMEKey: Sendable, Hashable {
    /// The private key as PEM (`-----BEGIN PRIVATE KEY-----`).
    public let pem: String
    /// The public key as a JWK in RFC 7638 canonical form: `{"crv":"P-256","kty":"EC","x":…,"y":…}` — members in
    /// lexicographic order, no whitespace — which is both the `jwk` header value and the thumbprint input.
    public let canonicalJWK: String

    /// A fresh random P-256 key.
    public static func generate() throws(ACMEError) -> ACMEKey {
        ACMEOpenSSL.clearErrors()
        guard let key = CMediaShims_EVP_EC_gen_P256() else { throw ACMEOpenSSL.cryptoError("EVP_EC_gen failed") }
        defer { EVP_PKEY_free(key) }
        guard let pem = ACMEOpenSSL.writeToString({ PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) == 1 })
        else { throw ACMEOpenSSL.cryptoError("writing the key as PEM failed") }
        return try ACMEKey(pem: pem)
    }

    /// Reads a PEM private key; it must be an EC P-256 key.
    public init(pem: String) throws(ACMEError) {
        ACMEOpenSSL.clearErrors()
        guard let key = ACMEOpenSSL.withReadBIO(pem, { PEM_read_bio_PrivateKey($0, nil, nil, nil) }) else {
            throw ACMEError(.crypto, "not a PEM private key: " + ACMEOpenSSL.errors(fallback: "unreadable"))
        }
        defer { EVP_PKEY_free(key) }
        guard EVP_PKEY_get_bits(key) == 256, EVP_PKEY_is_a(key, "EC") == 1 else {
            throw ACMEError(.crypto, "the key is not ECDSA P-256")
        }
        var point: UnsafeMutablePointer<UInt8>?
        let length = EVP_PKEY_get1_encoded_public_key(key, &point)
        defer { CRYPTO_free(point, nil, 0) }
        guard length == 65, let point, point[0] == 4 else {
            throw ACMEOpenSSL.cryptoError("cannot read the public point")
        }
        let x = Base64URL.encode(UnsafeBufferPointer(start: point + 1, count: 32))
        let y = Base64URL.encode(UnsafeBufferPointer(start: point + 33, count: 32))
        self.pem = pem
        self.canonicalJWK = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"\(x)\",\"y\":\"\(y)\"}"
    }

    /// The JWK thumbprint (RFC 7638 §3): base64url(SHA-256(canonical JWK)).
    public var thumbprint: String {
        Base64URL.encode(ACMEOpenSSL.sha256(Array(canonicalJWK.utf8)) ?? [])
    }

    /// An ES256 signature (RFC 7518 §3.4): ECDSA P-256 over SHA-256, as the 64-octet `R || S`.
    public func signES256(_ data: [UInt8]) throws(ACMEError) -> [UInt8] {
        ACMEOpenSSL.clearErrors()
        guard let key = ACMEOpenSSL.withReadBIO(pem, { PEM_read_bio_PrivateKey($0, nil, nil, nil) }) else {
            throw ACMEOpenSSL.cryptoError("cannot read the key")
        }
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { throw ACMEOpenSSL.cryptoError("EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1 else {
            throw ACMEOpenSSL.cryptoError("EVP_DigestSignInit failed")
        }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, data, data.count) == 1, length > 0 else {
            throw ACMEOpenSSL.cryptoError("EVP_DigestSign (length) failed")
        }
        var der = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &der, &length, data, data.count) == 1 else {
            throw ACMEOpenSSL.cryptoError("EVP_DigestSign failed")
        }
        guard let raw = Self.rawSignature(fromDER: Array(der.prefix(length))) else {
            throw ACMEError(.crypto, "OpenSSL returned a malformed ECDSA signature")
        }
        return raw
    }

    /// ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (DER) → r and s as 32-octet big-endian, concatenated.
    static func rawSignature(fromDER der: [UInt8]) -> [UInt8]? {
        var index = 0
        func readLength() -> Int? {
            guard index < der.count else { return nil }
            let first = der[index]
            index += 1
            if first < 0x80 { return Int(first) }
            let count = Int(first & 0x7F)
            guard count <= 2, index + count <= der.count else { return nil }
            var value = 0
            for _ in 0..<count {
                value = value << 8 | Int(der[index])
                index += 1
            }
            return value
        }
        func readInteger() -> [UInt8]? {
            guard index < der.count, der[index] == 0x02 else { return nil }
            index += 1
            guard let length = readLength(), index + length <= der.count else { return nil }
            var bytes = Array(der[index..<(index + length)])
            index += length
            while bytes.count > 32, bytes.first == 0 { bytes.removeFirst() }
            guard bytes.count <= 32 else { return nil }
            return [UInt8](repeating: 0, count: 32 - bytes.count) + bytes
        }
        guard der.first == 0x30 else { return nil }
        index = 1
        guard readLength() != nil, let r = readInteger(), let s = readInteger() else { return nil }
        return r + s
    }
}
