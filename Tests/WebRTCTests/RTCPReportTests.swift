import NIOCore
import RTP
import SDP
import Testing
import WebRTC

@Suite("RTCP sender and receiver reports (RFC 3550 §6.4)")
struct RTCPReportTests {
    /// The RTCP packets peer `index` received.
    func receivedRTCP(_ network: VirtualPeerNetwork, _ index: Int) -> [RTCPPacket] {
        network.events[index].flatMap { event -> [RTCPPacket] in
            if case .rtcpReceived(let packets) = event { packets } else { [] }
        }
    }

    @Test("a sender reports SR with its counts, the receiver RR blocks for it, each with SDES CNAME, about every second")
    func reportsFlow() throws {
        let network = try makeNegotiatedPair(seed: 21)
        #expect(network.progress(until: { network.isConnected(0) && network.isConnected(1) }))
        let sender = network.peers[0]
        let video = try #require(sender.negotiatedMedia.first { $0.kind == .video })
        let vp8 = try #require(video.payloadType(forCodec: "VP8"))
        let midID = video.extensionID(forURI: MediaCapabilities.midExtensionURI)
        for sequenceNumber in UInt16(1)...50 {
            try sender.sendRTP(
                makeRTPPacket(
                    payloadType: vp8, sequenceNumber: sequenceNumber, ssrc: video.localSSRC, mid: video.mid,
                    midID: midID, payload: [UInt8](repeating: 7, count: 100)),
                now: network.now)
            network.progress(for: .milliseconds(20))
        }
        network.progress(for: .seconds(5))

        // Peer 1 got SRs from peer 0 counting the 50 packets of 100 payload bytes.
        let senderReports = receivedRTCP(network, 1).compactMap { packet -> RTCPSenderReport? in
            if case .senderReport(let report) = packet { report } else { nil }
        }
        let last = try #require(senderReports.last { $0.ssrc == video.localSSRC })
        #expect(last.packetCount == 50)
        #expect(last.octetCount == 5000)
        // Reports about every second (randomized 0.5–1.5 s) over the ~6 s since connecting.
        #expect(senderReports.count >= 3 && senderReports.count <= 13)

        // Peer 0 got reports from peer 1 with a block about its video SSRC: nothing lost, LSR echoed.
        let blocks = receivedRTCP(network, 0).flatMap { packet -> [RTCPReportBlock] in
            switch packet {
            case .receiverReport(let report): report.reports
            case .senderReport(let report): report.reports
            default: []
            }
        }.filter { $0.ssrc == video.localSSRC }
        let block = try #require(blocks.last)
        #expect(block.cumulativeLost == 0)
        #expect(block.extendedHighestSequenceNumber & 0xFFFF == 50)
        #expect(blocks.contains { $0.lastSenderReport != 0 })
        // Every compound carries SDES CNAME (RFC 3550 §6.1).
        let names = receivedRTCP(network, 0).compactMap { packet -> String? in
            if case .sourceDescription(let sdes) = packet { sdes.chunks.first?.cname } else { nil }
        }
        #expect(names.contains("meeting"))
        #expect(network.peers[0].reportsSent >= 3 && network.peers[1].reportsSent >= 3)
    }

    @Test("PLI and FIR from the peer are counted as keyframe requests")
    func keyframeRequestsCounted() throws {
        let network = try makeNegotiatedPair(seed: 22)
        #expect(network.progress(until: { network.isConnected(0) && network.isConnected(1) }))
        try network.peers[1].sendRTCP(
            [
                .pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 2)),
                .fullIntraRequest(RTCPFullIntraRequest(senderSSRC: 1, entries: [.init(ssrc: 2, sequenceNumber: 1)])),
            ], now: network.now)
        network.progress(for: .milliseconds(50))
        #expect(network.peers[0].keyframeRequestsReceived == 2)
    }
}
