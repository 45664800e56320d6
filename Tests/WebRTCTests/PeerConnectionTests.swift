import DTLS
import ICE
import NIOCore
import RTP
import SDP
import SRTP
import TestSupport
import Testing
import WebRTC

/// What a test compares of a received RTP packet.
struct RTPPacketSummary: Equatable {
    var payloadType: UInt8
    var sequenceNumber: UInt16
    var ssrc: UInt32
    var payload: [UInt8]

    init(_ packet: RTPPacket) {
        payloadType = packet.header.payloadType
        sequenceNumber = packet.header.sequenceNumber
        ssrc = packet.header.ssrc
        let body = packet.payload
        payload = body.getBytes(at: body.readerIndex, length: body.readableBytes) ?? []
    }
}

/// Two peers that negotiated through SDP text and an in-memory network, not yet run.
func makeNegotiatedPair(
    seed: UInt64 = 1, answererConfiguration: PeerConnectionConfiguration = PeerConnectionConfiguration(),
    rewriteOffer: (String) -> String = { $0 }, rewriteAnswer: (String) -> String = { $0 }
) throws -> VirtualPeerNetwork {
    var generator = SplitMix64(seed: seed)
    let addressA = try SocketAddress(ipAddress: "10.0.0.1", port: 40000)
    let addressB = try SocketAddress(ipAddress: "10.0.0.2", port: 40000)
    let offerer = PeerConnection(certificate: try DTLSCertificate.generate(), using: &generator)
    let answerer = PeerConnection(
        configuration: answererConfiguration, certificate: try DTLSCertificate.generate(), using: &generator)
    let network = VirtualPeerNetwork(offerer, answerer, addresses: [addressA, addressB], seed: seed)
    offerer.addHostCandidates([addressA], now: network.now)
    answerer.addHostCandidates([addressB], now: network.now)

    let offerText = rewriteOffer(try offerer.createOffer().serialize())
    try answerer.setRemoteDescription(SessionDescription.parse(offerText), now: network.now)
    let answerText = rewriteAnswer(try answerer.createAnswer().serialize())
    try offerer.setRemoteDescription(SessionDescription.parse(answerText), now: network.now)
    network.drain()
    return network
}

/// An RTP packet with the mid header extension (RFC 8843 §15) and spare room for the SRTP tag.
func makeRTPPacket(
    payloadType: UInt8, sequenceNumber: UInt16, ssrc: UInt32, mid: String, midID: UInt8?, payload: [UInt8]
) throws -> ByteBuffer {
    var buffer = ByteBufferAllocator().buffer(capacity: 64 + payload.count)
    let extensions = midID.map { RTPHeaderExtensionBlock.oneByte([RTPHeaderExtensionElement(id: $0, data: Array(mid.utf8))]) }
    try buffer.writeRTPPacket(
        RTPHeaderFields(
            payloadType: payloadType, sequenceNumber: sequenceNumber, timestamp: 3000 * UInt32(sequenceNumber),
            ssrc: ssrc, extensions: extensions),
        payload: payload)
    return buffer
}

@Suite("PeerConnection in virtual time")
struct PeerConnectionTests {
    @Test("offer/answer as SDP text, ICE connects, DTLS completes, SRTP keys installed on both sides")
    func connects() throws {
        let network = try makeNegotiatedPair()
        let connected = network.progress(until: { network.isConnected(0) && network.isConnected(1) })
        #expect(connected, "failures: \(network.failures(0)) \(network.failures(1))")
        #expect(network.failures(0).isEmpty && network.failures(1).isEmpty)
        #expect(network.peers[0].iceRole == .controlling)
        #expect(network.peers[1].iceRole == .controlled)
        // The answerer wrote setup:active, so it is the DTLS client (RFC 8842 §5.3).
        #expect(network.peers[1].dtlsRole == .client)
        #expect(network.peers[0].dtlsRole == .server)
        #expect(network.peers[0].srtpProfile == .aeadAES128GCM)
        #expect(network.peers[0].isMediaReady && network.peers[1].isMediaReady)
        // Every STUN and DTLS datagram fit a 1200-byte path MTU.
        #expect(network.oversized == 0)
    }

    @Test("RTP sent by either side arrives decrypted with the same header and payload, routed by mid")
    func rtpFlowsBothWays() throws {
        let network = try makeNegotiatedPair(seed: 2)
        #expect(network.progress(until: { network.isConnected(0) && network.isConnected(1) }))
        for (sender, receiver) in [(0, 1), (1, 0)] {
            let peer = network.peers[sender]
            let video = try #require(peer.negotiatedMedia.first { $0.kind == .video })
            let vp8 = try #require(video.payloadType(forCodec: "VP8"))
            let midID = video.extensionID(forURI: MediaCapabilities.midExtensionURI)
            #expect(midID != nil)
            var sent: [[UInt8]] = []
            for sequenceNumber in UInt16(100)..<110 {
                let payload = (0..<UInt8(200)).map { $0 &+ UInt8(truncatingIfNeeded: sequenceNumber) }
                sent.append(payload)
                try peer.sendRTP(
                    makeRTPPacket(
                        payloadType: vp8, sequenceNumber: sequenceNumber, ssrc: video.localSSRC, mid: video.mid,
                        midID: midID, payload: payload),
                    now: network.now)
            }
            network.progress(for: .milliseconds(50))
            let received = network.receivedRTP(receiver).filter { $0.packet.ssrc == video.localSSRC }
            #expect(received.map { $0.packet.payload } == sent)
            #expect(received.map { $0.packet.sequenceNumber } == Array(100..<110))
            #expect(received.allSatisfy { $0.mid == video.mid })
        }
        #expect(network.peers[0].droppedDatagrams == 0)
        #expect(network.peers[1].droppedDatagrams == 0)
    }

    @Test("audio without the mid extension is routed by its payload type")
    func audioRoutedByPayloadType() throws {
        let network = try makeNegotiatedPair(seed: 3)
        #expect(network.progress(until: { network.isConnected(0) && network.isConnected(1) }))
        let audio = try #require(network.peers[0].negotiatedMedia.first { $0.kind == .audio })
        let opus = try #require(audio.payloadType(forCodec: "opus"))
        #expect(opus == 111)
        try network.peers[0].sendRTP(
            makeRTPPacket(payloadType: opus, sequenceNumber: 1, ssrc: audio.localSSRC, mid: audio.mid, midID: nil, payload: [0xF8, 1, 2, 3]),
            now: network.now)
        network.progress(for: .milliseconds(50))
        let received = network.receivedRTP(1)
        #expect(received.count == 1)
        #expect(received.first?.mid == audio.mid)
        #expect(received.first?.packet.payload == [0xF8, 1, 2, 3])
    }

    @Test("RTCP sent by A arrives decrypted and decoded at B")
    func rtcpFlows() throws {
        let network = try makeNegotiatedPair(seed: 4)
        #expect(network.progress(until: { network.isConnected(0) && network.isConnected(1) }))
        let pli = RTCPPacket.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 2))
        let nack = RTCPPacket.genericNACK(
            RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 2, items: [RTCPGenericNACK.Item(packetID: 500, lostBitmask: 0b101)]))
        try network.peers[0].sendRTCP([pli, nack], now: network.now)
        network.progress(for: .milliseconds(50))
        let received = network.events[1].compactMap { event -> [RTCPPacket]? in
            if case .rtcpReceived(let packets) = event { packets } else { nil }
        }
        #expect(received == [[pli, nack]])
    }

    @Test("10 % loss of ICE checks: ICE retransmits in virtual time and the connection still comes up")
    func connectsWithCheckLoss() throws {
        let network = try makeNegotiatedPair(seed: 14)
        network.stunLossRate = 0.10
        #expect(network.progress(until: { network.isConnected(0) && network.isConnected(1) }))
        #expect(network.failures(0).isEmpty && network.failures(1).isEmpty)
    }

    @Test("a severed path is detected by consent freshness (RFC 7675) and reported as failed; sending stops")
    func consentLossFails() throws {
        let network = try makeNegotiatedPair(seed: 15)
        #expect(network.progress(until: { network.isConnected(0) && network.isConnected(1) }))
        network.isSevered = true
        let failed = network.progress(until: { !network.failures(0).isEmpty }, limit: .seconds(120))
        #expect(failed)
        #expect(network.failures(0) == [.iceFailed])
        #expect(!network.peers[0].isMediaReady)
        #expect(throws: PeerConnectionError.notConnected) {
            try network.peers[0].sendRTP(
                makeRTPPacket(payloadType: 96, sequenceNumber: 1, ssrc: 1, mid: "1", midID: nil, payload: [1]),
                now: network.now)
        }
    }

    @Test("an ICE-lite answerer (the SFU's mode) connects to a full offerer, which controls")
    func liteAnswerer() throws {
        var configuration = PeerConnectionConfiguration()
        configuration.iceMode = .lite
        let network = try makeNegotiatedPair(seed: 12, answererConfiguration: configuration)
        #expect(network.progress(until: { network.isConnected(0) && network.isConnected(1) }))
        #expect(network.peers[0].iceRole == .controlling)
        #expect(network.peers[1].iceRole == .controlled)
        #expect(network.failures(0).isEmpty && network.failures(1).isEmpty)
    }

    @Test("a fingerprint in the answer that does not match the certificate fails DTLS; no keys, no media")
    func fingerprintMismatchFails() throws {
        let network = try makeNegotiatedPair(seed: 13) { answer in
            // Replace the answerer's fingerprint with another valid SHA-256 value.
            answer.split(separator: "\r\n", omittingEmptySubsequences: false).map { line in
                line.hasPrefix("a=fingerprint:")
                    ? "a=fingerprint:sha-256 " + Array(repeating: "AB", count: 32).joined(separator: ":") : String(line)
            }.joined(separator: "\r\n")
        }
        let failed = network.progress(until: { !network.failures(0).isEmpty || !network.failures(1).isEmpty })
        #expect(failed)
        #expect(!network.isConnected(0) && !network.isConnected(1))
        #expect(!network.peers[0].isMediaReady)
        #expect(network.failures(0).allSatisfy { $0.code == "webrtc.dtls" })
    }

    @Test("media before the connection is up is refused with notConnected")
    func sendBeforeConnected() throws {
        let network = try makeNegotiatedPair(seed: 5)
        #expect(throws: PeerConnectionError.notConnected) {
            try network.peers[0].sendRTP(
                makeRTPPacket(payloadType: 96, sequenceNumber: 1, ssrc: 1, mid: "1", midID: nil, payload: [1]),
                now: network.now)
        }
    }

    @Test("garbage, forged SRTP and truncated datagrams into a connected peer are dropped, never trap")
    func malformedInput() throws {
        let network = try makeNegotiatedPair(seed: 6)
        #expect(network.progress(until: { network.isConnected(0) && network.isConnected(1) }))
        let peer = network.peers[1]
        let from = network.addresses[0]
        let to = network.addresses[1]
        var generator = SplitMix64(seed: 99)
        var inputs: [[UInt8]] = [[], [0x80], [0x80, 0x60], [0x90, 0xC8, 0, 1], [22, 254, 253], [0, 1, 0, 0], [0x40, 0, 0, 4]]
        for length in [1, 12, 13, 40, 200, 1200] {
            for _ in 0..<20 {
                var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                bytes[0] = 0x80 | (bytes[0] & 0x3F)
                inputs.append(bytes)
            }
        }
        let before = peer.droppedDatagrams
        for bytes in inputs {
            peer.handleReceive(ByteBuffer(bytes: bytes), from: from, to: to, now: network.now)
        }
        network.drain()
        #expect(peer.droppedDatagrams > before)
        #expect(network.receivedRTP(1).isEmpty)
        #expect(network.failures(1).isEmpty)
    }

    @Test("the answer parses with Media/SDP and carries BUNDLE, rtcp-mux, setup:active, ICE credentials, fingerprint")
    func answerContents() throws {
        var generator = SplitMix64(seed: 7)
        let offerer = PeerConnection(certificate: try DTLSCertificate.generate(), using: &generator)
        let answerer = PeerConnection(certificate: try DTLSCertificate.generate(), using: &generator)
        offerer.addHostCandidates([try SocketAddress(ipAddress: "10.0.0.1", port: 40000)], now: .uptimeNanoseconds(1))
        let offer = try SessionDescription.parse(try offerer.createOffer().serialize())
        #expect(offer.bundleGroup?.mids == ["0", "1"])
        #expect(offer.setup(forMediaAt: 0) == .actpass)
        #expect(offer.media[0].candidates.count == 1)
        let video = try #require(offer.media(withMID: "1"))
        #expect(video.codecs.map(\.name) == ["VP8", "rtx"])
        #expect(video.codec(forPayloadType: 96)?.supportsFeedback("nack", parameter: "pli") == true)
        #expect(video.codec(forPayloadType: 96)?.supportsFeedback("ccm", parameter: "fir") == true)
        #expect(video.codec(forPayloadType: 96)?.supportsFeedback("goog-remb") == true)
        #expect(video.codec(forPayloadType: 96)?.supportsFeedback("transport-cc") == true)
        #expect(video.codec(forPayloadType: 97)?.associatedPayloadType == 96)
        #expect(video.extensionID(forURI: MediaCapabilities.absoluteSendTimeExtensionURI) != nil)
        #expect(offer.media(withMID: "0")?.extensionID(forURI: MediaCapabilities.audioLevelExtensionURI) != nil)

        try answerer.setRemoteDescription(offer, now: .uptimeNanoseconds(1))
        let answerText = try answerer.createAnswer().serialize()
        let answer = try SessionDescription.parse(answerText)
        #expect(answer.bundleGroup?.mids == ["0", "1"])
        #expect(answer.mids == ["0", "1"])
        #expect(answer.setup(forMediaAt: 0) == .active)
        #expect(answer.iceUfrag(forMediaAt: 0) == answerer.localICECredentials.usernameFragment)
        #expect(answer.icePwd(forMediaAt: 0) == answerer.localICECredentials.password)
        #expect(answer.fingerprints(forMediaAt: 0).first?.description == answerer.certificate.fingerprint.sdpValue)
        #expect(answer.media.allSatisfy { $0.attributes.isRTCPMux })
        #expect(answer.media(withMID: "0")?.codecs.map(\.name) == ["opus"])
        #expect(answer.media(withMID: "0")?.codecs.first?.channels == 2)
        #expect(answer.media(withMID: "1")?.payloadTypes == [96, 97])
        #expect(answer.serialize() == answerText)
    }

    @Test("Chromium's audio+video offer is answered: mids kept, Opus and VP8+RTX by the offer's numbers, BUNDLE")
    func answersChromiumOffer() throws {
        let text = try Fixtures.text("sdp/chromium-offer-audio-video.sdp")
        let offer = try SessionDescription.parse(text)
        var generator = SplitMix64(seed: 8)
        let answerer = PeerConnection(certificate: try DTLSCertificate.generate(), using: &generator)
        answerer.addHostCandidates([try SocketAddress(ipAddress: "192.0.2.9", port: 50000)], now: .uptimeNanoseconds(1))
        try answerer.setRemoteDescription(offer, now: .uptimeNanoseconds(1))
        #expect(answerer.iceRole == .controlled)
        let answer = try SessionDescription.parse(try answerer.createAnswer().serialize())
        #expect(answer.mids == offer.mids)
        #expect(answer.bundleGroup?.mids == offer.bundleGroup?.mids)
        let audio = try #require(answer.media(withMID: "0"))
        #expect(audio.payloadTypes == [111])
        #expect(audio.codecs.first?.name == "opus")
        #expect(audio.codecs.first?.parameters?.value(for: "useinbandfec") == "1")
        #expect(audio.extensionID(forURI: MediaCapabilities.midExtensionURI) == 4)
        #expect(audio.extensionID(forURI: MediaCapabilities.transportCCExtensionURI) == 3)
        let video = try #require(answer.media(withMID: "1"))
        #expect(video.payloadTypes == [96, 97])
        #expect(video.codec(forPayloadType: 97)?.associatedPayloadType == 96)
        #expect(video.codec(forPayloadType: 96)?.supportsFeedback("nack") == true)
        #expect(video.codec(forPayloadType: 96)?.supportsFeedback("nack", parameter: "pli") == true)
        // Extensions we do not understand (toffset, video-orientation, playout-delay) are not answered.
        #expect(video.extensionID(forURI: "urn:ietf:params:rtp-hdrext:toffset") == nil)
        #expect(video.extensionID(forURI: MediaCapabilities.absoluteSendTimeExtensionURI) == 2)
        #expect(answer.setup(forMediaAt: 0) == .active)
        #expect(answer.media.allSatisfy { $0.direction == .sendrecv })
        #expect(answer.media.allSatisfy { $0.attributes.isRTCPReducedSize })
        #expect(answer.media[0].candidates.count == 1)
        #expect(answerer.dtlsRole == .client)
        // Chromium's UDP host candidates were taken; its TCP ones skipped.
        #expect(answerer.negotiatedMedia.map(\.mid) == ["0", "1"])
    }

    @Test("aiortc's offer is answered with its numbering: Opus 96, VP8 97 with RTX 98, mid extension 1")
    func answersAiortcOffer() throws {
        let offer = try SessionDescription.parse(try Fixtures.text("sdp/aiortc-offer-audio-video.sdp"))
        var generator = SplitMix64(seed: 10)
        let answerer = PeerConnection(certificate: try DTLSCertificate.generate(), using: &generator)
        try answerer.setRemoteDescription(offer, now: .uptimeNanoseconds(1))
        let answer = try SessionDescription.parse(try answerer.createAnswer().serialize())
        #expect(answer.mids == ["0", "1"])
        #expect(answer.bundleGroup?.mids == ["0", "1"])
        #expect(answer.media(withMID: "0")?.payloadTypes == [96])
        #expect(answer.media(withMID: "0")?.codecs.first?.name == "opus")
        #expect(answer.media(withMID: "1")?.payloadTypes == [97, 98])
        #expect(answer.media(withMID: "1")?.codec(forPayloadType: 98)?.associatedPayloadType == 97)
        #expect(answer.media.allSatisfy { $0.extensionID(forURI: MediaCapabilities.midExtensionURI) == 1 })
        // aiortc does not offer reduced-size RTCP, so the answer does not claim it (RFC 5506 §5).
        #expect(answer.media.allSatisfy { !$0.attributes.isRTCPReducedSize })
        let video = try #require(answerer.negotiatedMedia.first { $0.kind == .video })
        #expect(video.rtxPayloadType(for: 97) == 98)
        #expect(video.localRTXSSRC != nil)
        // Our answer names our RTX SSRC in an FID group, so the peer can map retransmissions.
        #expect(answer.media(withMID: "1")?.attributes.ssrcGroups.first?.ssrcs == [video.localSSRC, video.localRTXSSRC].compactMap { $0 })
    }

    @Test("a description without BUNDLE or fingerprint is refused with a typed error")
    func refusesIncompleteDescription() throws {
        let text = try Fixtures.text("sdp/chromium-offer-audio-video.sdp")
        var offer = try SessionDescription.parse(text)
        var generator = SplitMix64(seed: 9)
        offer.attributes.removeAttributes { if case .group = $0 { true } else { false } }
        let answerer = PeerConnection(certificate: try DTLSCertificate.generate(), using: &generator)
        #expect(throws: PeerConnectionError.missingAttribute("a=group:BUNDLE naming a media section")) {
            try answerer.setRemoteDescription(offer, now: .uptimeNanoseconds(1))
        }
        var noFingerprint = try SessionDescription.parse(text)
        for index in noFingerprint.media.indices {
            noFingerprint.media[index].attributes.removeAttributes { if case .fingerprint = $0 { true } else { false } }
        }
        #expect(throws: PeerConnectionError.self) {
            try answerer.setRemoteDescription(noFingerprint, now: .uptimeNanoseconds(1))
        }
        #expect(throws: PeerConnectionError.self) { try answerer.createAnswer() }
    }
}
