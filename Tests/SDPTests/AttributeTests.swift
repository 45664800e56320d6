import SDP
import Testing

@Suite("Attributes")
struct AttributeTests {
    @Test(arguments: [
        "group:BUNDLE 0 1 2", "group:BUNDLE", "mid:audio", "msid-semantic:WMS *", "msid:- track-1", "msid:stream",
        "ice-lite", "ice-ufrag:F7gI", "ice-pwd:x9cml/YzichV2+XlhiMu8g", "ice-options:trickle renomination",
        "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host", "end-of-candidates",
        "fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33", "setup:holdconn",
        "sendrecv", "sendonly", "recvonly", "inactive", "rtcp:9", "rtcp:9 IN IP6 ::", "rtcp-mux", "rtcp-mux-only",
        "rtcp-rsize", "rtpmap:0 PCMU/8000", "rtpmap:111 opus/48000/2", "fmtp:111 minptime=10;useinbandfec=1",
        "fmtp:101 0-15", "fmtp:96 ", "rtcp-fb:* nack", "rtcp-fb:96 ccm tmmbr smaxpr=120", "rtcp-fb:96 trr-int 100",
        "extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid", "extmap:2/sendonly urn:example:ext some attributes",
        "extmap-allow-mixed", "ssrc:1 cname:a b:c", "ssrc:4294967295 msid:stream track", "ssrc:7 flag",
        "ssrc-group:FID 1 2", "ssrc-group:SIM 1 2 3", "simulcast:send h;m;l", "simulcast:send 1;2,3 recv 4",
        "simulcast:recv ~a", "rid:h send", "rid:1 send pt=96;max-width=1280;max-height=720;max-fps=30",
        "rid:lo recv max-br=64000;depend=hi;x", "sctp-port:5000", "max-message-size:262144",
        "ptime:20", "tls-id:abc", "x-unknown", "x-empty:", "weird name:with: colons", "",
    ])
    func canonicalAttributesRoundTrip(text: String) throws {
        let attribute = try SDPAttribute.parse(text)
        #expect(attribute.text == text)
        #expect(try SDPAttribute.parse(attribute.text) == attribute)
    }

    @Test func namesAndTypedValues() throws {
        #expect(try SDPAttribute.parse("rtcp-mux") == .rtcpMux)
        #expect(try SDPAttribute.parse("inactive") == .direction(.inactive))
        #expect(try SDPAttribute.parse("rtcp-mux:odd") == .other(name: "rtcp-mux", value: "odd"))
        #expect(try SDPAttribute.parse("ptime:20") == .other(name: "ptime", value: "20"))
        #expect(try SDPAttribute.parse("x-flag") == .other(name: "x-flag", value: nil))
        #expect(try SDPAttribute.parse("setup:passive") == .setup(.passive))
        #expect(try SDPAttribute.parse("sctp-port:5000") == .sctpPort(5000))
        #expect(
            try SDPAttribute.parse("extmap:2/recvonly urn:x")
                == .extensionMap(ExtensionMap(id: 2, direction: .recvonly, uri: "urn:x")))
        #expect(
            try SDPAttribute.parse("rtcp-fb:* nack pli")
                == .rtcpFeedback(RTCPFeedback(payloadTypes: .all, type: "nack", parameter: "pli")))
        #expect(
            try SDPAttribute.parse("ssrc:5 cname:a:b")
                == .ssrc(SSRCAttribute(ssrc: 5, attribute: "cname", value: "a:b")))
        #expect(SDPAttribute.direction(.sendonly).name == "sendonly")
        #expect(SDPAttribute.formatParameters(FormatParameters(format: "1", parameters: "")).name == "fmtp")
    }

    @Test func formatParameterList() throws {
        let parameters = FormatParameters(format: "100", parameters: " profile-level-id=42e01f; packetization-mode=1 ;flag")
        #expect(parameters.payloadType == 100)
        #expect(parameters.parameterList == [
            .init(name: "profile-level-id", value: "42e01f"), .init(name: "packetization-mode", value: "1"),
            .init(name: "flag", value: nil),
        ])
        #expect(parameters.value(for: "PACKETIZATION-MODE") == "1")
        #expect(parameters.value(for: "flag") == "")
        #expect(parameters.value(for: "absent") == nil)
        let built = FormatParameters(payloadType: 111, parameterList: [.init(name: "minptime", value: "10"), .init(name: "stereo", value: nil)])
        #expect(SDPAttribute.formatParameters(built).text == "fmtp:111 minptime=10;stereo")
    }

    @Test func fingerprintLowercaseHexIsAcceptedAndKeptVerbatim() throws {
        let text = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=fingerprint:SHA-1 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33\r\n"
        let description = try SessionDescription.parse(text)
        let fingerprint = try #require(description.attributes.fingerprints.first)
        #expect(fingerprint.hashFunction == "SHA-1")
        #expect(fingerprint.bytes[10] == 0xAA)
        #expect(description.attributes[0].originalText != nil)
        #expect(description.serialize() == text)
        #expect(fingerprint.description == "SHA-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33")
        #expect(try Fingerprint.parse(fingerprint.description) == fingerprint)
    }

    @Test func nonCanonicalSpellingsSurviveARoundTrip() throws {
        let lines = [
            "a=msid-semantic: WMS", "a=group:BUNDLE  0 1", "a=rtcp-fb:96  nack", "a=ssrc:1  cname:x",
            "a=candidate:1 1 UDP 1 192.0.2.1 5000 typ host", "a=extmap:01 urn:x", "a=setup: actpass",
            "a=simulcast:recv 2 send 1", "a=sctp-port:05000", "a=ice-options:trickle\tice2",
        ]
        let text = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" + lines.map { $0 + "\r\n" }.joined()
        let description = try SessionDescription.parse(text)
        #expect(description.serialize() == text)
        #expect(description.attributes.allSatisfy { $0.originalText != nil })
        #expect(description.attributes.msidSemantic == MSIDSemantic(semantic: "WMS", identifiers: []))
        #expect(description.attributes.setup == .actpass)
        #expect(description.attributes.sctpPort == 5000)
        #expect(description.attributes.iceOptions == ["trickle", "ice2"])
    }

    @Test func attributeListEditing() {
        var list: AttributeList = [.mid("0"), .direction(.sendonly), .rtcpMux]
        list.append(.iceUfrag("abcd"))
        #expect(list.mid == "0")
        #expect(list.direction == .sendonly)
        #expect(list.iceUfrag == "abcd")
        #expect(list.isRTCPMux)
        list.removeAttributes { $0 == .rtcpMux }
        #expect(!list.isRTCPMux)
        #expect(list.count == 3)
        list[1].attribute = .direction(.inactive)
        #expect(list.direction == .inactive)
    }

    @Test func mediaDirectionHelpers() {
        #expect(MediaDirection.sendonly.reversed == .recvonly)
        #expect(MediaDirection.recvonly.reversed == .sendonly)
        #expect(MediaDirection.inactive.reversed == .inactive)
        #expect(MediaDirection.sendrecv.sends && MediaDirection.sendrecv.receives)
        #expect(!MediaDirection.recvonly.sends)
    }

    @Test func builtDescriptionSerializesInRFCOrder() throws {
        var audio = MediaDescription(kind: .audio, formats: ["111"], connections: [ConnectionData()])
        audio.attributes = [
            .mid("0"), .direction(.sendrecv), .rtcpMux,
            .rtpMap(RTPMap(payloadType: 111, encodingName: "opus", clockRate: 48000, encodingParameters: 2)),
        ]
        let description = SessionDescription(
            origin: Origin(sessionID: "42", sessionVersion: 1), attributes: [.group(Group(semantics: "BUNDLE", mids: ["0"]))],
            media: [audio])
        let text = description.serialize()
        #expect(text == """
            v=0\r
            o=- 42 1 IN IP4 127.0.0.1\r
            s=-\r
            t=0 0\r
            a=group:BUNDLE 0\r
            m=audio 9 UDP/TLS/RTP/SAVPF 111\r
            c=IN IP4 0.0.0.0\r
            a=mid:0\r
            a=sendrecv\r
            a=rtcp-mux\r
            a=rtpmap:111 opus/48000/2\r

            """)
        #expect(try SessionDescription.parse(text) == description)
    }
}
