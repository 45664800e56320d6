import SDP
import Testing

/// Hand-written descriptions from the RFCs (RFC 8866 §5, RFC 8829 §7.1, RFC 8853 §5.1, RFC 8851 §4).
@Suite("RFC examples")
struct RFCExampleTests {
    /// RFC 8866 §5's example, CRLF.
    static let rfc8866Example = """
        v=0\r
        o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r
        s=Call to John Smith\r
        i=SDP Offer #1\r
        u=http://www.jdoe.example.com/home.html\r
        e=Jane Doe <jane@jdoe.example.com>\r
        p=+1 617 555-6011\r
        c=IN IP4 198.51.100.1\r
        t=0 0\r
        m=audio 49170 RTP/AVP 0\r
        m=audio 49180 RTP/AVP 0\r
        m=video 51372 RTP/AVP 99\r
        c=IN IP6 2001:db8::2\r
        a=rtpmap:99 h263-1998/90000\r

        """

    /// RFC 8829 §7.1's offer, abridged (the fingerprint joined onto one line, one audio and one data section).
    static let jsepOffer = """
        v=0\r
        o=- 4962303333179871722 1 IN IP4 0.0.0.0\r
        s=-\r
        t=0 0\r
        a=ice-options:trickle ice2\r
        a=group:BUNDLE a1 d1\r
        a=group:LS a1\r
        m=audio 10100 UDP/TLS/RTP/SAVPF 96 0 8 97 98\r
        c=IN IP4 203.0.113.100\r
        a=mid:a1\r
        a=sendrecv\r
        a=rtpmap:96 opus/48000/2\r
        a=rtpmap:0 PCMU/8000\r
        a=rtpmap:8 PCMA/8000\r
        a=rtpmap:97 telephone-event/8000\r
        a=rtpmap:98 telephone-event/48000\r
        a=fmtp:97 0-15\r
        a=fmtp:98 0-15\r
        a=maxptime:120\r
        a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r
        a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r
        a=msid:47017fee-b6c1-4162-929c-a25110252400\r
        a=ice-ufrag:ETEn\r
        a=ice-pwd:OtSK0WpNtpUjkY4+86js7ZQl\r
        a=fingerprint:sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2\r
        a=setup:actpass\r
        a=tls-id:91bbf309c0990a6bec11e38ba2933cee\r
        a=rtcp:10101 IN IP4 203.0.113.100\r
        a=rtcp-mux\r
        a=rtcp-rsize\r
        a=candidate:1 1 udp 2113929471 203.0.113.100 10100 typ host\r
        a=candidate:1 2 udp 2113929470 203.0.113.100 10101 typ host\r
        a=end-of-candidates\r
        m=application 10100 UDP/DTLS/SCTP webrtc-datachannel\r
        c=IN IP4 203.0.113.100\r
        a=mid:d1\r
        a=sctp-port:5000\r
        a=max-message-size:65536\r
        a=fingerprint:sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2\r
        a=setup:actpass\r

        """

    @Test func rfc8866ExampleRoundTrips() throws {
        let description = try SessionDescription.parse(Self.rfc8866Example)
        #expect(description.serialize() == Self.rfc8866Example)
        #expect(description.origin.username == "jdoe")
        #expect(description.origin.sessionID == "3724394400")
        #expect(description.origin.sessionVersion == 3_724_394_405)
        #expect(description.sessionName == "Call to John Smith")
        #expect(description.information == "SDP Offer #1")
        #expect(description.uri == "http://www.jdoe.example.com/home.html")
        #expect(description.emails == ["Jane Doe <jane@jdoe.example.com>"])
        #expect(description.phones == ["+1 617 555-6011"])
        #expect(description.connection == ConnectionData(addressType: "IP4", address: "198.51.100.1"))
        #expect(description.timings == [Timing(start: 0, stop: 0)])
        #expect(description.media.count == 3)
        #expect(description.media[0].kind == .audio)
        #expect(description.media[0].port == 49170)
        #expect(description.media[0].proto == "RTP/AVP")
        #expect(description.media[0].formats == ["0"])
        #expect(description.media[2].kind == .video)
        #expect(description.media[2].connection == ConnectionData(addressType: "IP6", address: "2001:db8::2"))
        #expect(description.media[2].attributes.rtpMaps == [RTPMap(payloadType: 99, encodingName: "h263-1998", clockRate: 90000)])
        #expect(description.lineEnding == .crlf)
    }

    @Test func lfOnlyInputIsAcceptedAndReproduced() throws {
        let lf = Self.rfc8866Example.replacingCRLF()
        let description = try SessionDescription.parse(lf)
        #expect(description.lineEnding == .lf)
        #expect(description.serialize() == lf)
        var crlf = description
        crlf.lineEnding = .crlf
        #expect(crlf.serialize() == Self.rfc8866Example)
        #expect(try SessionDescription.parse(Self.rfc8866Example).media == description.media)
    }

    @Test func missingFinalLineEndingIsRemembered() throws {
        let text = String(Self.rfc8866Example.dropLast(2))
        let description = try SessionDescription.parse(text)
        #expect(!description.endsWithLineEnding)
        #expect(description.serialize() == text)
    }

    @Test func jsepOfferFields() throws {
        let offer = try SessionDescription.parse(Self.jsepOffer)
        #expect(offer.serialize() == Self.jsepOffer)
        #expect(offer.attributes.iceOptions == ["trickle", "ice2"])
        #expect(offer.bundleGroup == Group(semantics: "BUNDLE", mids: ["a1", "d1"]))
        #expect(offer.attributes.groups.count == 2)
        #expect(offer.bundledMedia.map(\.mid) == ["a1", "d1"])

        let audio = try #require(offer.media(withMID: "a1"))
        #expect(audio.direction == .sendrecv)
        #expect(audio.payloadTypes == [96, 0, 8, 97, 98])
        #expect(audio.payloadTypes(forCodec: "OPUS") == [96])
        #expect(audio.payloadTypes(forCodec: "telephone-event") == [97, 98])
        #expect(audio.formatParameters(forPayloadType: 97)?.parameters == "0-15")
        #expect(audio.attributes.otherValue(named: "maxptime") == "120")
        #expect(audio.attributes.otherValue(named: "tls-id") == "91bbf309c0990a6bec11e38ba2933cee")
        #expect(audio.extensionID(forURI: "urn:ietf:params:rtp-hdrext:ssrc-audio-level") == 2)
        #expect(audio.attributes.msids == [MediaStreamID(streamID: "47017fee-b6c1-4162-929c-a25110252400")])
        #expect(audio.attributes.iceUfrag == "ETEn")
        #expect(audio.attributes.icePwd == "OtSK0WpNtpUjkY4+86js7ZQl")
        #expect(audio.attributes.setup == .actpass)
        #expect(audio.attributes.rtcp == RTCPAddress(port: 10101, connection: ConnectionData(address: "203.0.113.100")))
        #expect(audio.attributes.isRTCPMux)
        #expect(audio.attributes.isRTCPReducedSize)
        #expect(audio.attributes.isEndOfCandidates)
        let fingerprint = try #require(audio.attributes.fingerprints.first)
        #expect(fingerprint.hashFunction == "sha-256")
        #expect(fingerprint.bytes.count == 32)
        #expect(fingerprint.bytes.first == 0x19)
        #expect(fingerprint.bytes.last == 0xA2)
        #expect(audio.candidates.map(\.component) == [1, 2])
        #expect(audio.candidates.allSatisfy { $0.kind == .host && $0.transport == .udp })
        #expect(offer.iceUfrag(forMediaAt: 0) == "ETEn")
        #expect(offer.fingerprints(forMediaAt: 1).count == 1)

        let data = try #require(offer.media(withMID: "d1"))
        #expect(data.kind == .application)
        #expect(data.formats == ["webrtc-datachannel"])
        #expect(data.attributes.sctpPort == 5000)
        #expect(data.attributes.maxMessageSize == 65536)
        #expect(!data.isRTP)
        #expect(offer.mediaIndex(withMID: "d1") == 1)
        #expect(offer.media(withMID: "zz") == nil)
    }

    @Test func simulcastExamplesFromRFC8853() throws {
        let attribute = try SDPAttribute.parse("simulcast:send 1;2,3 recv 4")
        let expected = Simulcast(
            send: [Simulcast.Stream(rid: "1"), Simulcast.Stream(alternatives: [.init(rid: "2"), .init(rid: "3")])],
            receive: [Simulcast.Stream(rid: "4")])
        #expect(attribute == .simulcast(expected))
        #expect(attribute.text == "simulcast:send 1;2,3 recv 4")

        let paused = try SDPAttribute.parse("simulcast:recv 1;~2;3")
        guard case .simulcast(let value) = paused else {
            Issue.record("not parsed as simulcast")
            return
        }
        #expect(value.send.isEmpty)
        #expect(value.receive.map { $0.alternatives.map(\.isPaused) } == [[false], [true], [false]])
        #expect(paused.text == "simulcast:recv 1;~2;3")
    }

    @Test func receiveFirstSimulcastKeepsItsOrder() throws {
        let text = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=simulcast:recv 4 send 1\r\n"
        let description = try SessionDescription.parse(text)
        #expect(description.serialize() == text)
        let simulcast = try #require(description.media.first?.attributes.simulcast)
        #expect(simulcast.send.map { $0.alternatives.map(\.rid) } == [["1"]])
        #expect(simulcast.receive.map { $0.alternatives.map(\.rid) } == [["4"]])
        // Editing the attribute drops the original spelling and writes the canonical order.
        var edited = description
        edited.media[0].attributes[0].attribute = .simulcast(simulcast)
        #expect(edited.serialize().contains("a=simulcast:send 1 recv 4\r\n"))
    }

    @Test func ridExamplesFromRFC8851() throws {
        let attribute = try SDPAttribute.parse("rid:1 send pt=97,98;max-width=1280;max-height=720")
        guard case .rid(let rid) = attribute else {
            Issue.record("not parsed as rid")
            return
        }
        #expect(rid.id == "1")
        #expect(rid.direction == .send)
        #expect(rid.payloadTypes == [97, 98])
        #expect(rid.maxWidth == 1280)
        #expect(rid.maxHeight == 720)
        #expect(rid.value(for: "max-fps") == nil)
        #expect(attribute.text == "rid:1 send pt=97,98;max-width=1280;max-height=720")
        #expect(try SDPAttribute.parse("rid:5 recv") == .rid(RID(id: "5", direction: .receive)))
    }
}

extension String {
    /// The text with every CRLF turned into LF.
    func replacingCRLF() -> String {
        var bytes: [UInt8] = []
        let source = Array(utf8)
        var index = 0
        while index < source.count {
            if source[index] == 13, index + 1 < source.count, source[index + 1] == 10 {
                index += 1
                continue
            }
            bytes.append(source[index])
            index += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
