import DTLS
import ICE
import NIOCore
import RTP
import SDP
import SRTP
import STUN

/// Settings of a ``PeerConnection``.
public struct PeerConnectionConfiguration: Sendable {
    /// Full ICE for clients, lite for servers (RFC 8445 §2.5).
    public var iceMode: ICEMode = .full
    /// ICE timers and limits.
    public var ice = ICEConfiguration()
    /// The largest DTLS datagram (RFC 6347 §4.1.1.1); 1200 bytes is safe on every path, TURN and IPv6 included.
    public var mtu = 1200
    /// The DTLS-SRTP profiles to offer or accept, in order (RFC 5764 §4.1.2): AES-GCM first.
    public var srtpProfiles: [DTLSSRTPProfile] = DTLSSRTPProfile.webRTCDefault
    /// The `cname` written into `a=ssrc` (RFC 7022).
    public var canonicalName = "meeting"
    /// Sent video packets kept per stream to answer NACKs (rounded up to a power of two). 1024 is ~1 s of HD
    /// video; an sfuserver with many subscriber slots keeps fewer (the memory is per slot).
    public var retransmissionHistory = 1024

    public init() {}
}

/// A sans-IO WebRTC peer connection: ICE (RFC 8445) + DTLS-SRTP (RFC 5764) + SRTP (RFC 3711) + RTP/RTCP
/// (RFC 3550) on one BUNDLEd transport (RFC 8843) with rtcp-mux (RFC 5761), negotiated by JSEP (RFC 8829).
///
/// Like its parts it owns no socket, thread or clock. The owner
/// - feeds every datagram received on the connection's sockets to ``handleReceive(_:from:to:now:)``, which
///   demultiplexes by first byte (RFC 7983 §7): STUN to ICE, DTLS to the DTLS endpoint, RTP/RTCP through SRTP;
/// - calls ``handleTimeout(now:)`` when ``nextDeadline()`` (the earliest of ICE's and DTLS's) has passed;
/// - drains ``pollOutput()`` after every call: datagrams to send and events.
///
/// Once ICE selects a pair, the DTLS client (decided by `a=setup`, RFC 5763 §5) starts the handshake; when it
/// completes, inbound and outbound SRTP sessions are built from the exported keys (RFC 5764 §4.2) and
/// ``PeerConnectionEvent/connected`` is emitted. ``sendRTP(_:now:)`` and ``sendRTCP(_:now:)`` then protect packets
/// in place and emit them to the selected pair.
///
/// The instance holds OpenSSL and libsrtp state and is confined to one thread (in a server, its peer's event
/// loop); it is deliberately not `Sendable`.
public final class PeerConnection {
    public let configuration: PeerConnectionConfiguration
    /// Our DTLS certificate; its fingerprint goes into our descriptions.
    public let certificate: DTLSCertificate

    var ice: ICEAgent
    var dtls: DTLSEndpoint?
    var dtlsStarted = false
    var outboundSRTP: SRTPSession?
    var inboundSRTP: SRTPSession?
    var outputs = CircularBuffer<PeerConnectionOutput>(initialCapacity: 16)
    var selected: (local: SocketAddress, remote: SocketAddress)?
    /// Where DTLS answers go before ICE selected a pair on this side (the controlled side may get the
    /// ClientHello before the nomination): the path the last DTLS datagram came in on.
    var lastDTLSPath: (local: SocketAddress, remote: SocketAddress)?
    var hasFailed = false
    var isConnected = false

    // JSEP state (PeerConnection+JSEP.swift).
    var localDescription: SessionDescription?
    var remoteDescription: SessionDescription?
    var isOfferer = false
    var localSetup: DTLSSetup = .actpass
    var remoteSetup: DTLSSetup?
    var remoteFingerprints: [DTLSFingerprint] = []
    var sessionID: UInt64
    var sessionVersion: UInt64 = 1
    var ssrcSource: UInt64
    /// The negotiated media sections, once an answer exists.
    public internal(set) var negotiatedMedia: [NegotiatedMedia] = []

    // Inbound routing (RFC 8843 §9.2).
    var midExtensionID: UInt8?
    var midBySSRC: [UInt32: String] = [:]
    var midByPayloadType: [UInt8: String] = [:]

    // Loss recovery (PeerConnection+LossRecovery.swift).
    var outboundStreams: [UInt32: OutboundVideoStream] = [:]
    var nackGenerators: [UInt32: NACKGenerator] = [:]
    var nackMIDs: Set<String> = []
    /// Whether both sides agreed to reduced-size RTCP (RFC 5506); otherwise feedback goes in a compound after an RR.
    var reducedSizeRTCP = false
    var rtxAssociatedPayloadType: [UInt8: UInt8] = [:]
    var remoteRTXToMediaSSRC: [UInt32: UInt32] = [:]
    /// Packets sent again in answer to NACKs (RFC 4585 §6.2.1), as RTX or as themselves.
    public internal(set) var retransmissionsSent = 0
    /// Generic NACK packets sent for gaps in received video.
    public internal(set) var nacksSent = 0

    // RTCP reports (PeerConnection+Reports.swift).
    var sentCounters: [UInt32: SentStreamCounters] = [:]
    var receivedStreams: [UInt32: ReceivedStreamState] = [:]
    var clockRateByPayloadType: [UInt8: UInt32] = [:]
    var nextReportTime: NIODeadline?
    /// RTCP report compounds (SR or RR + SDES) sent.
    public internal(set) var reportsSent = 0
    /// PLI and FIR packets received from the peer (RFC 4585 §6.3.1, RFC 5104 §4.3.1).
    public internal(set) var keyframeRequestsReceived = 0

    /// Datagrams dropped on the input path (unknown first byte, SRTP authentication or replay failure, malformed
    /// RTP/RTCP, media before keys). Network input never throws or traps; it is counted here.
    public private(set) var droppedDatagrams = 0

    /// Creates a connection with a fresh ICE agent.
    /// - Parameters:
    ///   - certificate: our DTLS certificate (``DTLSCertificate/generate(commonName:validityDays:)``).
    ///   - generator: ICE credentials, tie-breaker, SDP session id and SSRCs come from it; pass
    ///     `SystemRandomNumberGenerator` in production, a seeded generator in tests.
    public init(
        configuration: PeerConnectionConfiguration = PeerConnectionConfiguration(), certificate: DTLSCertificate,
        using generator: inout some RandomNumberGenerator
    ) {
        self.configuration = configuration
        self.certificate = certificate
        ice = ICEAgent(mode: configuration.iceMode, role: .controlled, configuration: configuration.ice, using: &generator)
        sessionID = generator.next() >> 2
        ssrcSource = generator.next()
    }

    // MARK: Snapshot

    /// Our ICE credentials (what our descriptions carry).
    public var localICECredentials: ICECredentials { ice.localCredentials }
    /// The ICE connection state.
    public var iceConnectionState: ICEConnectionState { ice.connectionState }
    /// The ICE role (controlling for the offerer, RFC 8445 §6.1.1, unless a role conflict switched it).
    public var iceRole: ICERole { ice.role }
    /// The local and remote address media goes on.
    public var selectedPath: (local: SocketAddress, remote: SocketAddress)? { selected }
    /// The DTLS role, once both descriptions are known.
    public var dtlsRole: DTLSRole? { dtls?.role }
    /// The negotiated SRTP profile, once connected.
    public var srtpProfile: SRTPProfile? { outboundSRTP?.profile }
    /// True once DTLS completed and SRTP keys are installed.
    public var isMediaReady: Bool { outboundSRTP != nil && inboundSRTP != nil && selected != nil }

    // MARK: Candidates

    /// Adds host candidates for local socket addresses (before ``createOffer()`` / ``createAnswer()`` so they go
    /// into the description, or later with trickle ICE).
    public func addHostCandidates(_ addresses: [SocketAddress], now: NIODeadline) {
        ice.addHostCandidates(addresses, now: now)
        drain(now: now)
    }

    /// Adds one local candidate (host, relayed).
    public func addLocalCandidate(_ candidate: Candidate, now: NIODeadline) throws(PeerConnectionError) {
        do { try ice.addLocalCandidate(candidate, now: now) } catch { throw .ice(error) }
        drain(now: now)
    }

    /// Adds a trickled remote candidate (RFC 8838 §4).
    public func addRemoteCandidate(_ candidate: ICECandidate, now: NIODeadline) throws(PeerConnectionError) {
        do { try ice.addRemoteCandidate(candidate) } catch { throw .ice(error) }
        drain(now: now)
    }

    // MARK: Input

    /// Hands the connection a datagram received on the local socket bound to `local` from `source`.
    ///
    /// Demultiplexed by its first byte (RFC 7983 §7): 0–3 STUN to ICE, 20–63 DTLS, 128–191 RTP or RTCP (told
    /// apart by the packet type, RFC 5761 §4) through SRTP. Anything else, and anything that fails to decrypt or
    /// parse, is dropped and counted in ``droppedDatagrams``. The datagram is consumed: if the caller keeps no
    /// other reference, SRTP decrypts it in place without a copy.
    public func handleReceive(_ datagram: consuming ByteBuffer, from source: SocketAddress, to local: SocketAddress, now: NIODeadline) {
        guard !isClosed else { return }
        // 0xFF (no first byte) classifies as unknown.
        switch MultiplexedPacketKind(firstByte: datagram.getInteger(at: datagram.readerIndex, as: UInt8.self) ?? 0xFF) {
        case .stun:
            if !ice.handleReceive(datagram, from: source, to: local, now: now).isICE { droppedDatagrams += 1 }
        case .dtls:
            receiveDTLS(datagram, from: source, to: local, now: now)
        case .rtpOrRTCP:
            receiveMedia(consume datagram, now: now)
        case .zrtp, .channelData, .unknown:
            droppedDatagrams += 1
        }
        drain(now: now)
    }

    func receiveDTLS(_ datagram: ByteBuffer, from source: SocketAddress, to local: SocketAddress, now: NIODeadline) {
        guard let dtls else {
            droppedDatagrams += 1
            return
        }
        lastDTLSPath = (local, source)
        do {
            try dtls.handleDatagram(datagram, now: now)
        } catch {
            // Fatal errors move the endpoint to `.failed`; drainDTLS reports it.
            if case .failed = dtls.state {} else { droppedDatagrams += 1 }
        }
    }

    func receiveMedia(_ datagram: consuming ByteBuffer, now: NIODeadline) {
        guard let inboundSRTP else {
            droppedDatagrams += 1
            return
        }
        var buffer = consume datagram
        if RTCPPacketType.isRTCP(buffer) {
            do {
                try inboundSRTP.unprotectRTCP(in: &buffer)
                let packets = try RTCPPacket.parseCompound(buffer)
                for packet in packets {
                    if case .genericNACK(let nack) = packet { answerNACK(nack) }
                    noteReceivedRTCP(packet, now: now)
                }
                outputs.append(.event(.rtcpReceived(packets)))
            } catch {
                droppedDatagrams += 1
            }
            return
        }
        do {
            try inboundSRTP.unprotectRTP(in: &buffer)
            var packet = try RTPPacket(parsing: buffer)
            if !rtxAssociatedPayloadType.isEmpty {
                switch restoreFromRTX(packet) {
                case .notRTX: break
                case .restored(let original): packet = original
                case .unusable:
                    droppedDatagrams += 1
                    return
                }
            }
            let mid = mid(of: packet)
            countReceivedRTP(packet, now: now)
            noteReceivedForNACK(packet, mid: mid, now: now)
            outputs.append(.event(.rtpReceived(packet, mid: mid)))
        } catch {
            droppedDatagrams += 1
        }
    }

    /// The media section of an inbound packet (RFC 8843 §9.2): the mid header extension when present (learned
    /// per SSRC), else a payload type that only one section uses.
    func mid(of packet: RTPPacket) -> String? {
        let ssrc = packet.header.ssrc
        if let known = midBySSRC[ssrc] { return known }
        if let id = midExtensionID, let data = packet.headerExtension(id: id), data.readableBytes > 0,
            let text = data.getString(at: data.readerIndex, length: data.readableBytes)
        {
            if midBySSRC.count < 1024 { midBySSRC[ssrc] = text }
            return text
        }
        return midByPayloadType[packet.header.payloadType]
    }

    // MARK: Time

    /// When ``handleTimeout(now:)`` must next be called: the earliest of ICE's and DTLS's deadlines and the next
    /// NACK due.
    public func nextDeadline() -> NIODeadline? {
        guard !isClosed else { return nil }
        var iceDeadline = ice.nextDeadline()
        if let nack = nackDeadline { iceDeadline = min(iceDeadline ?? nack, nack) }
        if isMediaReady, let report = nextReportTime { iceDeadline = min(iceDeadline ?? report, report) }
        guard let dtlsDeadline = dtls?.nextDeadline(), dtlsStarted || dtls?.state == .handshaking else {
            return iceDeadline
        }
        guard let iceDeadline else { return dtlsDeadline }
        return min(iceDeadline, dtlsDeadline)
    }

    /// Runs ICE's and DTLS's due timers (checks, consent, DTLS retransmissions) and sends due NACKs.
    public func handleTimeout(now: NIODeadline) {
        guard !isClosed else { return }
        if let deadline = ice.nextDeadline(), deadline <= now { ice.handleTimeout(now: now) }
        if let dtls, let deadline = dtls.nextDeadline(), deadline <= now {
            do { try dtls.handleTimeout(now: now) } catch { /* reported by drainDTLS through the state */ }
        }
        sendDueNACKs(now: now)
        sendDueReports(now: now)
        drain(now: now)
    }

    // MARK: Output

    /// The next datagram to send or event; nil once drained. Drain after every call.
    public func pollOutput() -> PeerConnectionOutput? {
        outputs.popFirst()
    }

    // MARK: Sending media

    /// Protects an RTP packet (its readable bytes) with SRTP and emits it to the selected pair.
    ///
    /// The buffer is consumed: give it ``SRTPSession/maximumTrailerLength`` bytes of spare capacity and keep no
    /// other reference to it, and protection happens in place without an allocation.
    public func sendRTP(_ packet: consuming ByteBuffer, now: NIODeadline) throws(PeerConnectionError) {
        guard let outboundSRTP, let selected else { throw .notConnected }
        var buffer = consume packet
        rememberForRetransmission(buffer)
        countSentRTP(buffer, now: now)
        do { try outboundSRTP.protectRTP(in: &buffer) } catch { throw .srtp(error) }
        outputs.append(.transmit(buffer, from: selected.local, to: selected.remote))
    }

    /// Protects an RTCP compound packet with SRTCP and emits it to the selected pair (rtcp-mux, RFC 5761).
    public func sendRTCP(_ packet: consuming ByteBuffer, now: NIODeadline) throws(PeerConnectionError) {
        guard let outboundSRTP, let selected else { throw .notConnected }
        var buffer = consume packet
        do { try outboundSRTP.protectRTCP(in: &buffer) } catch { throw .srtp(error) }
        outputs.append(.transmit(buffer, from: selected.local, to: selected.remote))
    }

    /// Writes `packets` as one compound and sends it (``sendRTCP(_:now:)``).
    public func sendRTCP(_ packets: [RTCPPacket], now: NIODeadline) throws(PeerConnectionError) {
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        do { try buffer.writeRTCPCompound(packets) } catch { throw .unserializableRTCP("\(error)") }
        try sendRTCP(buffer, now: now)
    }

    // MARK: Closing

    /// True once ``close(now:)`` was called; nothing is sent or received afterwards.
    public private(set) var isClosed = false

    /// Closes the connection: DTLS sends close_notify (RFC 6347 §4.2.7 via RFC 5246 §7.2.1) to the selected pair,
    /// SRTP keys are dropped, ICE stops (no more checks or consent requests) and ``PeerConnectionEvent/closed`` is
    /// emitted. Idempotent.
    public func close(now: NIODeadline) {
        guard !isClosed else { return }
        dtls?.close(now: now)
        drainDTLS(now: now)
        isClosed = true
        outboundSRTP = nil
        inboundSRTP = nil
        selected = nil
        nackGenerators.removeAll()
        outputs.append(.event(.closed))
    }

    // MARK: Draining the parts

    func drain(now: NIODeadline) {
        drainICE(now: now)
        drainDTLS(now: now)
    }

    func drainICE(now: NIODeadline) {
        while let output = ice.pollOutput() {
            switch output {
            case .transmit(let datagram, let from, let to):
                outputs.append(.transmit(datagram, from: from, to: to))
            case .event(let event):
                handleICEEvent(event, now: now)
            }
        }
    }

    func handleICEEvent(_ event: ICEEvent, now: NIODeadline) {
        switch event {
        case .selectedPairChanged(let pair):
            selected = (pair.local.base, pair.remote.address)
            startDTLSIfReady(now: now)
        case .connectionStateChanged(let state):
            outputs.append(.event(.iceConnectionStateChanged(state)))
            if state == .failed {
                selected = nil
                fail(.iceFailed)
            }
        case .localCandidate(let candidate):
            outputs.append(.event(.localCandidate(candidate)))
        case .consentLost:
            // RFC 7675 §5.1: without consent, stop sending media at once.
            selected = nil
            fail(.iceFailed)
        case .gatheringComplete, .peerReflexiveCandidate, .roleChanged:
            break
        }
    }

    /// The DTLS client starts once ICE has a path (RFC 8842 §5.1: after ICE connectivity); the server waits.
    func startDTLSIfReady(now: NIODeadline) {
        guard let dtls, !dtlsStarted, selected != nil else { return }
        dtlsStarted = true
        guard dtls.role == .client else { return }
        do { try dtls.start(now: now) } catch { fail(.dtls(error)) }
        drainDTLS(now: now)
    }

    func drainDTLS(now: NIODeadline) {
        guard let dtls else { return }
        while let datagram = dtls.pollTransmit() {
            guard let path = selected ?? lastDTLSPath else { continue }
            outputs.append(.transmit(datagram, from: path.local, to: path.remote))
        }
        while let event = dtls.pollEvent() {
            switch event {
            case .connected(let keys):
                installSRTP(keys, role: dtls.role, now: now)
            case .closedByPeer:
                fail(.closedByPeer)
            }
        }
        if case .failed(let error) = dtls.state { fail(.dtls(error)) }
    }

    /// RFC 5764 §4.2: our write key is the client or server half by DTLS role; the peer's is the other.
    func installSRTP(_ keys: SRTPKeyingMaterial, role: DTLSRole, now: NIODeadline) {
        guard let profile = SRTPProfile(dtlsProfileID: keys.profile.rawValue) else {
            fail(.unsupportedSRTPProfile(keys.profile.rawValue))
            return
        }
        let local = keys.localMasterKeyAndSalt(role: role)
        let remote = keys.remoteMasterKeyAndSalt(role: role)
        do {
            outboundSRTP = try SRTPSession(profile: profile, masterKey: local.key, masterSalt: local.salt, direction: .outbound)
            inboundSRTP = try SRTPSession(profile: profile, masterKey: remote.key, masterSalt: remote.salt, direction: .inbound)
        } catch {
            fail(.srtp(error))
            return
        }
        if !isConnected {
            isConnected = true
            scheduleNextReport(after: now)
            outputs.append(.event(.connected))
        }
    }

    func fail(_ error: PeerConnectionError) {
        guard !hasFailed else { return }
        hasFailed = true
        outputs.append(.event(.failed(error)))
    }
}
