import ICE
import DTLS
import NIOCore
import RTP
import SDP
import SRTP
import WebRTC

/// The async API of one WebRTC connection for applications (meetclient, tests): SDP in and out as text, the
/// negotiated tracks to send on, an `AsyncStream` of received RTP per track, connection events, close.
///
/// Everything runs on the ``MediaSocket``'s event loop, where the sans-IO ``PeerConnection`` lives; each call is
/// one hop onto that loop. The media API is per packet or per frame, which suits an application's frame rate; an
/// sfuserver forwarding packets uses ``UDPMediaTransport`` and ``HostedPeerConnection`` on the loop instead.
public final class WebRTCPeer: Sendable {
    public let socket: MediaSocket
    /// Connection events (ICE state, connected, failed, closed, RTCP, local candidates); RTP goes to
    /// ``receivedRTP(mid:)`` instead. Finishes when the connection is closed.
    public let events: AsyncStream<PeerConnectionEvent>
    let session: NIOLoopBound<PeerSession>

    init(socket: MediaSocket, events: AsyncStream<PeerConnectionEvent>, session: NIOLoopBound<PeerSession>) {
        self.socket = socket
        self.events = events
        self.session = session
    }

    /// Creates a connection on `socket` with a fresh certificate; the socket's address is its host candidate.
    public static func create(
        on socket: MediaSocket, configuration: PeerConnectionConfiguration = PeerConnectionConfiguration()
    ) async throws(WebRTCDriverError) -> WebRTCPeer {
        let certificate: DTLSCertificate
        do { certificate = try DTLSCertificate.generate() } catch {
            throw .peerConnection(.dtls(error))
        }
        let (events, continuation) = AsyncStream.makeStream(
            of: PeerConnectionEvent.self, bufferingPolicy: .bufferingNewest(4096))
        do {
            let session = try await socket.withTransport { transport in
                var generator = SystemRandomNumberGenerator()
                let core = PeerConnection(configuration: configuration, certificate: certificate, using: &generator)
                let session = PeerSession(transport: transport, events: continuation)
                session.hosted = transport.host(core) { [weak session] event in session?.handle(event) }
                return NIOLoopBound(session, eventLoop: transport.eventLoop)
            }
            return WebRTCPeer(socket: socket, events: events, session: session)
        } catch {
            throw .closed
        }
    }

    /// Runs `body` on the loop with the session, then sends what it queued.
    func onLoop<Result: Sendable>(
        _ body: @escaping @Sendable (PeerSession, HostedPeerConnection) throws(WebRTCDriverError) -> Result
    ) async throws(WebRTCDriverError) -> Result {
        let session = self.session
        do {
            return try await socket.eventLoop.submit { () throws(WebRTCDriverError) -> Result in
                let value = session.value
                guard let hosted = value.hosted, !hosted.isRemoved else { throw WebRTCDriverError.closed }
                defer { value.transport.service(hosted) }
                return try body(value, hosted)
            }.get()
        } catch let error as WebRTCDriverError {
            throw error
        } catch {
            throw .closed
        }
    }

    // MARK: Signaling

    /// Creates and applies an offer (audio mid 0 Opus, video mid 1 VP8 + RTX), as SDP text.
    public func createOffer() async throws(WebRTCDriverError) -> String {
        try await onLoop { _, hosted throws(WebRTCDriverError) in
            return try core { () throws(PeerConnectionError) in try hosted.core.createOffer().serialize() }
        }
    }

    /// Creates and applies an offer with the given sections (mids `0`, `1`, …), as SDP text: what an sfuserver
    /// participant offers for its publish and subscribe connections (docs/signaling.md).
    public func createOffer(sections: [OfferedSection]) async throws(WebRTCDriverError) -> String {
        try await onLoop { _, hosted throws(WebRTCDriverError) in
            return try core { () throws(PeerConnectionError) in try hosted.core.createOffer(sections: sections).serialize() }
        }
    }

    /// Creates and applies the answer to the remote offer, as SDP text.
    public func createAnswer() async throws(WebRTCDriverError) -> String {
        try await onLoop { _, hosted throws(WebRTCDriverError) in
            return try core { () throws(PeerConnectionError) in try hosted.core.createAnswer().serialize() }
        }
    }

    /// Applies the peer's offer or answer (SDP text).
    public func setRemoteDescription(_ sdp: String) async throws(WebRTCDriverError) {
        try await onLoop { _, hosted throws(WebRTCDriverError) in
            let description: SessionDescription
            do { description = try SessionDescription.parse(sdp) } catch { throw .invalidSDP("\(error)") }
            try core { () throws(PeerConnectionError) in try hosted.core.setRemoteDescription(description, now: .now()) }
        }
    }

    /// Adds a trickled remote candidate (`candidate:…`, with or without `a=`; RFC 8838 §4).
    public func addRemoteCandidate(_ line: String) async throws(WebRTCDriverError) {
        try await onLoop { _, hosted throws(WebRTCDriverError) in
            let candidate: ICECandidate
            do { candidate = try ICECandidate.parse(line) } catch { throw .invalidSDP("\(error)") }
            try core { () throws(PeerConnectionError) in try hosted.core.addRemoteCandidate(candidate, now: .now()) }
        }
    }

    /// Waits until DTLS completed and SRTP keys are installed; throws the failure if the connection failed, or
    /// ``WebRTCDriverError/timedOut(_:)``.
    public func waitUntilConnected(timeout: TimeAmount) async throws(WebRTCDriverError) {
        let future: EventLoopFuture<Void> = try await onLoop { session, hosted throws(WebRTCDriverError) in
            session.connectionFuture(hosted: hosted, timeout: timeout)
        }
        do { try await future.get() } catch let error as WebRTCDriverError { throw error } catch { throw .closed }
    }

    // MARK: Media

    /// The negotiated sections we send on (after the answer).
    public func localTracks() async throws(WebRTCDriverError) -> [LocalTrack] {
        try await onLoop { _, hosted in hosted.core.negotiatedMedia.compactMap(LocalTrack.init) }
    }

    /// The negotiated section of a kind we send on.
    public func localTrack(_ kind: MediaKind) async throws(WebRTCDriverError) -> LocalTrack {
        guard let track = try await localTracks().first(where: { $0.kind == kind }) else {
            throw .noSuchTrack("\(kind)")
        }
        return track
    }

    /// The RTP packets received for the section with `mid` (decrypted, RTX restored), in arrival order. One
    /// stream per mid: asking again replaces the previous stream, which finishes. Packets for a mid nobody asked
    /// for are dropped.
    public func receivedRTP(mid: String) async throws(WebRTCDriverError) -> AsyncStream<RTPPacket> {
        let (stream, continuation) = AsyncStream.makeStream(of: RTPPacket.self, bufferingPolicy: .bufferingNewest(8192))
        try await onLoop { session, _ in
            session.rtpStreams[mid]?.finish()
            session.rtpStreams[mid] = continuation
        }
        return stream
    }

    /// Sends one frame on a track: each payload (already packetized, e.g. VP8 payload descriptor + partition,
    /// or one Opus packet) becomes one RTP packet with the next sequence number and `timestamp`; the marker bit is
    /// set on the last (RFC 7741 §4.1: the last packet of a video frame; RFC 7587 §4.1: audio, first after
    /// silence, ignored by receivers here). One loop hop per frame.
    public func sendFrame(
        _ payloads: [[UInt8]], on track: LocalTrack, timestamp: UInt32, marker: Bool = true
    ) async throws(WebRTCDriverError) {
        try await onLoop { session, hosted throws(WebRTCDriverError) in
            for (index, payload) in payloads.enumerated() {
                let packet = session.packet(
                    track: track, payload: payload, timestamp: timestamp,
                    marker: marker && index == payloads.count - 1)
                try core { () throws(PeerConnectionError) in try hosted.core.sendRTP(packet, now: .now()) }
            }
        }
    }

    /// ``sendFrame(_:on:timestamp:marker:)`` for payloads in buffers (what ``VP8Packetizer`` produces).
    public func sendFrame(
        _ payloads: [ByteBuffer], on track: LocalTrack, timestamp: UInt32, marker: Bool = true
    ) async throws(WebRTCDriverError) {
        try await sendFrame(
            payloads.map { Array($0.readableBytesView) }, on: track, timestamp: timestamp, marker: marker)
    }

    /// Whether the peer asked for a keyframe on `track` (PLI, RFC 4585 §6.3.1, or FIR, RFC 5104 §4.3.1) since the
    /// last call; the caller's encoder should then code its next picture as a keyframe.
    public func takeKeyframeRequest(for track: LocalTrack) async throws(WebRTCDriverError) -> Bool {
        try await onLoop { session, _ in session.keyframeRequests.remove(track.ssrc) != nil }
    }

    /// Asks the peer for a keyframe of what it sends in section `mid`: a PLI (RFC 4585 §6.3.1), or a FIR with the
    /// next command sequence number (RFC 5104 §4.3.1.1) when `fullIntraRequest` is set. Use it when decoding
    /// fails or a frame was lost. Throws ``WebRTCDriverError/noSuchTrack(_:)`` before any packet of that section
    /// arrived (its SSRC is not known yet).
    public func requestKeyframe(mid: String, fullIntraRequest: Bool = false) async throws(WebRTCDriverError) {
        try await onLoop { session, hosted throws(WebRTCDriverError) in
            guard let mediaSSRC = session.remoteSSRCByMID[mid] else { throw .noSuchTrack("mid \(mid) (nothing received yet)") }
            let sender = hosted.core.negotiatedMedia.first { $0.mid == mid }?.localSSRC ?? 1
            let packet: RTCPPacket
            if fullIntraRequest {
                session.firSequenceNumber &+= 1
                packet = .fullIntraRequest(
                    RTCPFullIntraRequest(
                        senderSSRC: sender,
                        entries: [RTCPFullIntraRequest.Entry(ssrc: mediaSSRC, sequenceNumber: session.firSequenceNumber)]))
            } else {
                packet = .pictureLossIndication(RTCPPictureLossIndication(senderSSRC: sender, mediaSSRC: mediaSSRC))
            }
            try core { () throws(PeerConnectionError) in try hosted.core.sendRTCP([packet], now: .now()) }
        }
    }

    /// Sends an RTP packet as it is (its readable bytes), protected with SRTP.
    public func sendRTP(_ packet: ByteBuffer) async throws(WebRTCDriverError) {
        try await onLoop { _, hosted throws(WebRTCDriverError) in
            try core { () throws(PeerConnectionError) in try hosted.core.sendRTP(packet, now: .now()) }
        }
    }

    /// Sends an RTCP compound (e.g. a PLI asking the peer for a keyframe, RFC 4585 §6.3.1).
    public func sendRTCP(_ packets: [RTCPPacket]) async throws(WebRTCDriverError) {
        try await onLoop { _, hosted throws(WebRTCDriverError) in
            try core { () throws(PeerConnectionError) in try hosted.core.sendRTCP(packets, now: .now()) }
        }
    }

    /// Counters of the connection.
    public func statistics() async throws(WebRTCDriverError) -> WebRTCPeerStatistics {
        try await onLoop { session, hosted in
            WebRTCPeerStatistics(
                droppedDatagrams: hosted.core.droppedDatagrams, unclaimedRTP: session.unclaimedRTP,
                nacksSent: hosted.core.nacksSent, retransmissionsSent: hosted.core.retransmissionsSent,
                srtpProfile: hosted.core.srtpProfile)
        }
    }

    /// Closes the connection (close_notify goes out) and finishes every stream. The socket stays open.
    public func close() async {
        let session = self.session
        try? await socket.eventLoop.submit {
            let value = session.value
            if let hosted = value.hosted { value.transport.remove(hosted) }
            value.finish(.closed)
        }.get()
    }
}

/// Runs a call into the core, turning its error into the driver's.
func core<Result>(_ body: () throws(PeerConnectionError) -> Result) throws(WebRTCDriverError) -> Result {
    do { return try body() } catch { throw .peerConnection(error) }
}

/// Counters of a ``WebRTCPeer``.
public struct WebRTCPeerStatistics: Sendable {
    /// Datagrams the core dropped (see ``PeerConnection/droppedDatagrams``).
    public var droppedDatagrams: Int
    /// RTP packets for a mid no ``WebRTCPeer/receivedRTP(mid:)`` stream was asked for.
    public var unclaimedRTP: Int
    public var nacksSent: Int
    public var retransmissionsSent: Int
    public var srtpProfile: SRTPProfile?
}

/// The loop-confined state behind a ``WebRTCPeer``.
final class PeerSession {
    let transport: UDPMediaTransport
    var hosted: HostedPeerConnection?
    let events: AsyncStream<PeerConnectionEvent>.Continuation
    var rtpStreams: [String: AsyncStream<RTPPacket>.Continuation] = [:]
    var sequenceNumbers: [UInt32: UInt16] = [:]
    var connectionWaiters: [EventLoopPromise<Void>] = []
    var isConnected = false
    var failure: WebRTCDriverError?
    var unclaimedRTP = 0
    /// Our SSRCs the peer asked a keyframe for (PLI/FIR), until the application takes the request.
    var keyframeRequests: Set<UInt32> = []
    /// The SSRC last seen per received section (the target of our PLI/FIR).
    var remoteSSRCByMID: [String: UInt32] = [:]
    var firSequenceNumber: UInt8 = 0

    init(transport: UDPMediaTransport, events: AsyncStream<PeerConnectionEvent>.Continuation) {
        self.transport = transport
        self.events = events
    }

    func handle(_ event: PeerConnectionEvent) {
        switch event {
        case .rtpReceived(let packet, let mid):
            if let mid, remoteSSRCByMID[mid] != packet.header.ssrc, remoteSSRCByMID.count < 64 {
                remoteSSRCByMID[mid] = packet.header.ssrc
            }
            if let mid, let stream = rtpStreams[mid] {
                stream.yield(packet)
            } else {
                unclaimedRTP += 1
            }
            return
        case .connected:
            isConnected = true
            for waiter in connectionWaiters { waiter.succeed() }
            connectionWaiters.removeAll()
        case .failed(let error):
            failure = .peerConnection(error)
            for waiter in connectionWaiters { waiter.fail(WebRTCDriverError.peerConnection(error)) }
            connectionWaiters.removeAll()
        case .closed:
            events.yield(event)
            finish(.closed)
            return
        case .rtcpReceived(let packets):
            for packet in packets {
                switch packet {
                // Bounded: a peer naming random SSRCs must not grow the set (ours are a handful).
                case .pictureLossIndication(let pli) where keyframeRequests.count < 64:
                    keyframeRequests.insert(pli.mediaSSRC)
                case .fullIntraRequest(let fir) where keyframeRequests.count < 64:
                    for entry in fir.entries.prefix(8) { keyframeRequests.insert(entry.ssrc) }
                default: break
                }
            }
        case .iceConnectionStateChanged, .localCandidate:
            break
        }
        events.yield(event)
    }

    func finish(_ error: WebRTCDriverError) {
        if failure == nil { failure = error }
        for waiter in connectionWaiters { waiter.fail(error) }
        connectionWaiters.removeAll()
        for stream in rtpStreams.values { stream.finish() }
        rtpStreams.removeAll()
        events.finish()
    }

    func connectionFuture(hosted: HostedPeerConnection, timeout: TimeAmount) -> EventLoopFuture<Void> {
        let loop = transport.eventLoop
        if isConnected { return loop.makeSucceededVoidFuture() }
        if let failure { return loop.makeFailedFuture(failure) }
        let promise = loop.makePromise(of: Void.self)
        connectionWaiters.append(promise)
        let timer = loop.assumeIsolated().scheduleTask(in: timeout) {
            promise.fail(WebRTCDriverError.timedOut("no connection within \(timeout)"))
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        return promise.futureResult
    }

    /// An RTP packet for `track` with the next sequence number, the mid extension, and room for the SRTP tag.
    func packet(track: LocalTrack, payload: [UInt8], timestamp: UInt32, marker: Bool) -> ByteBuffer {
        let sequenceNumber: UInt16
        if let next = sequenceNumbers[track.ssrc] {
            sequenceNumber = next
        } else {
            sequenceNumber = UInt16.random(in: 0...0x7FFF)  // RFC 3550 §5.1: a random start
        }
        sequenceNumbers[track.ssrc] = sequenceNumber &+ 1
        var buffer = ByteBufferAllocator().buffer(capacity: 32 + payload.count + SRTPSession.maximumTrailerLength)
        let extensions = track.midExtensionID.map {
            RTPHeaderExtensionBlock.oneByte([RTPHeaderExtensionElement(id: $0, data: Array(track.mid.utf8))])
        }
        // Header fields within their ranges (payload type < 128, one-byte extension data ≤ 16 bytes for mids
        // we generate) cannot fail to serialize; a failure leaves an empty buffer that SRTP refuses.
        try? buffer.writeRTPPacket(
            RTPHeaderFields(
                marker: marker, payloadType: track.payloadType, sequenceNumber: sequenceNumber, timestamp: timestamp,
                ssrc: track.ssrc, extensions: extensions),
            payload: payload)
        return buffer
    }
}
