import CSRTP

/// Why libsrtp2 refused to create a session or to protect or unprotect a packet.
///
/// The cases an SFU sees on hostile or lossy networks are named (``replayed``, ``replayTooOld``,
/// ``authenticationFailed``); the rest keep libsrtp's `srtp_err_status_t` value. ``code`` is a stable identifier
/// for logs and metrics.
public enum SRTPError: Error, Hashable, Sendable {
    /// The key or salt length does not match the profile.
    case invalidKeyLength(expectedKey: Int, expectedSalt: Int, gotKey: Int, gotSalt: Int)
    /// The packet is shorter than an RTP (12 bytes) or RTCP (8 bytes) header, or longer than libsrtp accepts.
    case invalidPacketLength(Int)
    /// `srtp_init` failed at process start (libsrtp's status attached).
    case initializationFailed(status: UInt32)
    /// The packet's index was already seen: a replay (RFC 3711 §3.3.2) — `srtp_err_status_replay_fail`.
    case replayed
    /// The packet's index lies behind the replay window (RFC 3711 §3.3.2) — `srtp_err_status_replay_old`.
    case replayTooOld
    /// The authentication tag did not verify (RFC 3711 §3.4, RFC 7714 §9.2) — `srtp_err_status_auth_fail`.
    case authenticationFailed
    /// The packet could not be parsed as SRTP/SRTCP — `srtp_err_status_parse_err` (or `bad_param` on a packet).
    case malformedPacket
    /// Any other libsrtp status (`srtp_err_status_t` raw value).
    case libsrtp(status: UInt32)

    /// Maps a non-ok libsrtp status.
    init(status: srtp_err_status_t) {
        switch status {
        case srtp_err_status_replay_fail: self = .replayed
        case srtp_err_status_replay_old: self = .replayTooOld
        case srtp_err_status_auth_fail: self = .authenticationFailed
        case srtp_err_status_parse_err, srtp_err_status_bad_param: self = .malformedPacket
        default: self = .libsrtp(status: status.rawValue)
        }
    }
}

extension SRTPError: CustomStringConvertible {
    /// A stable, machine-friendly name of the case, e.g. `srtp.auth-failed`.
    public var code: String {
        switch self {
        case .invalidKeyLength: "srtp.invalid-key-length"
        case .invalidPacketLength: "srtp.invalid-packet-length"
        case .initializationFailed: "srtp.init-failed"
        case .replayed: "srtp.replayed"
        case .replayTooOld: "srtp.replay-too-old"
        case .authenticationFailed: "srtp.auth-failed"
        case .malformedPacket: "srtp.malformed-packet"
        case .libsrtp: "srtp.libsrtp"
        }
    }

    public var description: String {
        switch self {
        case .invalidKeyLength(let expectedKey, let expectedSalt, let gotKey, let gotSalt):
            "SRTP key/salt of \(gotKey)/\(gotSalt) bytes, the profile needs \(expectedKey)/\(expectedSalt)"
        case .invalidPacketLength(let length): "packet of \(length) bytes cannot be SRTP/SRTCP"
        case .initializationFailed(let status): "srtp_init failed with status \(status)"
        case .replayed: "SRTP packet replayed"
        case .replayTooOld: "SRTP packet older than the replay window"
        case .authenticationFailed: "SRTP authentication failed"
        case .malformedPacket: "malformed SRTP/SRTCP packet"
        case .libsrtp(let status): "libsrtp error status \(status)"
        }
    }
}
