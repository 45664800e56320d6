import DTLS
import ICE
import NIOCore
import SDP

// Minimal JSEP (RFC 8829): one audio and one video section offered, any number of audio/video sections answered,
// everything on one BUNDLE transport (RFC 8843) with rtcp-mux (RFC 5761), DTLS-SRTP (RFC 5763, RFC 8842).
//
// `createOffer()` and `createAnswer()` also apply the description locally (there is no separate
// setLocalDescription); a description is applied once, renegotiation is not supported yet.
extension PeerConnection {
    /// The SDP `m=` protocol for DTLS-SRTP with RTCP feedback (RFC 5764 §8, RFC 8829 §5.1.2).
    static let mediaProtocol = "UDP/TLS/RTP/SAVPF"

    /// Creates and applies an offer with an audio section (mid `0`, Opus 111 48000/2) and a video section
    /// (mid `1`, VP8 96 with RTX 97; nack, nack pli, ccm fir, goog-remb, transport-cc), both sendrecv, in one
    /// BUNDLE group, with rtcp-mux, our ICE credentials and candidates, our fingerprint and `a=setup:actpass`
    /// (RFC 8829 §5.2.1, RFC 8842 §5.2). The offerer is the controlling ICE agent (RFC 8445 §6.1.1).
    public func createOffer() throws(PeerConnectionError) -> SessionDescription {
        try createOffer(sections: [OfferedSection(kind: .audio, direction: .sendrecv),
            OfferedSection(kind: .video, direction: .sendrecv)])
    }

    /// Creates and applies an offer with the given sections, mids `0`, `1`, … in order (RFC 8829 §5.2.1): e.g.
    /// one sendonly audio and video section to publish to an sfuserver, or several recvonly sections as its
    /// subscribe slots (docs/signaling.md). Every section has its own SSRC (and RTX SSRC for video).
    public func createOffer(sections requested: [OfferedSection]) throws(PeerConnectionError) -> SessionDescription {
        guard localDescription == nil, remoteDescription == nil else {
            throw .wrongSignalingState("an offer or answer was already applied; renegotiation is not supported")
        }
        guard !requested.isEmpty, requested.count <= 64 else {
            throw .wrongSignalingState("an offer has 1 to 64 media sections, not \(requested.count)")
        }
        isOfferer = true
        localSetup = .actpass
        if configuration.iceMode == .full { ice.setRole(.controlling) }
        var sections: [MediaDescription] = []
        var negotiated: [NegotiatedMedia] = []
        for (index, section) in requested.enumerated() {
            let kind = section.kind
            let ssrc = nextSSRC()
            let rtxSSRC = kind == .video ? nextSSRC() : nil
            let media = NegotiatedMedia(
                mid: String(index), kind: kind, codecs: MediaCapabilities.codecs(for: kind),
                headerExtensions: MediaCapabilities.headerExtensions(for: kind), localSSRC: ssrc, localRTXSSRC: rtxSSRC)
            sections.append(mediaSection(media, direction: section.direction, setup: .actpass))
            negotiated.append(media)
        }
        let offer = sessionDescription(media: sections, bundle: negotiated.map(\.mid))
        negotiatedMedia = negotiated  // Provisional until the answer narrows it.
        localDescription = offer
        return offer
    }

    /// Creates and applies the answer to the remote offer (RFC 8829 §5.3.1): each audio/video section keeps its
    /// mid and the offer's payload type numbers and extension ids, with the codecs we support by name (Opus;
    /// VP8 and the RTX formats whose `apt` is an accepted VP8), the feedback and header extensions we understand,
    /// and the reversed direction. Other sections (data channels) and sections with no common codec are rejected
    /// with port 0 and left out of the BUNDLE group. `a=setup:active` when the offer says actpass (RFC 8842
    /// §5.3), so we start the DTLS handshake once ICE selects a pair.
    public func createAnswer() throws(PeerConnectionError) -> SessionDescription {
        guard let offer = remoteDescription, !isOfferer, localDescription == nil else {
            throw .wrongSignalingState("createAnswer() needs a remote offer and no local description")
        }
        guard let offeredSetup = remoteSetup, let answerSetup = DTLSSetup.answer(toOffered: offeredSetup) else {
            throw .missingAttribute("a usable a=setup")
        }
        localSetup = answerSetup
        var sections: [MediaDescription] = []
        var negotiated: [NegotiatedMedia] = []
        for offered in offer.media {
            guard let mid = offered.mid, offered.isRTP, !offered.isRejected,
                offered.kind == .audio || offered.kind == .video
            else {
                sections.append(rejectedSection(offered))
                continue
            }
            let codecs = answeredCodecs(offered)
            guard !codecs.isEmpty else {
                sections.append(rejectedSection(offered))
                continue
            }
            let ourURIs = Set(MediaCapabilities.headerExtensions(for: offered.kind).map(\.uri))
            let extensions = offered.attributes.extensionMaps
                .filter { ourURIs.contains($0.uri) }
                .map { ExtensionMap(id: $0.id, uri: $0.uri) }
            let media = NegotiatedMedia(
                mid: mid, kind: offered.kind, codecs: codecs, headerExtensions: extensions, localSSRC: nextSSRC(),
                localRTXSSRC: codecs.contains { $0.name.lowercased() == "rtx" } ? nextSSRC() : nil)
            sections.append(
                mediaSection(
                    media, direction: offered.direction.reversed, setup: answerSetup,
                    reducedSizeRTCP: offered.attributes.isRTCPReducedSize))
            negotiated.append(media)
        }
        let bundled = offer.bundleGroup?.mids.filter { mid in negotiated.contains { $0.mid == mid } } ?? []
        let answer = sessionDescription(media: sections, bundle: bundled)
        negotiatedMedia = negotiated
        localDescription = answer
        updateRouting()
        try createDTLSEndpoint()
        return answer
    }

    /// Applies the peer's offer or answer (RFC 8829 §5.10): ICE credentials, candidates and end-of-candidates,
    /// DTLS fingerprints and setup from the BUNDLE-tagged section (RFC 8843 §7), media-level values overriding
    /// session-level ones. An answer also fixes the DTLS role and the negotiated media.
    public func setRemoteDescription(_ description: SessionDescription, now: NIODeadline) throws(PeerConnectionError) {
        guard remoteDescription == nil else {
            throw .wrongSignalingState("a remote description was already applied; renegotiation is not supported")
        }
        let isAnswer = isOfferer && localDescription != nil
        guard let bundle = description.bundleGroup, let tag = bundle.mids.first,
            let tagIndex = description.mediaIndex(withMID: tag)
        else { throw .missingAttribute("a=group:BUNDLE naming a media section") }
        guard let ufrag = description.iceUfrag(forMediaAt: tagIndex), let pwd = description.icePwd(forMediaAt: tagIndex)
        else { throw .missingAttribute("a=ice-ufrag and a=ice-pwd") }
        let credentials: ICECredentials
        do { credentials = try ICECredentials(usernameFragment: ufrag, password: pwd) } catch { throw .ice(error) }
        let fingerprints = description.fingerprints(forMediaAt: tagIndex).compactMap {
            DTLSFingerprint(sdpValue: $0.description)
        }
        guard !fingerprints.isEmpty else { throw .missingAttribute("a=fingerprint with a supported hash") }
        guard let setupRole = description.setup(forMediaAt: tagIndex), let setup = DTLSSetup(rawValue: setupRole.rawValue)
        else { throw .missingAttribute("a=setup") }
        guard description.media[tagIndex].attributes.isRTCPMux else { throw .missingAttribute("a=rtcp-mux") }

        remoteDescription = description
        remoteFingerprints = fingerprints
        remoteSetup = setup
        if configuration.iceMode == .full {
            // RFC 8445 §6.1.1: the offerer controls, except that a full agent facing a lite one always does.
            ice.setRole(isOfferer || description.isICELite ? .controlling : .controlled)
        }
        ice.setRemoteCredentials(credentials)
        var endOfCandidates = false
        for media in description.media where !media.isRejected {
            for candidate in media.candidates {
                // TCP candidates and unresolvable (mDNS) addresses are skipped, as RFC 8839 §5.1 allows.
                guard let parsed = try? Candidate(candidate) else { continue }
                try? ice.addRemoteCandidate(parsed)
            }
            if media.attributes.isEndOfCandidates { endOfCandidates = true }
        }
        if endOfCandidates { ice.endOfRemoteCandidates() }
        learnRemoteRTXSSRCs(from: description)

        if isAnswer {
            narrowNegotiatedMedia(toAnswer: description)
            updateRouting()
            try createDTLSEndpoint()
            startDTLSIfReady(now: now)
        }
        drain(now: now)
    }

    // MARK: Helpers

    func createDTLSEndpoint() throws(PeerConnectionError) {
        guard dtls == nil, let remoteSetup else { return }
        do {
            let role = try DTLSSetup.role(local: localSetup, remote: remoteSetup)
            dtls = try DTLSEndpoint(
                role: role, certificate: certificate, remoteFingerprints: remoteFingerprints,
                mtu: configuration.mtu, srtpProfiles: configuration.srtpProfiles)
        } catch {
            throw .dtls(error)
        }
    }

    /// After an answer: keep the sections the answer accepted, with its payload types and extension ids.
    func narrowNegotiatedMedia(toAnswer answer: SessionDescription) {
        negotiatedMedia = negotiatedMedia.compactMap { offered in
            guard let answered = answer.media(withMID: offered.mid), !answered.isRejected else { return nil }
            var media = offered
            media.codecs = answered.codecs.filter { MediaCapabilities.supports($0, kind: offered.kind) }
            media.headerExtensions = answered.attributes.extensionMaps
            return media
        }
    }

    /// True when the answer (ours or theirs) has `a=rtcp-rsize` in its BUNDLE-tagged section.
    var negotiatedReducedSizeRTCP: Bool {
        let answer = isOfferer ? remoteDescription : localDescription
        guard let answer, let first = answer.media.first(where: { !$0.isRejected }) else { return false }
        return first.attributes.isRTCPReducedSize
    }

    /// Inbound routing tables (RFC 8843 §9.2): the mid extension id, and payload types unique to one section.
    func updateRouting() {
        midExtensionID = negotiatedMedia.lazy.compactMap { $0.extensionID(forURI: MediaCapabilities.midExtensionURI) }.first
        var owners: [UInt8: String?] = [:]
        for media in negotiatedMedia {
            for codec in media.codecs {
                if let existing = owners[codec.payloadType], existing != media.mid {
                    owners[codec.payloadType] = .some(nil)
                } else {
                    owners[codec.payloadType] = media.mid
                }
            }
        }
        midByPayloadType = owners.compactMapValues { $0 }
        clockRateByPayloadType = [:]
        for media in negotiatedMedia {
            for codec in media.codecs { clockRateByPayloadType[codec.payloadType] = UInt32(clamping: codec.clockRate) }
        }
        configureLossRecovery()
    }

    func answeredCodecs(_ offered: MediaDescription) -> [Codec] {
        let supported = offered.codecs.filter { MediaCapabilities.supports($0, kind: offered.kind) }
        let primary = supported.filter { $0.name.lowercased() != "rtx" }
        let primaryTypes = Set(primary.map(\.payloadType))
        return supported.compactMap { codec in
            if codec.name.lowercased() == "rtx" {
                guard let apt = codec.associatedPayloadType, primaryTypes.contains(apt) else { return nil }
                return codec
            }
            var kept = codec
            kept.feedback = codec.feedback.filter { MediaCapabilities.supportsFeedback($0, kind: offered.kind) }
            return kept
        }
    }

    func rejectedSection(_ offered: MediaDescription) -> MediaDescription {
        var attributes = AttributeList()
        if let mid = offered.mid { attributes.append(.mid(mid)) }
        return MediaDescription(
            kind: offered.kind, port: 0, proto: offered.proto, formats: offered.formats,
            connections: [ConnectionData()], attributes: attributes)
    }

    /// - Parameter reducedSizeRTCP: write `a=rtcp-rsize` (RFC 5506 §5): always in offers, in answers only when
    ///   the offer had it.
    func mediaSection(
        _ media: NegotiatedMedia, direction: MediaDirection, setup: DTLSSetup, reducedSizeRTCP: Bool = true
    ) -> MediaDescription {
        var attributes = AttributeList()
        for candidate in ice.localCandidates where candidate.kind != .peerReflexive {
            attributes.append(.candidate(candidate.sdpCandidate()))
        }
        attributes.append(.iceUfrag(ice.localCredentials.usernameFragment))
        attributes.append(.icePwd(ice.localCredentials.password))
        attributes.append(.iceOptions(["trickle"]))
        if let fingerprint = try? Fingerprint.parse(certificate.fingerprint.sdpValue) {
            attributes.append(.fingerprint(fingerprint))
        }
        if let role = SetupRole(rawValue: setup.rawValue) { attributes.append(.setup(role)) }
        attributes.append(.mid(media.mid))
        for map in media.headerExtensions { attributes.append(.extensionMap(map)) }
        attributes.append(.direction(direction))
        attributes.append(.rtcpMux)
        if reducedSizeRTCP { attributes.append(.rtcpReducedSize) }
        for codec in media.codecs {
            attributes.append(
                .rtpMap(
                    RTPMap(
                        payloadType: codec.payloadType, encodingName: codec.name, clockRate: codec.clockRate,
                        encodingParameters: codec.channels)))
            var written = Set<RTCPFeedback>()
            for feedback in codec.feedback {
                let line = RTCPFeedback(
                    payloadTypes: .payloadType(codec.payloadType), type: feedback.type, parameter: feedback.parameter)
                if written.insert(line).inserted { attributes.append(.rtcpFeedback(line)) }
            }
            if let parameters = codec.parameters {
                attributes.append(
                    .formatParameters(FormatParameters(format: String(codec.payloadType), parameters: parameters.parameters)))
            }
        }
        if direction.sends {
            if let rtx = media.localRTXSSRC {
                attributes.append(.ssrcGroup(SSRCGroup(semantics: "FID", ssrcs: [media.localSSRC, rtx])))
            }
            for ssrc in [media.localSSRC] + (media.localRTXSSRC.map { [$0] } ?? []) {
                attributes.append(.ssrc(SSRCAttribute(ssrc: ssrc, attribute: "cname", value: configuration.canonicalName)))
            }
        }
        return MediaDescription(
            kind: media.kind, port: 9, proto: Self.mediaProtocol, formats: media.codecs.map { String($0.payloadType) },
            connections: [ConnectionData()], attributes: attributes)
    }

    func sessionDescription(media: [MediaDescription], bundle: [String]) -> SessionDescription {
        var attributes = AttributeList()
        if !bundle.isEmpty { attributes.append(.group(Group(semantics: "BUNDLE", mids: bundle))) }
        if configuration.iceMode == .lite { attributes.append(.iceLite) }
        sessionVersion += 1
        return SessionDescription(
            origin: Origin(sessionID: String(sessionID), sessionVersion: sessionVersion),
            attributes: attributes, media: media)
    }

    /// A nonzero SSRC from the connection's generator state (SplitMix64 step; RFC 3550 §8.1 only asks for random).
    func nextSSRC() -> UInt32 {
        while true {
            ssrcSource &+= 0x9E37_79B9_7F4A_7C15
            var z = ssrcSource
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            let ssrc = UInt32(truncatingIfNeeded: z ^ (z >> 31))
            if ssrc != 0 { return ssrc }
        }
    }
}

/// One media section to offer (``PeerConnection/createOffer(sections:)``).
public struct OfferedSection: Sendable, Hashable {
    public var kind: MediaKind
    public var direction: MediaDirection

    public init(kind: MediaKind, direction: MediaDirection) {
        self.kind = kind
        self.direction = direction
    }
}
