/// An SRTP protection profile that DTLS-SRTP can negotiate in the `use_srtp` extension (RFC 5764 §4.1.2),
/// identified by its two-byte IANA value.
public enum DTLSSRTPProfile: UInt16, Hashable, Sendable, CaseIterable {
    /// SRTP_AES128_CM_HMAC_SHA1_80 = {0x00, 0x01} (RFC 5764 §4.1.2): 128-bit key, 112-bit salt.
    case aes128CMHMACSHA1_80 = 0x0001
    /// SRTP_AEAD_AES_128_GCM = {0x00, 0x07} (RFC 7714 §14.2): 128-bit key, 96-bit salt.
    case aeadAES128GCM = 0x0007

    /// The master key length in bytes.
    public var masterKeyLength: Int { 16 }

    /// The master salt length in bytes: 14 for AES-CM (RFC 3711 §8.2), 12 for AES-GCM (RFC 7714 §12).
    public var masterSaltLength: Int {
        switch self {
        case .aes128CMHMACSHA1_80: 14
        case .aeadAES128GCM: 12
        }
    }

    /// OpenSSL's name for the profile, as `SSL_CTX_set_tlsext_use_srtp` takes it.
    var openSSLName: String {
        switch self {
        case .aes128CMHMACSHA1_80: "SRTP_AES128_CM_SHA1_80"
        case .aeadAES128GCM: "SRTP_AEAD_AES_128_GCM"
        }
    }

    /// What WebRTC endpoints offer, best first: AES-GCM (cheaper and stronger), then the mandatory AES-CM
    /// profile (RFC 8827 §6.5).
    public static let webRTCDefault: [DTLSSRTPProfile] = [.aeadAES128GCM, .aes128CMHMACSHA1_80]
}

/// The SRTP master keys and salts exported from a finished DTLS handshake (RFC 5764 §4.2).
///
/// The exporter ("EXTRACTOR-dtls_srtp", RFC 5705) yields `2 * (key + salt)` bytes laid out as
/// `client_write_SRTP_master_key | server_write_SRTP_master_key | client_write_SRTP_master_salt |
/// server_write_SRTP_master_salt`. The client protects what it sends with the client key and salt, the server with
/// the server ones; each side unprotects with the other's.
public struct SRTPKeyingMaterial: Hashable, Sendable {
    /// The negotiated protection profile.
    public var profile: DTLSSRTPProfile
    /// The DTLS client's SRTP master key.
    public var clientMasterKey: [UInt8]
    /// The DTLS server's SRTP master key.
    public var serverMasterKey: [UInt8]
    /// The DTLS client's SRTP master salt.
    public var clientMasterSalt: [UInt8]
    /// The DTLS server's SRTP master salt.
    public var serverMasterSalt: [UInt8]

    /// Splits the exporter output by the RFC 5764 §4.2 layout. Nil if `exported` is not exactly
    /// `2 * (key + salt)` bytes for `profile`.
    public init?(profile: DTLSSRTPProfile, exported: [UInt8]) {
        let key = profile.masterKeyLength
        let salt = profile.masterSaltLength
        guard exported.count == 2 * (key + salt) else { return nil }
        self.profile = profile
        clientMasterKey = Array(exported[0..<key])
        serverMasterKey = Array(exported[key..<2 * key])
        clientMasterSalt = Array(exported[2 * key..<2 * key + salt])
        serverMasterSalt = Array(exported[2 * key + salt..<2 * (key + salt)])
    }

    /// The key and salt that `role` uses to protect what it sends (RFC 5764 §4.2).
    public func localMasterKeyAndSalt(role: DTLSRole) -> (key: [UInt8], salt: [UInt8]) {
        switch role {
        case .client: (clientMasterKey, clientMasterSalt)
        case .server: (serverMasterKey, serverMasterSalt)
        }
    }

    /// The key and salt that `role` uses to unprotect what it receives: the peer's (RFC 5764 §4.2).
    public func remoteMasterKeyAndSalt(role: DTLSRole) -> (key: [UInt8], salt: [UInt8]) {
        switch role {
        case .client: (serverMasterKey, serverMasterSalt)
        case .server: (clientMasterKey, clientMasterSalt)
        }
    }
}

extension SRTPKeyingMaterial: CustomStringConvertible {
    /// The profile only: keys never go into logs.
    public var description: String { "SRTPKeyingMaterial(\(profile), keys redacted)" }
}
