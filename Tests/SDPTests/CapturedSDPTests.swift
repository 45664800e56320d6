import SDP
import TestSupport
import Testing

/// Real descriptions captured from headless Chromium and aiortc (see Fixtures/README.md).
@Suite("Captured SDPs")
struct CapturedSDPTests {
    static let files: [String] = (try? Fixtures.files(in: "sdp", withExtension: "sdp")) ?? []

    static func load(_ name: String) throws -> SessionDescription {
        try SessionDescription.parse(try Fixtures.text("sdp/\(name)"))
    }

    @Test func fixturesArePresent() throws {
        let names = try Fixtures.files(in: "sdp", withExtension: "sdp")
        for expected in [
            "chromium-offer-audio-video.sdp", "chromium-offer-simulcast.sdp", "chromium-answer-to-aiortc.sdp",
            "aiortc-offer-audio-video.sdp", "aiortc-answer-to-chromium.sdp", "chromium-offer-trickle.sdp",
        ] {
            #expect(names.contains("sdp/" + expected), "missing fixture \(expected)")
        }
    }

    @Test(arguments: files)
    func roundTripsByteForByte(file: String) throws {
        let text = try Fixtures.text(file)
        let description = try SessionDescription.parse(text)
        let serialized = description.serialize()
        #expect(Array(serialized.utf8) == Array(text.utf8), "\(file) does not round-trip")
        #expect(description.lineEnding == .crlf)
        #expect(try SessionDescription.parse(serialized) == description)
    }

    @Test(arguments: files)
    func canonicalFormReparsesToTheSameAttributes(file: String) throws {
        // Dropping every kept original spelling must not change the typed model.
        var description = try SessionDescription.parse(try Fixtures.text(file))
        description.attributes = AttributeList(description.attributes.attributes)
        for index in description.media.indices {
            description.media[index].attributes = AttributeList(description.media[index].attributes.attributes)
        }
        #expect(try SessionDescription.parse(description.serialize()) == description)
    }

    @Test(arguments: files)
    func bundleCoversEveryMid(file: String) throws {
        let description = try SessionDescription.parse(try Fixtures.text(file))
        let bundle = try #require(description.bundleGroup)
        #expect(bundle.mids == description.mids.compactMap { $0 })
        for (index, section) in description.media.enumerated() {
            #expect(description.iceUfrag(forMediaAt: index) != nil)
            #expect(description.icePwd(forMediaAt: index) != nil)
            #expect(!description.fingerprints(forMediaAt: index).isEmpty)
            #expect(description.setup(forMediaAt: index) != nil)
            #expect(section.attributes.isRTCPMux)
        }
    }

    @Test func chromiumOffer() throws {
        let offer = try Self.load("chromium-offer-audio-video.sdp")
        #expect(offer.origin.username == "-")
        #expect(offer.origin.sessionVersion == 2)
        #expect(offer.sessionName == "-")
        #expect(offer.bundleGroup?.mids == ["0", "1"])
        #expect(offer.attributes.isExtensionMapAllowMixed)
        #expect(offer.attributes.msidSemantic?.semantic == "WMS")
        #expect(offer.media.map(\.kind) == [.audio, .video])

        let audio = try #require(offer.media(withMID: "0"))
        let video = try #require(offer.media(withMID: "1"))
        for section in [audio, video] {
            #expect(section.proto == "UDP/TLS/RTP/SAVPF")
            #expect(section.attributes.iceUfrag == "mHbw")
            #expect(section.attributes.icePwd == "THRo5nCAb0qPc3DJqHcRNWt7")
            #expect(section.attributes.iceOptions == ["trickle"])
            #expect(section.attributes.setup == .actpass)
            #expect(section.direction == .sendrecv)
            #expect(section.attributes.isRTCPReducedSize)
            let fingerprint = try #require(section.attributes.fingerprints.first)
            #expect(fingerprint.hashFunction == "sha-256")
            #expect(fingerprint.bytes.count == 32)
            #expect(fingerprint.bytes.prefix(3) == [0x0D, 0xA1, 0x52])
            #expect(section.attributes.msids.first?.streamID == "dd79400a-b8d7-4d1c-bdef-77081d802293")
        }

        let opus = try #require(audio.codecs.first)
        #expect(opus.payloadType == 111)
        #expect(opus.name == "opus")
        #expect(opus.clockRate == 48000)
        #expect(opus.channels == 2)
        #expect(opus.parameters?.value(for: "useinbandfec") == "1")
        #expect(opus.parameters?.parameterList == [.init(name: "minptime", value: "10"), .init(name: "useinbandfec", value: "1")])
        #expect(opus.supportsFeedback("transport-cc"))
        #expect(audio.payloadTypes(forCodec: "opus") == [111])
        #expect(audio.extensionID(forURI: "urn:ietf:params:rtp-hdrext:ssrc-audio-level") == 1)
        #expect(audio.extensionID(forURI: "urn:ietf:params:rtp-hdrext:sdes:mid") == 4)
        #expect(audio.ssrcs == [2_028_357_776])
        #expect(audio.cname(forSSRC: 2_028_357_776) == "1Rb6r/s9cOVkoccX")
        #expect(audio.attributes.otherValue(named: "rtcp-xr") == "rcvr-rtt=all")

        let vp8 = try #require(video.codec(forPayloadType: 96))
        #expect(vp8.name == "VP8")
        #expect(vp8.clockRate == 90000)
        #expect(vp8.channels == nil)
        #expect(vp8.supportsFeedback("nack"))
        #expect(vp8.supportsFeedback("nack", parameter: "pli"))
        #expect(vp8.supportsFeedback("ccm", parameter: "fir"))
        #expect(vp8.supportsFeedback("goog-remb"))
        #expect(vp8.supportsFeedback("transport-cc"))
        #expect(video.payloadTypes(forCodec: "VP8") == [96])
        #expect(video.codec(forPayloadType: 97)?.associatedPayloadType == 96)
        #expect(video.extensionID(forURI: "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01") == 3)
        #expect(video.extensionID(forURI: "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id") == 10)
        #expect(video.extensionID(forURI: "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id") == 11)
        #expect(video.extensionID(forURI: "urn:3gpp:video-orientation") == 13)
        let fid = try #require(video.attributes.ssrcGroups.first)
        #expect(fid.semantics == "FID")
        #expect(fid.ssrcs.count == 2)

        // Candidates: UDP and TCP (tcptype active), IPv4 and IPv6.
        let candidates = audio.candidates
        #expect(candidates.count == 4)
        #expect(candidates[0] == ICECandidate(
            foundation: "524340147", component: 1, transport: .udp, priority: 2_122_194_687, address: "192.0.2.2",
            port: 42261, kind: .host,
            extensions: [.init(name: "generation", value: "0"), .init(name: "network-id", value: "1")]))
        #expect(candidates[1].address == "fd00::2")
        #expect(candidates[2].transport == .tcp)
        #expect(candidates[2].tcpType == .active)
        #expect(candidates[2].port == 9)
        #expect(candidates[3].networkID == 2)
        #expect(candidates.allSatisfy { $0.generation == 0 })
    }

    @Test func chromiumSimulcastOffer() throws {
        let offer = try Self.load("chromium-offer-simulcast.sdp")
        let video = try #require(offer.media.first { $0.kind == .video })
        let simulcast = try #require(video.attributes.simulcast)
        #expect(simulcast.receive.isEmpty)
        #expect(simulcast.send.map { $0.alternatives.map(\.rid) } == [["q"], ["h"], ["f"]])
        #expect(simulcast.send.allSatisfy { $0.alternatives.allSatisfy { !$0.isPaused } })
        #expect(video.attributes.rids == ["q", "h", "f"].map { RID(id: $0, direction: .send) })
        #expect(video.extensionID(forURI: "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id") != nil)
    }

    @Test func chromiumTrickleOfferHasNoCandidates() throws {
        let offer = try Self.load("chromium-offer-trickle.sdp")
        for section in offer.media {
            #expect(section.candidates.isEmpty)
            #expect(section.port == 9)
            #expect(section.connection == ConnectionData(address: "0.0.0.0"))
        }
    }

    @Test func chromiumMDNSOffer() throws {
        guard Self.files.contains("sdp/chromium-offer-mdns.sdp") else { return }
        let offer = try Self.load("chromium-offer-mdns.sdp")
        let candidates = offer.media.flatMap(\.candidates)
        #expect(!candidates.isEmpty)
        #expect(candidates.allSatisfy { $0.isMDNSAddress && $0.networkCost == 999 })
    }

    @Test func aiortcOffer() throws {
        let offer = try Self.load("aiortc-offer-audio-video.sdp")
        #expect(offer.attributes.msidSemantic == MSIDSemantic(semantic: "WMS", identifiers: ["*"]))
        let audio = try #require(offer.media(withMID: "0"))
        #expect(audio.attributes.fingerprints.map(\.hashFunction) == ["sha-256", "sha-384", "sha-512"])
        #expect(audio.attributes.fingerprints.map(\.bytes.count) == [32, 48, 64])
        #expect(audio.attributes.isEndOfCandidates)
        let candidate = try #require(audio.candidates.first)
        #expect(candidate.foundation == "16572de626da4e5384a0ce2d0d93678a")
        #expect(candidate.address == "127.0.0.1")
        #expect(candidate.extensions.isEmpty)
        #expect(audio.payloadTypes(forCodec: "opus") == [96])
        let video = try #require(offer.media(withMID: "1"))
        #expect(video.payloadTypes(forCodec: "vp8") == [97])
        #expect(video.payloadTypes(forCodec: "H264") == [99, 101])
        #expect(video.codec(forPayloadType: 100)?.associatedPayloadType == 99)
        #expect(video.attributes.ssrcGroups == [SSRCGroup(semantics: "FID", ssrcs: [4_208_186_783, 3_868_642_926])])
    }

    @Test func answersPickARole() throws {
        let chromiumAnswer = try Self.load("chromium-answer-to-aiortc.sdp")
        let aiortcAnswer = try Self.load("aiortc-answer-to-chromium.sdp")
        for answer in [chromiumAnswer, aiortcAnswer] {
            for index in answer.media.indices {
                let role = try #require(answer.setup(forMediaAt: index))
                #expect(role == .active || role == .passive)
            }
        }
    }

    @Test func trickledCandidatesParseAndReserialize() throws {
        let text = try Fixtures.text("sdp/chromium-candidates.txt")
        var count = 0
        var sawTCP = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let trimmed = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            if trimmed.hasPrefix("#") || trimmed.isEmpty { continue }
            let candidate = try ICECandidate.parse(trimmed)
            #expect(candidate.serialize() == trimmed)
            #expect(try ICECandidate.parse("a=" + trimmed) == candidate)
            #expect(candidate.usernameFragment == "KVaf")
            if candidate.transport == .tcp {
                sawTCP = true
                #expect(candidate.tcpType == .active)
            }
            count += 1
        }
        #expect(count >= 4)
        #expect(sawTCP)
    }

    @Test(arguments: files)
    func everyCandidateLineReserializesIdentically(file: String) throws {
        let text = try Fixtures.text(file)
        for line in text.split(separator: "\r\n") where line.hasPrefix("a=candidate:") {
            let candidate = try ICECandidate.parse(String(line))
            #expect("a=" + candidate.serialize() == String(line))
        }
    }
}
