/// Why a DTLS certificate, endpoint or handshake failed.
///
/// Every throwing API in this module throws exactly this type (Swift 6 typed throws). Cases that come from OpenSSL
/// carry OpenSSL's own error text (`ERR_error_string_n` of every entry on the thread's error queue), so a log line
/// says what OpenSSL saw. ``code`` is a stable identifier for logs and metrics.
public enum DTLSError: Error, Hashable, Sendable {
    /// Creating the self-signed certificate or its key failed (OpenSSL's reason attached).
    case certificateGeneration(String)
    /// A PEM or DER certificate or private key could not be read, or the key does not match the certificate.
    case invalidCertificate(String)
    /// Setting up the OpenSSL context or connection failed (OpenSSL's reason attached).
    case configuration(String)
    /// The SRTP profile list is empty: DTLS-SRTP (RFC 5764 §4.1.1) needs at least one profile.
    case noSRTPProfilesOffered
    /// The handshake failed inside OpenSSL: a fatal alert was received or sent, or the peer violated the protocol
    /// (RFC 6347 §4.2). OpenSSL's reason attached.
    case handshakeFailed(String)
    /// After the handshake, OpenSSL reported a fatal error while reading records (e.g. a fatal alert from the
    /// peer, RFC 5246 §7.2.2). OpenSSL's reason attached.
    case connectionFailed(String)
    /// The handshake retransmitted its flight too often without an answer (RFC 6347 §4.2.4); OpenSSL gives up
    /// after 12 timeouts.
    case handshakeTimedOut
    /// The peer presented no certificate, which WebRTC requires of both sides (RFC 8827 §6.5, RFC 5763 §5).
    case noPeerCertificate
    /// The peer's certificate does not hash to any `a=fingerprint` of the remote description (RFC 5763 §5,
    /// RFC 8122 §5). `received` is the certificate's fingerprint under the first expected hash function.
    case fingerprintMismatch(expected: [DTLSFingerprint], received: DTLSFingerprint)
    /// No `a=fingerprint` with a hash function this module supports was given.
    case noUsableFingerprint
    /// The handshake completed without a `use_srtp` extension agreement (RFC 5764 §4.1.2): no common profile.
    case noSRTPProfileNegotiated
    /// `SSL_export_keying_material` with the "EXTRACTOR-dtls_srtp" label failed (RFC 5764 §4.2).
    case keyExportFailed(String)
    /// The SDP setup attributes of the two sides do not determine a DTLS role (RFC 5763 §5, RFC 8842 §5.2).
    case incompatibleSetup(local: DTLSSetup, remote: DTLSSetup)
}

extension DTLSError: CustomStringConvertible {
    /// A stable, machine-friendly name of the case (for logs, metrics and tests), e.g. `dtls.fingerprint-mismatch`.
    public var code: String {
        switch self {
        case .certificateGeneration: "dtls.certificate-generation"
        case .invalidCertificate: "dtls.invalid-certificate"
        case .configuration: "dtls.configuration"
        case .noSRTPProfilesOffered: "dtls.no-srtp-profiles-offered"
        case .handshakeFailed: "dtls.handshake-failed"
        case .connectionFailed: "dtls.connection-failed"
        case .handshakeTimedOut: "dtls.handshake-timed-out"
        case .noPeerCertificate: "dtls.no-peer-certificate"
        case .fingerprintMismatch: "dtls.fingerprint-mismatch"
        case .noUsableFingerprint: "dtls.no-usable-fingerprint"
        case .noSRTPProfileNegotiated: "dtls.no-srtp-profile-negotiated"
        case .keyExportFailed: "dtls.key-export-failed"
        case .incompatibleSetup: "dtls.incompatible-setup"
        }
    }

    public var description: String {
        switch self {
        case .certificateGeneration(let reason): "cannot create the DTLS certificate: \(reason)"
        case .invalidCertificate(let reason): "invalid DTLS certificate or key: \(reason)"
        case .configuration(let reason): "cannot configure DTLS: \(reason)"
        case .noSRTPProfilesOffered: "no SRTP protection profile to offer"
        case .handshakeFailed(let reason): "DTLS handshake failed: \(reason)"
        case .connectionFailed(let reason): "DTLS connection failed: \(reason)"
        case .handshakeTimedOut: "DTLS handshake timed out after repeated retransmissions"
        case .noPeerCertificate: "the DTLS peer presented no certificate"
        case .fingerprintMismatch(let expected, let received):
            "the DTLS peer's certificate has fingerprint \(received.sdpValue), the remote description expects "
                + expected.map(\.sdpValue).joined(separator: " or ")
        case .noUsableFingerprint: "no a=fingerprint with a supported hash function"
        case .noSRTPProfileNegotiated: "the DTLS peer agreed to no SRTP protection profile (use_srtp)"
        case .keyExportFailed(let reason): "cannot export the DTLS-SRTP keying material: \(reason)"
        case .incompatibleSetup(let local, let remote):
            "setup \(local.rawValue) (local) and \(remote.rawValue) (remote) do not determine a DTLS role"
        }
    }
}
