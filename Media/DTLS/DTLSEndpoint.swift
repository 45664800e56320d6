import CMediaShims
import COpenSSL
import NIOCore

/// Where a ``DTLSEndpoint`` stands.
public enum DTLSState: Hashable, Sendable {
    /// Created; a client has not sent its ClientHello yet (``DTLSEndpoint/start(now:)``).
    case new
    /// Flights are being exchanged (RFC 6347 §4.2.4).
    case handshaking
    /// The handshake finished, the peer's fingerprint matched and SRTP keys were exported.
    case connected
    /// A close_notify was sent or received (RFC 5246 §7.2.1); nothing more is processed.
    case closed
    /// The connection failed; nothing more is processed. Any alert OpenSSL produced is still in
    /// ``DTLSEndpoint/pollTransmit()``.
    case failed(DTLSError)
}

/// Something the owner of a ``DTLSEndpoint`` should act on, taken with ``DTLSEndpoint/pollEvent()``.
public enum DTLSEvent: Hashable, Sendable {
    /// The handshake completed: SRTP can start with these keys (RFC 5764 §4.2).
    case connected(SRTPKeyingMaterial)
    /// The peer sent close_notify (RFC 5246 §7.2.1); our own close_notify was queued in reply.
    case closedByPeer
}

/// One DTLS 1.2 association (RFC 6347) used only for DTLS-SRTP key agreement (RFC 5764), driven sans-IO.
///
/// The owner feeds received datagrams with ``handleDatagram(_:now:)``, sends whatever ``pollTransmit()`` returns
/// (one UDP datagram each, never merged or split), reads ``pollEvent()``, and calls ``handleTimeout(now:)`` when
/// ``nextDeadline()`` passes. No sockets or threads inside.
///
/// Both sides must present a certificate, and the peer's must hash to an `a=fingerprint` of the remote
/// description (RFC 5763 §5, RFC 8122 §5); it is checked inside the handshake, so a mismatch aborts it with a
/// `bad_certificate` alert. The `use_srtp` extension offers the given profiles in order, AES-GCM first
/// (RFC 5764 §4.1.1, RFC 7714 §14.2). Application data is not supported (no data channels); anything the peer sends
/// as application data is read and dropped.
///
/// **Time.** OpenSSL's retransmission timer (RFC 6347 §4.2.4.1) reads the real clock itself. ``nextDeadline()`` is
/// therefore `now` of the latest call plus the time OpenSSL reports as left (`DTLSv1_get_timeout`), and
/// ``handleTimeout(now:)`` asks OpenSSL to retransmit (`DTLSv1_handle_timeout`), which it only does once its own
/// timer has really expired; if called early it does nothing and the deadline is recomputed. With a driver that
/// passes the real time this is exact; in virtual-time tests, retransmissions need real time to pass.
///
/// The OpenSSL objects are confined to this instance, which is deliberately not `Sendable`: use it from one thread
/// (in a server, the event loop of its peer).
public final class DTLSEndpoint {
    /// Client (sends the ClientHello) or server.
    public let role: DTLSRole
    /// The largest datagram this endpoint writes, in bytes (UDP payload).
    public let mtu: Int
    /// Where the connection stands.
    public private(set) var state: DTLSState = .new
    /// The exported SRTP keys, once ``state`` is `.connected`.
    public private(set) var keyingMaterial: SRTPKeyingMaterial?

    private let context: DTLSConnectionContext
    private let sslContext: OpaquePointer
    private let ssl: OpaquePointer
    private var events = CircularBuffer<DTLSEvent>(initialCapacity: 2)
    private var timerDeadline: NIODeadline?
    private var readScratch = [UInt8](repeating: 0, count: 2048)

    /// The smallest MTU accepted; OpenSSL itself refuses MTUs below its own minimum of 256 bytes.
    public static let minimumMTU = 256

    /// Creates an endpoint.
    /// - Parameters:
    ///   - role: from the SDP setup attributes, see ``DTLSSetup/role(local:remote:)``.
    ///   - certificate: our certificate (its fingerprint is in our description).
    ///   - remoteFingerprints: the `a=fingerprint` values of the remote description; the peer must match one.
    ///   - mtu: the largest datagram to write (default 1200, safe on any path incl. TURN and IPv6).
    ///   - srtpProfiles: the profiles to offer (client) or accept (server), in order of preference.
    ///   - initialRetransmitTimeout: the first retransmission timeout; RFC 6347 §4.2.4.1 recommends 1 s. It
    ///     doubles per retransmission up to 60 s.
    public init(
        role: DTLSRole,
        certificate: DTLSCertificate,
        remoteFingerprints: [DTLSFingerprint],
        mtu: Int = 1200,
        srtpProfiles: [DTLSSRTPProfile] = DTLSSRTPProfile.webRTCDefault,
        initialRetransmitTimeout: TimeAmount = .seconds(1)
    ) throws(DTLSError) {
        guard !remoteFingerprints.isEmpty else { throw .noUsableFingerprint }
        guard !srtpProfiles.isEmpty else { throw .noSRTPProfilesOffered }
        guard mtu >= Self.minimumMTU, mtu <= 65_507 else { throw .configuration("MTU \(mtu) is out of range") }
        let initialMicroseconds = min(max(initialRetransmitTimeout.nanoseconds / 1000, 1000), 60_000_000)
        self.role = role
        self.mtu = mtu
        context = DTLSConnectionContext(
            mtu: mtu,
            expectedFingerprints: remoteFingerprints,
            initialRetransmitMicroseconds: UInt32(initialMicroseconds)
        )

        OpenSSLErrorQueue.clear()
        guard let sslContext = SSL_CTX_new(DTLS_method()) else {
            throw .configuration(OpenSSLErrorQueue.drain(fallback: "SSL_CTX_new failed"))
        }
        do {
            try Self.configure(sslContext, certificate: certificate, srtpProfiles: srtpProfiles)
        } catch {
            SSL_CTX_free(sslContext)
            throw error
        }
        guard let ssl = SSL_new(sslContext) else {
            SSL_CTX_free(sslContext)
            throw .configuration(OpenSSLErrorQueue.drain(fallback: "SSL_new failed"))
        }
        self.sslContext = sslContext
        self.ssl = ssl
        // From here on `deinit` frees both.

        guard let readBIO = BIO_new(BIO_s_mem()) else {
            throw .configuration(OpenSSLErrorQueue.drain(fallback: "BIO_new(BIO_s_mem) failed"))
        }
        // An empty read BIO means "no datagram yet" (retry), not end of stream.
        _ = CMediaShims_BIO_set_mem_eof_return(readBIO, -1)
        guard let writeBIO = DatagramWriteBIO.make(context: context) else {
            BIO_free(readBIO)
            throw .configuration(OpenSSLErrorQueue.drain(fallback: "cannot create the datagram BIO"))
        }
        SSL_set_bio(ssl, readBIO, writeBIO)  // The SSL owns both BIOs now.
        guard SSL_set_ex_data(ssl, 0, Unmanaged.passUnretained(context).toOpaque()) == 1 else {
            throw .configuration(OpenSSLErrorQueue.drain(fallback: "SSL_set_ex_data failed"))
        }
        // Explicit MTU: never ask the BIO, never shrink it after timeouts (OpenSSL does both by default).
        _ = SSL_set_options(ssl, CMediaShims_SSL_OP_NO_QUERY_MTU())
        guard CMediaShims_SSL_set_mtu(ssl, mtu) > 0 else {  // returns the MTU on success
            throw .configuration(OpenSSLErrorQueue.drain(fallback: "SSL_set_mtu(\(mtu)) refused"))
        }
        DTLS_set_timer_cb(ssl, dtlsRetransmitTimer)
        switch role {
        case .client: SSL_set_connect_state(ssl)
        case .server: SSL_set_accept_state(ssl)
        }
    }

    deinit {
        SSL_free(ssl)  // frees both BIOs; the write BIO's unretained context pointer dies with it
        SSL_CTX_free(sslContext)
    }

    /// Certificate, key, verification, ciphers and `use_srtp` profiles on a fresh context.
    private static func configure(
        _ sslContext: OpaquePointer,
        certificate: DTLSCertificate,
        srtpProfiles: [DTLSSRTPProfile]
    ) throws(DTLSError) {
        guard let x509 = certificate.makeX509() else {
            throw .invalidCertificate(OpenSSLErrorQueue.drain(fallback: "d2i_X509 failed"))
        }
        defer { X509_free(x509) }
        guard let key = certificate.makePrivateKey() else {
            throw .invalidCertificate(OpenSSLErrorQueue.drain(fallback: "d2i_AutoPrivateKey failed"))
        }
        defer { EVP_PKEY_free(key) }
        guard SSL_CTX_use_certificate(sslContext, x509) == 1, SSL_CTX_use_PrivateKey(sslContext, key) == 1,
            SSL_CTX_check_private_key(sslContext) == 1
        else {
            throw .invalidCertificate(OpenSSLErrorQueue.drain(fallback: "the certificate or key was refused"))
        }
        // DTLS 1.2 only (RFC 8827 §6.5); DTLS 1.0 is obsolete (RFC 8996).
        guard SSL_CTX_ctrl(sslContext, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(DTLS1_2_VERSION), nil) == 1,
            SSL_CTX_ctrl(sslContext, SSL_CTRL_SET_MAX_PROTO_VERSION, Int(DTLS1_2_VERSION), nil) == 1
        else {
            throw .configuration(OpenSSLErrorQueue.drain(fallback: "cannot restrict to DTLS 1.2"))
        }
        // ECDHE with ECDSA certificates, AEAD first: what browsers offer (RFC 8827 §6.5 requires
        // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256).
        let ciphers =
            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
            + "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA"
        guard SSL_CTX_set_cipher_list(sslContext, ciphers) == 1 else {
            throw .configuration(OpenSSLErrorQueue.drain(fallback: "SSL_CTX_set_cipher_list failed"))
        }
        // No session tickets or resumption: every WebRTC association is fresh.
        _ = SSL_CTX_set_options(sslContext, CMediaShims_SSL_OP_NO_TICKET())
        _ = SSL_CTX_ctrl(sslContext, SSL_CTRL_SET_SESS_CACHE_MODE, Int(SSL_SESS_CACHE_OFF), nil)
        // Both sides must send a certificate; it is trusted by fingerprint, not by a chain (RFC 5763 §5).
        SSL_CTX_set_verify(
            sslContext,
            SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
            verifyPeerCertificateByFingerprint
        )
        // RFC 5764 §4.1.1; OpenSSL returns 0 on success here, unlike almost everywhere else.
        let profiles = srtpProfiles.map(\.openSSLName).joined(separator: ":")
        guard SSL_CTX_set_tlsext_use_srtp(sslContext, profiles) == 0 else {
            throw .configuration(OpenSSLErrorQueue.drain(fallback: "SSL_CTX_set_tlsext_use_srtp failed"))
        }
    }

    // MARK: Driving

    /// Starts the handshake: a client writes its ClientHello (RFC 6347 §4.2.1); a server just waits. Called
    /// implicitly by the first ``handleDatagram(_:now:)`` or ``handleTimeout(now:)``.
    public func start(now: NIODeadline) throws(DTLSError) {
        guard case .new = state else { return }
        state = .handshaking
        try driveHandshake(now: now)
    }

    /// Processes one received datagram (a UDP payload whose first byte is 20...63, RFC 7983 §7). Invalid records
    /// are dropped silently, as RFC 6347 §4.1.2.7 asks. Throws only when the connection fails; the error is also
    /// kept in ``state``, and later datagrams are ignored.
    public func handleDatagram(_ datagram: ByteBuffer, now: NIODeadline) throws(DTLSError) {
        if case .new = state { try start(now: now) }
        switch state {
        case .handshaking, .connected: break
        case .new, .closed, .failed: return
        }
        guard datagram.readableBytes > 0, datagram.readableBytes <= 65_535 else { return }
        let written = datagram.withUnsafeReadableBytes { bytes -> Int32 in
            guard let base = bytes.baseAddress, let readBIO = SSL_get_rbio(ssl) else { return 0 }
            return BIO_write(readBIO, base, Int32(bytes.count))
        }
        guard written > 0 else { return }
        if case .handshaking = state {
            try driveHandshake(now: now)
        }
        if case .connected = state {
            try readRecords(now: now)
        }
        // Whatever OpenSSL did not consume belongs to no later datagram; drop it so datagrams never merge.
        if let readBIO = SSL_get_rbio(ssl), BIO_ctrl_pending(readBIO) > 0 {
            _ = BIO_ctrl(readBIO, BIO_CTRL_RESET, 0, nil)
            _ = CMediaShims_BIO_set_mem_eof_return(readBIO, -1)
        }
    }

    /// Retransmits the last flight if OpenSSL's timer expired (RFC 6347 §4.2.4); fails the connection after
    /// OpenSSL's limit of retransmissions.
    public func handleTimeout(now: NIODeadline) throws(DTLSError) {
        if case .new = state { try start(now: now) }
        switch state {
        case .handshaking, .connected: break
        case .new, .closed, .failed: return
        }
        OpenSSLErrorQueue.clear()
        if CMediaShims_DTLSv1_handle_timeout(ssl) < 0 {
            _ = OpenSSLErrorQueue.drain(fallback: "")
            try fail(.handshakeTimedOut)
        }
        updateTimer(now: now)
    }

    /// The next datagram to send, or nil when none is queued. Each is one complete DTLS datagram of at most
    /// ``mtu`` bytes, to be sent as one UDP payload.
    public func pollTransmit() -> ByteBuffer? {
        context.outbound.popFirst()
    }

    /// The next event, or nil.
    public func pollEvent() -> DTLSEvent? {
        events.popFirst()
    }

    /// When ``handleTimeout(now:)`` should be called next, or nil if no retransmission timer runs. Computed as the
    /// `now` given to the latest call plus the time OpenSSL's own (real-clock) timer has left.
    public func nextDeadline() -> NIODeadline? {
        timerDeadline
    }

    /// Sends close_notify (RFC 5246 §7.2.1) if connected, and stops processing. Idempotent.
    public func close(now: NIODeadline) {
        switch state {
        case .connected:
            OpenSSLErrorQueue.clear()
            _ = SSL_shutdown(ssl)
            _ = OpenSSLErrorQueue.drain(fallback: "")
        case .new, .handshaking:
            break
        case .closed, .failed:
            return
        }
        state = .closed
        timerDeadline = nil
    }

    /// The fingerprint of the certificate the peer presented, once its certificate was seen.
    public var peerFingerprint: DTLSFingerprint? {
        context.peerFingerprint
    }

    /// The negotiated cipher suite's OpenSSL name (e.g. `ECDHE-ECDSA-AES128-GCM-SHA256`), once connected.
    public var cipherSuiteName: String? {
        guard case .connected = state, let cipher = SSL_get_current_cipher(ssl), let name = SSL_CIPHER_get_name(cipher)
        else { return nil }
        return String(cString: name)
    }

    // MARK: Internals

    private func driveHandshake(now: NIODeadline) throws(DTLSError) {
        OpenSSLErrorQueue.clear()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            try finishHandshake(now: now)
            return
        }
        let error = SSL_get_error(ssl, result)
        switch error {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            updateTimer(now: now)
        default:
            let reason = OpenSSLErrorQueue.drain(fallback: "SSL_do_handshake: SSL_get_error \(error)")
            try fail(context.verificationFailure ?? .handshakeFailed(reason))
        }
    }

    /// Checks the peer certificate and the SRTP profile, then exports the keys (RFC 5764 §4.2).
    private func finishHandshake(now: NIODeadline) throws(DTLSError) {
        // The verify callback already compared fingerprints; check again that a certificate was seen at all.
        guard let peerCertificate = SSL_get1_peer_certificate(ssl) else {
            try failAfterHandshake(.noPeerCertificate)
            return
        }
        let accepted = context.acceptsPeerCertificate(peerCertificate)
        X509_free(peerCertificate)
        if !accepted {
            try failAfterHandshake(context.verificationFailure ?? .noPeerCertificate)
        }
        guard let selected = SSL_get_selected_srtp_profile(ssl),
            let profile = DTLSSRTPProfile(rawValue: UInt16(truncatingIfNeeded: selected.pointee.id))
        else {
            try failAfterHandshake(.noSRTPProfileNegotiated)
            return
        }
        let length = 2 * (profile.masterKeyLength + profile.masterSaltLength)
        var exported = [UInt8](repeating: 0, count: length)
        let label = "EXTRACTOR-dtls_srtp"
        let ok = exported.withUnsafeMutableBufferPointer { buffer in
            SSL_export_keying_material(ssl, buffer.baseAddress, length, label, label.utf8.count, nil, 0, 0)
        }
        guard ok == 1, let material = SRTPKeyingMaterial(profile: profile, exported: exported) else {
            try failAfterHandshake(.keyExportFailed(OpenSSLErrorQueue.drain(fallback: "SSL_export_keying_material")))
            return
        }
        keyingMaterial = material
        state = .connected
        events.append(.connected(material))
        updateTimer(now: now)
    }

    /// After the handshake: reads records so alerts (close_notify) and retransmitted flights are processed;
    /// application data is discarded.
    private func readRecords(now: NIODeadline) throws(DTLSError) {
        while true {
            OpenSSLErrorQueue.clear()
            let count = readScratch.withUnsafeMutableBytes { buffer in
                SSL_read(ssl, buffer.baseAddress, Int32(buffer.count))
            }
            if count > 0 { continue }
            let error = SSL_get_error(ssl, count)
            switch error {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                updateTimer(now: now)
                return
            case SSL_ERROR_ZERO_RETURN:
                // close_notify from the peer; answer with ours (RFC 5246 §7.2.1).
                _ = SSL_shutdown(ssl)
                _ = OpenSSLErrorQueue.drain(fallback: "")
                state = .closed
                timerDeadline = nil
                events.append(.closedByPeer)
                return
            default:
                try fail(.connectionFailed(OpenSSLErrorQueue.drain(fallback: "SSL_read: SSL_get_error \(error)")))
            }
        }
    }

    private func updateTimer(now: NIODeadline) {
        var seconds = 0
        var microseconds = 0
        if CMediaShims_DTLSv1_get_timeout(ssl, &seconds, &microseconds) > 0 {
            timerDeadline = now + .seconds(Int64(seconds)) + .microseconds(Int64(microseconds))
        } else {
            timerDeadline = nil
        }
    }

    private func fail(_ error: DTLSError) throws(DTLSError) {
        state = .failed(error)
        timerDeadline = nil
        throw error
    }

    /// A failure discovered after OpenSSL finished the handshake: tell the peer with close_notify, then fail.
    private func failAfterHandshake(_ error: DTLSError) throws(DTLSError) {
        _ = SSL_shutdown(ssl)
        _ = OpenSSLErrorQueue.drain(fallback: "")
        try fail(error)
    }
}

/// OpenSSL's certificate verification callback: the chain is not checked (WebRTC certificates are self-signed),
/// but the leaf must hash to an expected fingerprint (RFC 5763 §5, RFC 8122 §5). Returning 0 makes OpenSSL abort
/// the handshake with a bad_certificate alert.
private func verifyPeerCertificateByFingerprint(_: Int32, _ store: OpaquePointer?) -> Int32 {
    guard let store,
        let sslPointer = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()),
        let contextPointer = SSL_get_ex_data(OpaquePointer(sslPointer), 0),
        let leaf = X509_STORE_CTX_get0_cert(store)
    else { return 0 }
    let context = Unmanaged<DTLSConnectionContext>.fromOpaque(contextPointer).takeUnretainedValue()
    return context.acceptsPeerCertificate(leaf) ? 1 : 0
}

/// OpenSSL's retransmission timer callback (`DTLS_set_timer_cb`): the first timeout from the endpoint's
/// configuration, then doubling up to 60 s (RFC 6347 §4.2.4.1).
private func dtlsRetransmitTimer(_ ssl: OpaquePointer?, _ currentMicroseconds: UInt32) -> UInt32 {
    if currentMicroseconds == 0 {
        guard let ssl, let contextPointer = SSL_get_ex_data(ssl, 0) else { return 1_000_000 }
        return Unmanaged<DTLSConnectionContext>.fromOpaque(contextPointer).takeUnretainedValue()
            .initialRetransmitMicroseconds
    }
    return min(currentMicroseconds.multipliedReportingOverflow(by: 2).partialValue, 60_000_000)
}

/// Not `Sendable`: the `SSL` object and the datagram queue are used without locks, so an endpoint must stay on
/// one thread (its peer's event loop). Declared unavailable so that no one adds the conformance by accident.
@available(*, unavailable)
extension DTLSEndpoint: Sendable {}
