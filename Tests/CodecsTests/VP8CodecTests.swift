import Codecs
import Testing

@Suite("VP8 encoder and decoder")
struct VP8CodecTests {
    static func settings(width: Int = 160, height: Int = 120) -> VP8EncoderSettings {
        VP8EncoderSettings(width: width, height: height, bitrateKbps: 300, frameDropThresholdPercent: 0)
    }

    @Test("encode → decode keeps the size and the picture; keyframe first and on request")
    func roundTrip() throws {
        let encoder = try VP8Encoder(settings: Self.settings())
        let decoder = try VP8Decoder()
        var source = TestPatternSource(width: 160, height: 120)
        var encoded: [UInt8] = []
        var decoded = I420Frame(width: 2, height: 2)
        var keyframes: [Int] = []
        for index in 0..<10 {
            let picture = source.nextFrame()
            let info = try #require(
                try encoder.encode(picture, timestamp: Int64(index * 3_000), forceKeyframe: index == 6, into: &encoded))
            #expect(info.size == encoded.count)
            let header = try VP8FrameHeader(encoded)
            #expect(header.isKeyframe == info.isKeyframe)
            if info.isKeyframe {
                keyframes.append(index)
                #expect(header.width == 160 && header.height == 120)
            }
            let result = try #require(try decoder.decode(encoded, into: &decoded))
            #expect(result.width == 160 && result.height == 120)
            #expect(decoded.width == 160 && decoded.height == 120)
            #expect(abs(decoded.meanLuma - picture.meanLuma) < 6, "frame \(index) luma \(decoded.meanLuma) vs \(picture.meanLuma)")
        }
        #expect(keyframes == [0, 6])
        #expect(!decoder.needsKeyframe)
    }

    @Test("odd sizes are encoded and decoded")
    func oddSize() throws {
        let encoder = try VP8Encoder(settings: Self.settings(width: 97, height: 55))
        let decoder = try VP8Decoder()
        var source = TestPatternSource(width: 97, height: 55)
        var encoded: [UInt8] = []
        var decoded = I420Frame(width: 2, height: 2)
        _ = try encoder.encode(source.nextFrame(), timestamp: 0, into: &encoded)
        let result = try #require(try decoder.decode(encoded, into: &decoded))
        #expect(result.width == 97 && result.height == 55)
        #expect(decoded.bytes.count == I420Frame.byteCount(width: 97, height: 55))
    }

    @Test("corruption is reported: delta frames without a reference, after referenceLost(), and garbage")
    func corruptionReported() throws {
        let encoder = try VP8Encoder(settings: Self.settings())
        var source = TestPatternSource(width: 160, height: 120)
        var frames: [[UInt8]] = []
        var encoded: [UInt8] = []
        for index in 0..<4 {
            _ = try encoder.encode(source.nextFrame(), timestamp: Int64(index * 3_000), into: &encoded)
            frames.append(encoded)
        }
        let decoder = try VP8Decoder()
        var picture = I420Frame(width: 2, height: 2)
        #expect(throws: CodecError.corruptFrame) { try decoder.decode(frames[1], into: &picture) }
        _ = try decoder.decode(frames[0], into: &picture)
        _ = try decoder.decode(frames[1], into: &picture)
        decoder.referenceLost()
        #expect(decoder.needsKeyframe)
        #expect(throws: CodecError.corruptFrame) { try decoder.decode(frames[3], into: &picture) }
        // A keyframe tag with a broken body: libvpx refuses it, we report it.
        var broken = frames[0]
        for index in 10..<broken.count { broken[index] = UInt8(truncatingIfNeeded: index &* 37) }
        broken.removeLast(broken.count / 2)
        #expect(throws: CodecError.self) { try decoder.decode(broken, into: &picture) }
        #expect(throws: CodecError.self) { try decoder.decode([0x00], into: &picture) }
        #expect(throws: CodecError.self) { try decoder.decode([0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0, 0, 0, 0], into: &picture) }
    }

    @Test("invalid settings and frames of the wrong size are errors")
    func invalidInput() throws {
        #expect(throws: CodecError.self) { try VP8Encoder(settings: Self.settings(width: 0, height: 120)) }
        let encoder = try VP8Encoder(settings: Self.settings())
        var output: [UInt8] = []
        #expect(throws: CodecError.self) {
            try encoder.encode(I420Frame(width: 320, height: 240), timestamp: 0, into: &output)
        }
        try encoder.setBitrate(kbps: 150)
        #expect(encoder.settings.bitrateKbps == 150)
    }
}
