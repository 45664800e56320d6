import COpenSSL

/// A PKCS #10 certificate signing request (RFC 2986) for the finalize call (RFC 8555 §7.4): the domains as
/// subjectAltName dNSNames (the first also as CN), signed with the certificate key.
enum ACMECertificateRequest {
    /// The DER of a CSR for `domains`, signed by `key`.
    static func der(domains: [String], key: ACMEKey) throws(ACMEError) -> [UInt8] {
        ACMEOpenSSL.clearErrors()
        guard let first = domains.first else { throw ACMEError(.configuration, "no domain to certify") }
        guard let privateKey = ACMEOpenSSL.withReadBIO(key.pem, { PEM_read_bio_PrivateKey($0, nil, nil, nil) }) else {
            throw ACMEOpenSSL.cryptoError("cannot read the certificate key")
        }
        defer { EVP_PKEY_free(privateKey) }
        guard let request = X509_REQ_new() else { throw ACMEOpenSSL.cryptoError("X509_REQ_new failed") }
        defer { X509_REQ_free(request) }
        guard let name = X509_NAME_new() else { throw ACMEOpenSSL.cryptoError("X509_NAME_new failed") }
        defer { X509_NAME_free(name) }
        guard X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, first, -1, -1, 0) == 1,
            X509_REQ_set_version(request, 0) == 1,
            X509_REQ_set_subject_name(request, name) == 1,
            X509_REQ_set_pubkey(request, privateKey) == 1
        else { throw ACMEOpenSSL.cryptoError("building the CSR failed") }

        let sanDER = subjectAltNameDER(domains)
        guard let octets = ASN1_OCTET_STRING_new() else { throw ACMEOpenSSL.cryptoError("ASN1_OCTET_STRING_new") }
        defer { ASN1_OCTET_STRING_free(octets) }
        guard ASN1_OCTET_STRING_set(octets, sanDER, Int32(sanDER.count)) == 1,
            let extensionValue = X509_EXTENSION_create_by_NID(nil, NID_subject_alt_name, 0, octets)
        else { throw ACMEOpenSSL.cryptoError("building subjectAltName failed") }
        defer { X509_EXTENSION_free(extensionValue) }
        guard let stack = OPENSSL_sk_new_null() else { throw ACMEOpenSSL.cryptoError("OPENSSL_sk_new_null") }
        defer { OPENSSL_sk_free(stack) }
        guard OPENSSL_sk_push(stack, UnsafeRawPointer(extensionValue)) > 0,
            X509_REQ_add_extensions(request, stack) == 1,
            X509_REQ_sign(request, privateKey, EVP_sha256()) > 0
        else { throw ACMEOpenSSL.cryptoError("signing the CSR failed") }
        guard let der = ACMEOpenSSL.encodeDER({ i2d_X509_REQ(request, $0) }) else {
            throw ACMEOpenSSL.cryptoError("encoding the CSR failed")
        }
        return der
    }

    /// GeneralNames ::= SEQUENCE OF GeneralName, each `[2] IA5String` dNSName (RFC 5280 §4.2.1.6).
    static func subjectAltNameDER(_ domains: [String]) -> [UInt8] {
        var names: [UInt8] = []
        for domain in domains {
            let bytes = Array(domain.utf8)
            names += [0x82] + derLength(bytes.count) + bytes
        }
        return [0x30] + derLength(names.count) + names
    }

    static func derLength(_ length: Int) -> [UInt8] {
        if length < 0x80 { return [UInt8(length)] }
        if length < 0x100 { return [0x81, UInt8(length)] }
        return [0x82, UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
    }
}
