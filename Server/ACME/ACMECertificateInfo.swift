import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the cache needs to know about a PEM certificate chain: the leaf's validity window, and that it belongs to
/// the stored key.
public struct ACMECertificateInfo: Sendable, Hashable {
    /// Unix seconds.
    public var notBefore: Int64
    public var notAfter: Int64

    /// When to renew: two thirds into the leaf's lifetime (Let's Encrypt's advice for 90-day certificates is 30
    /// days before expiry, which is the same point).
    public var renewalTime: Int64 { notBefore + (notAfter - notBefore) * 2 / 3 }

    public init(notBefore: Int64, notAfter: Int64) {
        self.notBefore = notBefore
        self.notAfter = notAfter
    }

    /// Reads the first certificate of `chainPEM`; with `key`, checks the certificate is for that key.
    public init(chainPEM: String, key: ACMEKey? = nil) throws(ACMEError) {
        ACMEOpenSSL.clearErrors()
        guard let certificate = ACMEOpenSSL.withReadBIO(chainPEM, { PEM_read_bio_X509($0, nil, nil, nil) }) else {
            throw ACMEOpenSSL.cryptoError("no PEM certificate")
        }
        defer { X509_free(certificate) }
        if let key {
            guard let privateKey = ACMEOpenSSL.withReadBIO(key.pem, { PEM_read_bio_PrivateKey($0, nil, nil, nil) })
            else { throw ACMEOpenSSL.cryptoError("cannot read the key") }
            defer { EVP_PKEY_free(privateKey) }
            guard X509_check_private_key(certificate, privateKey) == 1 else {
                throw ACMEError(.crypto, "the certificate does not belong to the stored key")
            }
        }
        guard let before = Self.unixTime(X509_get0_notBefore(certificate)),
            let after = Self.unixTime(X509_get0_notAfter(certificate)), after > before
        else { throw ACMEOpenSSL.cryptoError("unreadable validity dates") }
        notBefore = before
        notAfter = after
    }

    private static func unixTime(_ time: UnsafePointer<ASN1_TIME>?) -> Int64? {
        guard let time else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return Int64(timegm(&parts))
    }
}
