import Foundation
import NIOCore
import RTP
import SDP
import Testing
import WebRTC

@Suite("NACK and retransmission (RFC 4585 §6.2.1, RFC 4588)")
struct LossRecoveryTests {
    @Test("gaps become NACK items after the reordering delay, packed as PID + BLP, and stop once recovered")
    func generatorPacksGaps() {
        var generator = NACKGenerator()
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        for sequence: UInt16 in [65530, 65531, 65534, 2, 3] { generator.packetReceived(sequenceNumber: sequence, now: start) }
        // Missing: 65532, 65533, 65535, 0, 1 (across the wrap).
        #expect(generator.missingCount == 5)
        #expect(generator.collectNACKItems(now: start).isEmpty)
        let due = start + .milliseconds(10)
        #expect(generator.nextDeadline() == due)
        let items = generator.collectNACKItems(now: due)
        #expect(items.count == 1)
        #expect(items.first?.packetID == 65532)
        #expect(items.first?.lostSequenceNumbers == [65532, 65533, 65535, 0, 1])
        // Recovered packets are no longer reported; the rest come again after the retry interval.
        generator.packetReceived(sequenceNumber: 65535, now: due)
        generator.packetReceived(sequenceNumber: 0, now: due)
        #expect(generator.collectNACKItems(now: due + .milliseconds(50)).isEmpty)
        let again = generator.collectNACKItems(now: due + .milliseconds(100))
        #expect(again.flatMap(\.lostSequenceNumbers) == [65532, 65533, 1])
    }

    @Test("a packet is given up after the maximum number of NACKs; a huge gap keeps only the newest")
    func generatorBounds() {
        var generator = NACKGenerator()
        var now = NIODeadline.uptimeNanoseconds(0)
        generator.packetReceived(sequenceNumber: 10, now: now)
        generator.packetReceived(sequenceNumber: 12, now: now)
        var rounds = 0
        for _ in 0..<100 {
            now = now + .milliseconds(100)
            if generator.collectNACKItems(now: now).isEmpty { break }
            rounds += 1
        }
        #expect(rounds == generator.maximumRetries)
        #expect(generator.missingCount == 0)
        generator.packetReceived(sequenceNumber: 12 &+ 30000, now: now)
        #expect(generator.missingCount == generator.maximumMissing)
    }

    @Test("the retransmission buffer returns the packet stored under a sequence number until it is overwritten")
    func bufferRing() {
        var buffer = RetransmissionBuffer(capacity: 16)
        for sequence: UInt16 in 0..<20 { buffer.store(ByteBuffer(bytes: [UInt8(sequence)]), sequenceNumber: sequence) }
        #expect(buffer.packet(sequenceNumber: 19).map { Array($0.readableBytesView) } == [19])
        #expect(buffer.packet(sequenceNumber: 4).map { Array($0.readableBytesView) } == [4])
        #expect(buffer.packet(sequenceNumber: 3) == nil)  // overwritten by 19
        #expect(buffer.packet(sequenceNumber: 2) == nil)
    }

    @Test(
        "with 10 % loss on media (RTP, RTX and RTCP) every video packet reaches the receiver through NACK + RTX",
        arguments: [true, false])
    func nackRecoversLostVideo(reducedSize: Bool) throws {
        // Without a=rtcp-rsize in the offer the answer has none either, and neither side sends reduced-size RTCP.
        let network = try makeNegotiatedPair(seed: 21, rewriteOffer: { offer in
            reducedSize ? offer : offer.replacingOccurrences(of: "a=rtcp-rsize\r\n", with: "")
        })
        #expect(network.progress(until: { network.isConnected(0) && network.isConnected(1) }))
        network.mediaLossRate = 0.10
        let sender = network.peers[0]
        let video = try #require(sender.negotiatedMedia.first { $0.kind == .video })
        let vp8 = try #require(video.payloadType(forCodec: "VP8"))
        #expect(video.rtxPayloadType(for: vp8) != nil)
        let midID = video.extensionID(forURI: MediaCapabilities.midExtensionURI)
        let count: UInt16 = 300
        var sent: [UInt16: [UInt8]] = [:]
        var sequenceNumber: UInt16 = 65400  // crosses the wrap
        for index in 0..<Int(count) {
            let payload = (0..<100).map { UInt8(truncatingIfNeeded: $0 &+ index) }
            sent[sequenceNumber] = payload
            try sender.sendRTP(
                makeRTPPacket(
                    payloadType: vp8, sequenceNumber: sequenceNumber, ssrc: video.localSSRC, mid: video.mid,
                    midID: midID, payload: payload),
                now: network.now)
            network.progress(for: .milliseconds(10))
            sequenceNumber &+= 1
        }
        network.mediaLossRate = 0
        network.progress(for: .seconds(2))
        #expect(network.droppedMedia > 0)
        #expect(sender.retransmissionsSent > 0)
        #expect(network.peers[1].nacksSent > 0)
        let received = network.receivedRTP(1).filter { $0.packet.ssrc == video.localSSRC }
        #expect(received.allSatisfy { $0.packet.payloadType == vp8 && $0.mid == video.mid })
        var payloads: [UInt16: [UInt8]] = [:]
        for entry in received { payloads[entry.packet.sequenceNumber] = entry.packet.payload }
        // The last few may be lost with nothing after them to reveal the gap; all others must be recovered.
        var missing: [UInt16] = []
        var check: UInt16 = 65400
        for _ in 0..<Int(count) - 5 {
            if payloads[check] != sent[check] { missing.append(check) }
            check &+= 1
        }
        #expect(missing.isEmpty, "not recovered: \(missing); dropped \(network.droppedMedia)")
        // NACKs travel alone only with reduced-size RTCP; otherwise in a compound after an RR (RFC 4585 §3.1).
        let nackCompounds = network.events[0].compactMap { event -> [RTCPPacket]? in
            guard case .rtcpReceived(let packets) = event,
                packets.contains(where: { if case .genericNACK = $0 { true } else { false } })
            else { return nil }
            return packets
        }
        #expect(!nackCompounds.isEmpty)
        #expect(nackCompounds.allSatisfy { packets in
            if case .receiverReport = packets.first { !reducedSize } else { reducedSize && packets.count == 1 }
        })
    }
}
