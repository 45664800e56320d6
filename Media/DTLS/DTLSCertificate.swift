import CMediaShims
import COpenSSL

/// The certificate and private key a DTLS endpoint presents: in WebRTC an ECDSA P-256 self-signed certificate made
/// at start, whose fingerprint goes into `a=fingerprint` (RFC 8827 §6.5, RFC 5763 §5).
///
/// Held as DER bytes, so the value is `Sendable` and can be shared by every connection of a server; each
/// ``DTLSEndpoint`` decodes it into its own OpenSSL objects.
public struct DTLSCertificate: Sendable {
    /// The X.509 certificate, DER.
    public let certificateDER: [UInt8]
    /// The private key, DER (OpenSSL's `i2d_PrivateKey` form).
    let privateKeyDER: [UInt8]
    /// The SHA-256 fingerprint of ``certificateDER`` — the `a=fingerprint` to advertise.
    public let fingerprint: DTLSFingerprint

    /// Makes a fresh ECDSA P-256 key and a self-signed X.509 v3 certificate for it: CN "meeting", a random
    /// 63-bit serial, valid from one day ago (clock skew) for `validityDays` days, signed with ECDSA-SHA256.
    public static func generate(commonName: String = "meeting", validityDays: Int = 30) throws(DTLSError)
        -> DTLSCertificate
    {
        OpenSSLErrorQueue.clear()
        guard let key = CMediaShims_EVP_EC_gen_P256() else {
            throw .certificateGeneration(OpenSSLErrorQueue.drain(fallback: "EVP_EC_gen failed"))
        }
        defer { EVP_PKEY_free(key) }
        guard let certificate = X509_new() else {
            throw .certificateGeneration(OpenSSLErrorQueue.drain(fallback: "X509_new failed"))
        }
        defer { X509_free(certificate) }

        var serialBytes: UInt64 = 0
        let randomOK = withUnsafeMutableBytes(of: &serialBytes) { raw in
            raw.baseAddress.map { RAND_bytes($0.assumingMemoryBound(to: UInt8.self), Int32(raw.count)) == 1 }
                ?? false
        }
        // Positive and non-zero, as RFC 5280 §4.1.2.2 asks of serial numbers.
        let serial = (serialBytes & 0x7FFF_FFFF_FFFF_FFFF) | 1
        let name = X509_get_subject_name(certificate)
        let ok =
            randomOK
            && X509_set_version(certificate, 2) == 1
            && ASN1_INTEGER_set_uint64(X509_get_serialNumber(certificate), serial) == 1
            && X509_gmtime_adj(X509_getm_notBefore(certificate), -86_400) != nil
            && X509_gmtime_adj(X509_getm_notAfter(certificate), validityDays * 86_400) != nil
            && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, commonName, -1, -1, 0) == 1
            && X509_set_issuer_name(certificate, name) == 1
            && X509_set_pubkey(certificate, key) == 1
            && X509_sign(certificate, key, EVP_sha256()) > 0
        guard ok else {
            throw .certificateGeneration(OpenSSLErrorQueue.drain(fallback: "building the X.509 certificate failed"))
        }
        return try DTLSCertificate(certificate: certificate, privateKey: key)
    }

    /// Reads a PEM certificate and PEM private key (for tests and for fixed server identities), checking that the
    /// key belongs to the certificate.
    public init(pemCertificate: String, pemPrivateKey: String) throws(DTLSError) {
        OpenSSLErrorQueue.clear()
        guard let certificate = Self.readPEM(pemCertificate, { PEM_read_bio_X509($0, nil, nil, nil) }) else {
            throw .invalidCertificate(OpenSSLErrorQueue.drain(fallback: "no PEM certificate"))
        }
        defer { X509_free(certificate) }
        guard let key = Self.readPEM(pemPrivateKey, { PEM_read_bio_PrivateKey($0, nil, nil, nil) }) else {
            throw .invalidCertificate(OpenSSLErrorQueue.drain(fallback: "no PEM private key"))
        }
        defer { EVP_PKEY_free(key) }
        try self.init(certificate: certificate, privateKey: key)
    }

    /// Encodes OpenSSL objects as DER after checking that the key matches the certificate.
    private init(certificate: OpaquePointer, privateKey: OpaquePointer) throws(DTLSError) {
        guard X509_check_private_key(certificate, privateKey) == 1 else {
            throw .invalidCertificate(OpenSSLErrorQueue.drain(fallback: "the private key does not match"))
        }
        guard let certificateDER = Self.encode({ i2d_X509(certificate, $0) }),
            let privateKeyDER = Self.encode({ i2d_PrivateKey(privateKey, $0) })
        else {
            throw .invalidCertificate(OpenSSLErrorQueue.drain(fallback: "DER encoding failed"))
        }
        guard let fingerprint = DTLSFingerprint(hashFunction: .sha256, certificateDER: certificateDER) else {
            throw .invalidCertificate(OpenSSLErrorQueue.drain(fallback: "SHA-256 failed"))
        }
        self.certificateDER = certificateDER
        self.privateKeyDER = privateKeyDER
        self.fingerprint = fingerprint
    }

    private static func readPEM(_ text: String, _ read: (OpaquePointer) -> OpaquePointer?) -> OpaquePointer? {
        let bytes = Array(text.utf8)
        guard bytes.count < Int(Int32.max) else { return nil }
        return bytes.withUnsafeBytes { raw -> OpaquePointer? in
            guard let base = raw.baseAddress, let bio = BIO_new_mem_buf(base, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return read(bio)
        }
    }

    /// Runs an OpenSSL `i2d_*` encoder twice: once for the length, once into a buffer of that length.
    private static func encode(
        _ encoder: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32
    ) -> [UInt8]? {
        let length = encoder(nil)
        guard length > 0 else { return nil }
        var output = [UInt8](repeating: 0, count: Int(length))
        let written = output.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return encoder(&cursor)
        }
        return written == length ? output : nil
    }

    /// Decodes the certificate into a new OpenSSL `X509` (the caller frees it).
    func makeX509() -> OpaquePointer? {
        certificateDER.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
    }

    /// Decodes the private key into a new OpenSSL `EVP_PKEY` (the caller frees it).
    func makePrivateKey() -> OpaquePointer? {
        privateKeyDER.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_AutoPrivateKey(nil, &cursor, buffer.count)
        }
    }
}
