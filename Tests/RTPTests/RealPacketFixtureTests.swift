import NIOCore
import TestSupport
import Testing

@testable import RTP

/// Real packets captured from Chromium and aiortc (`Fixtures/packets/*.hex`, see `Fixtures/README.md`).
@Suite("Real-packet fixtures (Chromium, aiortc)")
struct RealPacketFixtureTests {
    /// The `# extmap <id> <uri>` lines of a capture as a map (later lines win, as in the second-session notes).
    static func extensionMap(_ path: String) throws -> RTPHeaderExtensionMap {
        var pairs: [(id: UInt8, uri: String)] = []
        for line in try Fixtures.text(path).split(separator: "\n") where line.hasPrefix("# extmap ") {
            let parts = line.split(separator: " ")
            guard parts.count >= 4, let id = UInt8(parts[2]) else { continue }
            pairs.append((id: id, uri: String(parts[3])))
        }
        return RTPHeaderExtensionMap(extmap: pairs)
    }

    /// `# pt <n> <codec>/...` lines: payload type → codec name.
    static func payloadTypes(_ path: String) throws -> [UInt8: String] {
        var result: [UInt8: String] = [:]
        for line in try Fixtures.text(path).split(separator: "\n") where line.hasPrefix("# pt ") {
            let parts = line.split(separator: " ")
            guard parts.count >= 4, let pt = UInt8(parts[2]) else { continue }
            result[pt] = String(parts[3].split(separator: "/").first ?? "").lowercased()
        }
        return result
    }

    static let rtpFiles = [
        "packets/chromium-rtp-audio.hex", "packets/chromium-rtp-video.hex", "packets/chromium-rtp-simulcast.hex",
        "packets/aiortc-rtp.hex",
    ]
    static let rtcpFiles = ["packets/chromium-rtcp.hex", "packets/aiortc-rtcp.hex"]

    @Test(arguments: rtpFiles)
    func everyRTPPacketParses(_ path: String) throws {
        let packets = try Fixtures.hexLines(path)
        #expect(!packets.isEmpty)
        let map = try Self.extensionMap(path)
        let codecs = try Self.payloadTypes(path)
        for raw in packets {
            let packet = try RTPPacket(parsing: buffer(raw))
            #expect(packet.header.packetLength == raw.count)
            _ = try packet.webRTCHeaderExtensions(using: map)
            // Re-serializing the parsed fields reproduces the packet when the block has no interior padding.
            var again = ByteBuffer()
            try again.writeRTPPacket(packet.headerFields, payload: packet.payload)
            #expect(again.readableBytes <= raw.count)
            let reparsed = try RTPPacket(parsing: again)
            #expect(reparsed.headerFields == packet.headerFields)
            if codecs[packet.header.payloadType] == "opus" {
                _ = try OpusTOC(payload: packet.payload)
            }
            if codecs[packet.header.payloadType] == "vp8" {
                _ = try VP8PayloadDescriptor(payload: packet.payload)
            }
        }
    }

    @Test func chromiumAudioCarriesMidAudioLevelAndTransportSequence() throws {
        let path = "packets/chromium-rtp-audio.hex"
        let map = try Self.extensionMap(path)
        #expect(map.audioLevel != nil && map.transportSequenceNumber != nil && map.mid != nil)
        var transportSequence: [UInt16] = []
        var sawMid = false
        for raw in try Fixtures.hexLines(path) {
            let packet = try RTPPacket(parsing: buffer(raw))
            let ext = try packet.webRTCHeaderExtensions(using: map)
            #expect(ext.audioLevel != nil)
            if let seq = ext.transportSequenceNumber { transportSequence.append(seq) }
            if let mid = ext.mid {
                #expect(mid == "0")
                sawMid = true
            }
            #expect(try OpusTOC(payload: packet.payload).configuration <= 31)
        }
        #expect(sawMid)
        #expect(transportSequence.count == 60)
        // Transport-wide sequence numbers increase (audio only here, so consecutive or with video gaps).
        var unwrapper = SequenceNumberUnwrapper()
        let unwrapped = transportSequence.map { unwrapper.unwrap($0) }
        #expect(unwrapped == unwrapped.sorted())
    }

    @Test func chromiumVideoHasAKeyframeAndRTX() throws {
        let path = "packets/chromium-rtp-video.hex"
        let map = try Self.extensionMap(path)
        let codecs = try Self.payloadTypes(path)
        var keyframes = 0
        var rtxWithOSN = 0
        var pictureIDs: [UInt16] = []
        for raw in try Fixtures.hexLines(path) {
            let packet = try RTPPacket(parsing: buffer(raw))
            let ext = try packet.webRTCHeaderExtensions(using: map)
            #expect(ext.transportSequenceNumber != nil)
            switch codecs[packet.header.payloadType] {
            case "vp8":
                let descriptor = try VP8PayloadDescriptor(payload: packet.payload)
                if descriptor.isKeyframe(payload: packet.payload) { keyframes += 1 }
                if let id = descriptor.pictureID, descriptor.isStartOfPartition, descriptor.partitionIndex == 0 {
                    pictureIDs.append(id)
                }
            case "rtx":
                if packet.header.payloadLength >= 2 {
                    _ = try RTX.originalSequenceNumber(of: packet)
                    var restored = ByteBuffer()
                    try RTX.unwrap(packet, originalSSRC: 1, originalPayloadType: 96, into: &restored)
                    let original = try RTPPacket(parsing: restored)
                    #expect(original.header.payloadType == 96)
                    rtxWithOSN += 1
                }
            default:
                Issue.record("unexpected payload type \(packet.header.payloadType)")
            }
        }
        #expect(keyframes >= 1)
        #expect(!pictureIDs.isEmpty)
        // The first VP8 packet of the capture is a keyframe (the capture starts there).
        let firstVP8 = try Fixtures.hexLines(path).lazy.compactMap { try? RTPPacket(parsing: buffer($0)) }
            .first { codecs[$0.header.payloadType] == "vp8" }
        #expect(firstVP8.map { VP8PayloadDescriptor.isKeyframe(payload: $0.payload) } == true)
        print("chromium-rtp-video: \(keyframes) keyframe packet(s), \(rtxWithOSN) RTX retransmission(s)")
    }

    @Test func chromiumSimulcastCarriesRids() throws {
        let path = "packets/chromium-rtp-simulcast.hex"
        let map = try Self.extensionMap(path)
        #expect(map.rtpStreamID == 10 && map.repairedRTPStreamID == 11)
        var rids: Set<String> = []
        var repaired: Set<String> = []
        for raw in try Fixtures.hexLines(path) {
            let ext = try RTPPacket(parsing: buffer(raw)).webRTCHeaderExtensions(using: map)
            if let rid = ext.rtpStreamID { rids.insert(rid) }
            if let rid = ext.repairedRTPStreamID { repaired.insert(rid) }
        }
        #expect(rids == ["q", "h", "f"])
        #expect(repaired.isSubset(of: ["q", "h", "f"]))
    }

    @Test func aiortcRTPCarriesTransportSequenceAndKeyframe() throws {
        let path = "packets/aiortc-rtp.hex"
        let map = try Self.extensionMap(path)
        let codecs = try Self.payloadTypes(path)
        var keyframe = false
        var withTWCC = 0
        for raw in try Fixtures.hexLines(path) {
            let packet = try RTPPacket(parsing: buffer(raw))
            let ext = try packet.webRTCHeaderExtensions(using: map)
            if ext.transportSequenceNumber != nil { withTWCC += 1 }
            if codecs[packet.header.payloadType] == "vp8", VP8PayloadDescriptor.isKeyframe(payload: packet.payload) {
                keyframe = true
            }
        }
        #expect(keyframe)
        #expect(withTWCC > 0)
    }

    @Test(arguments: rtcpFiles)
    func everyRTCPCompoundParsesAndReserializesByteIdentically(_ path: String) throws {
        let compounds = try Fixtures.hexLines(path)
        #expect(!compounds.isEmpty)
        var kinds: [String: Int] = [:]
        for raw in compounds {
            let packets = try RTCPPacket.parseCompound(buffer(raw))
            var out = ByteBuffer()
            try out.writeRTCPCompound(packets)
            #expect(bytes(out) == raw, "compound \(raw.count) bytes: \(packets)")
            for packet in packets {
                let name = "\(packet)".prefix(while: { $0 != "(" })
                kinds[String(name), default: 0] += 1
                switch packet {
                case .transportCCFeedback(let feedback):
                    let results = feedback.packetResults
                    #expect(results.count == Int(feedback.packetStatusCount))
                    #expect(results.filter { $0.receiveDelta != nil }.count == feedback.receiveDeltas.count)
                    #expect(results.first?.sequenceNumber == feedback.baseSequenceNumber)
                case .genericNACK(let nack):
                    #expect(!nack.lostSequenceNumbers.isEmpty)
                    let rebuilt = RTCPGenericNACK(
                        senderSSRC: nack.senderSSRC,
                        mediaSSRC: nack.mediaSSRC,
                        lostSequenceNumbers: nack.lostSequenceNumbers
                    )
                    #expect(rebuilt.lostSequenceNumbers == nack.lostSequenceNumbers)
                case .sourceDescription(let sdes):
                    #expect(sdes.chunks.allSatisfy { $0.cname != nil })
                case .unknown(let unknown):
                    Issue.record("undecoded RTCP packet type \(unknown.packetType) format \(unknown.countOrFormat)")
                default:
                    break
                }
            }
        }
        print("\(path): \(compounds.count) compounds; \(kinds.sorted { $0.key < $1.key })")
    }

    @Test func chromiumRTCPHasTWCCNACKPLIAndREMB() throws {
        var seen: Set<String> = []
        for raw in try Fixtures.hexLines("packets/chromium-rtcp.hex") {
            for packet in try RTCPPacket.parseCompound(buffer(raw)) {
                switch packet {
                case .transportCCFeedback: seen.insert("twcc")
                case .genericNACK: seen.insert("nack")
                case .pictureLossIndication: seen.insert("pli")
                case .receiverEstimatedMaximumBitrate(let remb):
                    seen.insert("remb")
                    #expect(remb.bitrate > 0)
                case .senderReport: seen.insert("sr")
                case .receiverReport: seen.insert("rr")
                case .sourceDescription: seen.insert("sdes")
                default: break
                }
            }
        }
        #expect(seen == ["twcc", "nack", "pli", "remb", "sr", "rr", "sdes"])
    }
}
