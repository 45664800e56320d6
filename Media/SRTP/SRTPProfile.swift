import CSRTP

/// The SRTP protection profiles WebRTC negotiates through DTLS-SRTP (RFC 5764 §4.1.2, RFC 7714 §14.2).
public enum SRTPProfile: Hashable, Sendable, CaseIterable {
    /// AEAD_AES_128_GCM (RFC 7714 §12): AES-128 in GCM, 16-byte tag, 12-byte salt. Preferred: one pass, cheaper.
    case aeadAES128GCM
    /// AES_CM_128_HMAC_SHA1_80 (RFC 3711 §8.2, RFC 5764 §4.1.2): AES-128 counter mode, 80-bit HMAC-SHA1 tag,
    /// 14-byte salt. Mandatory to implement in WebRTC (RFC 8827 §6.5).
    case aes128CMHMACSHA1_80

    /// The profile for a DTLS-SRTP protection profile identifier (`SRTPProtectionProfile`, RFC 5764 §4.1.2):
    /// 0x0007 and 0x0001. Nil for any other.
    public init?(dtlsProfileID: UInt16) {
        switch dtlsProfileID {
        case 0x0007: self = .aeadAES128GCM
        case 0x0001: self = .aes128CMHMACSHA1_80
        default: return nil
        }
    }

    /// The master key length in bytes.
    public var masterKeyLength: Int { 16 }

    /// The master salt length in bytes: 12 for AES-GCM (RFC 7714 §12), 14 for AES-CM (RFC 3711 §8.2).
    public var masterSaltLength: Int {
        switch self {
        case .aeadAES128GCM: 12
        case .aes128CMHMACSHA1_80: 14
        }
    }

    /// Bytes protection adds to an RTP packet: the 16-byte GCM tag or the 10-byte HMAC tag.
    public var rtpOverhead: Int {
        switch self {
        case .aeadAES128GCM: 16
        case .aes128CMHMACSHA1_80: 10
        }
    }

    /// Bytes protection adds to an RTCP packet: the tag plus the 4-byte E flag and SRTCP index (RFC 3711 §3.4).
    public var rtcpOverhead: Int { rtpOverhead + 4 }

    /// Fills libsrtp's crypto policy for RTP and RTCP.
    func apply(to policy: inout srtp_policy_t) {
        switch self {
        case .aeadAES128GCM:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
        case .aes128CMHMACSHA1_80:
            srtp_crypto_policy_set_rtp_default(&policy.rtp)
            srtp_crypto_policy_set_rtcp_default(&policy.rtcp)
        }
    }
}
