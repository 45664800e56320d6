import CSRTP
import NIOCore

/// One direction of SRTP/SRTCP protection (RFC 3711) for every SSRC of a transport, through libsrtp2.
///
/// An outbound session protects what we send with our keys; an inbound session unprotects what the peer sends with
/// the peer's keys (for DTLS-SRTP, the local and remote halves of the exported keying material, RFC 5764 §4.2).
/// All four operations work in place on the readable bytes of a `ByteBuffer`, and allocate nothing when the buffer
/// is uniquely referenced and has ``SRTPSession/maximumTrailerLength`` bytes of spare capacity (protect grows the
/// packet by the tag, and for RTCP the SRTCP index; unprotect shrinks it).
///
/// Replay protection (RFC 3711 §3.3.2) uses a window of ``replayWindowSize`` packets per SSRC on the inbound side.
/// An outbound session allows the same sequence number to be protected again (`allow_repeat_tx`), so a packet can be
/// retransmitted unchanged in answer to a NACK.
///
/// libsrtp sessions are not thread-safe; this class is deliberately not `Sendable`: confine it to one thread (in an
/// SFU, the event loop of its peer).
public final class SRTPSession {
    /// Whether this session protects (ours) or unprotects (the peer's) packets.
    public enum Direction: Hashable, Sendable {
        /// Protects what we send.
        case outbound
        /// Unprotects what we receive.
        case inbound
    }

    /// The largest number of bytes protection can add to a packet (`SRTP_MAX_TRAILER_LEN`): reserve this much
    /// spare capacity after a packet to protect it without a reallocation.
    public static let maximumTrailerLength = Int(SRTP_MAX_TRAILER_LEN)

    /// The protection profile.
    public let profile: SRTPProfile
    /// The direction.
    public let direction: Direction
    /// The replay window, in packets.
    public let replayWindowSize: Int

    private let session: srtp_t

    /// Creates a session from a master key and master salt.
    /// - Parameters:
    ///   - profile: AES-GCM or AES-CM/HMAC-SHA1.
    ///   - masterKey: 16 bytes.
    ///   - masterSalt: 12 bytes (GCM) or 14 bytes (CM).
    ///   - direction: outbound (protect) or inbound (unprotect).
    ///   - replayWindowSize: 64...32768 packets (libsrtp's limits); WebRTC stacks use 1024.
    public init(
        profile: SRTPProfile,
        masterKey: [UInt8],
        masterSalt: [UInt8],
        direction: Direction,
        replayWindowSize: Int = 1024
    ) throws(SRTPError) {
        guard masterKey.count == profile.masterKeyLength, masterSalt.count == profile.masterSaltLength else {
            throw .invalidKeyLength(
                expectedKey: profile.masterKeyLength,
                expectedSalt: profile.masterSaltLength,
                gotKey: masterKey.count,
                gotSalt: masterSalt.count
            )
        }
        guard (64...32768).contains(replayWindowSize) else { throw .libsrtp(status: srtp_err_status_bad_param.rawValue) }
        try SRTPLibrary.ensureInitialized()
        self.profile = profile
        self.direction = direction
        self.replayWindowSize = replayWindowSize

        var policy = srtp_policy_t()
        profile.apply(to: &policy)
        policy.ssrc.type = direction == .outbound ? ssrc_any_outbound : ssrc_any_inbound
        policy.window_size = UInt(replayWindowSize)
        policy.allow_repeat_tx = direction == .outbound ? 1 : 0
        policy.next = nil
        // libsrtp reads the key as key || salt and copies it in srtp_create.
        var keyAndSalt = masterKey + masterSalt
        var created: srtp_t?
        let status = keyAndSalt.withUnsafeMutableBufferPointer { buffer in
            policy.key = buffer.baseAddress
            return srtp_create(&created, &policy)
        }
        for index in keyAndSalt.indices { keyAndSalt[index] = 0 }
        guard status == srtp_err_status_ok, let created else {
            throw SRTPError(status: status == srtp_err_status_ok ? srtp_err_status_fail : status)
        }
        session = created
    }

    deinit {
        _ = srtp_dealloc(session)
    }

    /// Encrypts and authenticates the RTP packet in `buffer`'s readable bytes in place (RFC 3711 §3.3,
    /// RFC 7714 §8): the payload is encrypted and the tag appended, growing the readable bytes by
    /// ``SRTPProfile/rtpOverhead``.
    public func protectRTP(in buffer: inout ByteBuffer) throws(SRTPError) {
        try transform(&buffer, minimumLength: 12, growth: Self.maximumTrailerLength) { session, pointer, length in
            srtp_protect(session, pointer, length)
        }
    }

    /// Verifies and decrypts the SRTP packet in `buffer`'s readable bytes in place (RFC 3711 §3.3): on success the
    /// readable bytes are the plain RTP packet. Throws ``SRTPError/authenticationFailed``,
    /// ``SRTPError/replayed`` or ``SRTPError/replayTooOld`` for packets to drop; the buffer is then unspecified.
    public func unprotectRTP(in buffer: inout ByteBuffer) throws(SRTPError) {
        try transform(&buffer, minimumLength: 12, growth: 0) { session, pointer, length in
            srtp_unprotect(session, pointer, length)
        }
    }

    /// Encrypts and authenticates the RTCP compound packet in `buffer` in place (RFC 3711 §3.4): appends the
    /// E flag and SRTCP index, then the tag.
    public func protectRTCP(in buffer: inout ByteBuffer) throws(SRTPError) {
        try transform(&buffer, minimumLength: 8, growth: Self.maximumTrailerLength) { session, pointer, length in
            srtp_protect_rtcp(session, pointer, length)
        }
    }

    /// Verifies and decrypts the SRTCP packet in `buffer` in place (RFC 3711 §3.4).
    public func unprotectRTCP(in buffer: inout ByteBuffer) throws(SRTPError) {
        try transform(&buffer, minimumLength: 8, growth: 0) { session, pointer, length in
            srtp_unprotect_rtcp(session, pointer, length)
        }
    }

    /// Runs a libsrtp in-place transform over the readable bytes and moves the writer index to the new length.
    @inline(__always)
    private func transform(
        _ buffer: inout ByteBuffer,
        minimumLength: Int,
        growth: Int,
        _ operation: (srtp_t, UnsafeMutableRawPointer, UnsafeMutablePointer<Int32>) -> srtp_err_status_t
    ) throws(SRTPError) {
        let length = buffer.readableBytes
        guard length >= minimumLength, length <= 0xFFFF else { throw .invalidPacketLength(length) }
        if growth > 0 && buffer.writableBytes < growth {
            buffer.reserveCapacity(minimumWritableBytes: growth)
        }
        let start = buffer.readerIndex
        let session = self.session
        var newLength = Int32(length)
        let status = buffer.withVeryUnsafeMutableBytes { storage -> srtp_err_status_t in
            guard let base = storage.baseAddress else { return srtp_err_status_bad_param }
            return operation(session, base + start, &newLength)
        }
        guard status == srtp_err_status_ok else { throw SRTPError(status: status) }
        buffer.moveWriterIndex(to: start + Int(newLength))
    }
}

/// Not `Sendable`: libsrtp sessions are not thread-safe (replay windows, rollover counters and cipher state change
/// on every packet). Declared unavailable so that no one adds the conformance by accident.
@available(*, unavailable)
extension SRTPSession: Sendable {}
