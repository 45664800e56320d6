import Codecs
import NIOCore
import RTP
import TestSupport
import Testing

/// Real RTP from senders we did not write (Chromium and aiortc, captured in `Fixtures/packets/` before SRTP
/// protection): our frame assembler reassembles their VP8 and our decoders decode their VP8 and Opus.
@Suite("Captured Chromium and aiortc RTP through our assembler and decoders")
struct CapturedRTPDecodingTests {
    static func packets(_ file: String, payloadType: UInt8) throws -> [RTPPacket] {
        try Fixtures.hexLines("packets/\(file)").compactMap { bytes in
            guard let packet = try? RTPPacket(parsing: ByteBuffer(bytes: bytes)),
                packet.header.payloadType == payloadType, packet.payload.readableBytes > 0
            else { return nil }
            return packet
        }
    }

    /// Assembles `packets` (one SSRC) and decodes every frame; returns the decoded sizes and how many frames
    /// the decoder refused (delta frames without a reference).
    static func assembleAndDecode(_ packets: [RTPPacket]) throws -> (sizes: [String], refused: Int, keyframes: Int) {
        var assembler = VP8FrameAssembler()
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var frames: [VP8FrameAssembler.Frame] = []
        func drain() {
            while let output = assembler.pollOutput() {
                if case .frame(let frame) = output { frames.append(frame) }
            }
        }
        for packet in packets {
            try assembler.insert(sequenceNumber: packet.header.sequenceNumber, timestamp: packet.header.timestamp,
                                 marker: packet.header.marker, payload: packet.payload, now: start)
            drain()
        }
        // Let the assembler give up what it still waits for (a stream that starts with a delta frame).
        assembler.handleTimeout(now: start + .seconds(1))
        drain()
        let decoder = try VP8Decoder()
        var picture = I420Frame(width: 2, height: 2)
        var sizes: [String] = []
        var refused = 0
        for frame in frames {
            let result = Result { () throws(CodecError) in
                try decoder.decode(Array(frame.data.readableBytesView), into: &picture)
            }
            switch result {
            case .success(let info?): sizes.append("\(info.width)x\(info.height)")
            case .success(nil): break
            case .failure(.corruptFrame): refused += 1
            case .failure(let error): throw error
            }
        }
        return (sizes, refused, frames.filter(\.isKeyframe).count)
    }

    @Test("Chromium's VP8 (starting with a keyframe) assembles and decodes, every frame at one size")
    func chromiumVideo() throws {
        let packets = try Self.packets("chromium-rtp-video.hex", payloadType: 96)
        #expect(packets.count == 70)
        let result = try Self.assembleAndDecode(packets)
        #expect(result.keyframes >= 1)
        #expect(result.refused == 0)
        #expect(result.sizes.count >= 3, "decoded \(result.sizes)")
        #expect(Set(result.sizes).count == 1, "sizes \(Set(result.sizes))")
    }

    @Test("Chromium's three simulcast layers decode at the sizes their rids announce")
    func chromiumSimulcast() throws {
        let packets = try Self.packets("chromium-rtp-simulcast.hex", payloadType: 96)
        let bySSRC = Dictionary(grouping: packets, by: \.header.ssrc)
        #expect(bySSRC.count == 3)
        var decodedSizes: Set<String> = []
        for (_, layer) in bySSRC {
            let result = try Self.assembleAndDecode(layer)
            #expect(result.refused == 0)
            #expect(Set(result.sizes).count <= 1)
            decodedSizes.formUnion(result.sizes)
        }
        // 25 packets may not hold a whole 1280x720 keyframe; the layers that complete one show their size.
        #expect(decodedSizes.isSubset(of: ["320x180", "640x360", "1280x720"]), "\(decodedSizes)")
        #expect(decodedSizes.contains("320x180"))
    }

    @Test("aiortc's VP8 starts with a delta frame: refused until the keyframe that follows, which decodes")
    func aiortcVideo() throws {
        let packets = try Self.packets("aiortc-rtp.hex", payloadType: 96)
        #expect(packets.count == 50)
        let result = try Self.assembleAndDecode(packets)
        #expect(result.keyframes >= 1)
        #expect(result.refused >= 1)
        #expect(!result.sizes.isEmpty)
        #expect(Set(result.sizes).count == 1, "sizes \(Set(result.sizes))")
    }

    @Test("Chromium's and aiortc's Opus decode to 20 ms stereo frames", arguments: ["chromium-rtp-audio.hex", "aiortc-rtp.hex"])
    func opus(file: String) throws {
        let packets = try Self.packets(file, payloadType: 111)
        #expect(packets.count >= 40)
        let decoder = try OpusDecoder(channels: 2)
        for packet in packets {
            let toc = try OpusTOC(payload: packet.payload)
            #expect(toc.frameDurationMicroseconds == 20_000)
            let pcm = try decoder.decode(Array(packet.payload.readableBytesView))
            #expect(pcm.count == 2 * 960)
        }
    }
}
