import Codecs
import Foundation
import TestSupport
import Testing

@Suite("Media containers: IVF, Ogg/Opus, WAV, Y4M")
struct ContainerTests {
    /// A few encoded VP8 frames of the test pattern.
    static func vp8Frames(width: Int = 160, height: Int = 90, count: Int = 6) throws -> [[UInt8]] {
        let encoder = try VP8Encoder(
            settings: VP8EncoderSettings(width: width, height: height, bitrateKbps: 200, frameDropThresholdPercent: 0))
        var source = TestPatternSource(width: width, height: height)
        var output: [UInt8] = []
        var frames: [[UInt8]] = []
        for index in 0..<count {
            _ = try encoder.encode(source.nextFrame(), timestamp: Int64(index * 3_000), into: &output)
            frames.append(output)
        }
        return frames
    }

    static func ivf(_ frames: [[UInt8]], width: Int = 160, height: Int = 90) -> [UInt8] {
        var writer = IVFWriter(header: IVFHeader(width: width, height: height, timebaseRate: 30, timebaseScale: 1))
        for (index, frame) in frames.enumerated() { writer.append(frame: frame, timestamp: UInt64(index)) }
        return writer.bytes
    }

    static func oggOpus(seconds: Double, frequency: Double = 440) throws -> [UInt8] {
        let encoder = try OpusEncoder(settings: OpusEncoderSettings(channels: 1))
        var tone = SineToneGenerator(frequency: frequency, amplitude: 10_000)
        var writer = OggOpusWriter(head: OpusHead(channels: 1), tags: OpusTags(comments: ["TITLE=tone"]))
        for _ in 0..<Int(seconds * 50) {
            try writer.append(packet: encoder.encode(tone.next(sampleFrames: 960)))
        }
        writer.finish()
        return writer.bytes
    }

    @Test("IVF round trip: header, frames and timestamps; the frames decode")
    func ivfRoundTrip() throws {
        let frames = try Self.vp8Frames()
        var reader = try IVFReader(bytes: Self.ivf(frames))
        #expect(reader.header.fourCC == "VP80")
        #expect(reader.header.width == 160 && reader.header.height == 90)
        #expect(reader.header.frameCount == 6)
        #expect(reader.header.timebaseRate == 30)
        let read = try reader.readAllFrames()
        #expect(read.map(\.data) == frames)
        #expect(read.map(\.timestamp) == [0, 1, 2, 3, 4, 5])
        let decoder = try VP8Decoder()
        var picture = I420Frame(width: 2, height: 2)
        for frame in read {
            let info = try #require(try decoder.decode(frame.data, into: &picture))
            #expect(info.width == 160 && info.height == 90)
        }
    }

    @Test("IVF: malformed and truncated files are typed errors")
    func ivfMalformed() throws {
        let good = Self.ivf(try Self.vp8Frames(count: 2))
        #expect(throws: CodecError.malformed(format: "IVF", offset: 0, reason: "signature is not DKIF")) {
            try IVFReader(bytes: Array("RIFF".utf8) + good.dropFirst(4))
        }
        #expect(throws: CodecError.self) { try IVFReader(bytes: Array(good.prefix(20))) }
        var truncated = try IVFReader(bytes: Array(good.dropLast(5)))
        _ = try truncated.nextFrame()
        #expect(throws: CodecError.self) { try truncated.nextFrame() }
        // A frame size far beyond the file.
        var huge = good
        huge[32] = 0xFF
        huge[33] = 0xFF
        huge[34] = 0xFF
        huge[35] = 0x7F
        var hugeReader = try IVFReader(bytes: huge)
        #expect(throws: CodecError.self) { try hugeReader.nextFrame() }
    }

    @Test("Ogg/Opus round trip: OpusHead, OpusTags, packets, granule positions; decodes to the tone")
    func oggOpusRoundTrip() throws {
        let bytes = try Self.oggOpus(seconds: 2.5)
        let file = try OggOpusFile(bytes: bytes)
        #expect(file.head.channels == 1)
        #expect(file.head.preSkip == 312)
        #expect(file.tags.vendor == "Meeting")
        #expect(file.tags.comments == ["TITLE=tone"])
        #expect(file.packets.count == 125)
        #expect(file.finalGranulePosition == 125 * 960)
        #expect(file.durationSamples == 125 * 960 - 312)
        #expect(file.hasEndOfStream)
        // Pages: head, tags, then one per second of audio (3 for 2.5 s).
        var offset = 0
        var granules: [Int64] = []
        while offset < bytes.count {
            let (page, end) = try OggPage.parse(bytes, at: offset)
            granules.append(page.granulePosition)
            offset = end
        }
        #expect(granules == [0, 0, 48_000, 96_000, 120_000])
        let decoder = try OpusDecoder(channels: 1)
        var pcm: [Int16] = []
        for packet in file.packets { pcm += try decoder.decode(packet) }
        let frequency = try #require(
            FrequencyEstimator.dominantFrequency(of: pcm.dropFirst(Int(file.head.preSkip) + 4_800), sampleRate: 48_000))
        #expect(abs(frequency - 440) <= 2)
    }

    @Test("Ogg: a flipped bit fails the CRC-32; bad capture pattern, truncation, missing headers are typed errors")
    func oggMalformed() throws {
        let bytes = try Self.oggOpus(seconds: 0.2)
        var flipped = bytes
        flipped[bytes.count - 3] ^= 0x10
        #expect(throws: CodecError.self) { try OggOpusFile(bytes: flipped) }
        do {
            _ = try OggOpusFile(bytes: flipped)
        } catch {
            #expect(error.code == "container.ogg_checksum")
        }
        #expect(throws: CodecError.self) { try OggOpusFile(bytes: Array(bytes.dropLast(7))) }
        var pattern = bytes
        pattern[0] = 0x4E
        #expect(throws: CodecError.self) { try OggOpusFile(bytes: pattern) }
        #expect(throws: CodecError.self) { try OggOpusFile(bytes: []) }
        // Offsets outside the data are errors, not traps.
        #expect(throws: CodecError.self) { try OggPage.parse(bytes, at: -1) }
        #expect(throws: CodecError.self) { try OggPage.parse(bytes, at: bytes.count + 1) }
        // A valid page whose packet is not OpusHead.
        let page = OggPage(isContinuation: false, isBeginningOfStream: true, isEndOfStream: true, granulePosition: 0,
                           serialNumber: 1, sequenceNumber: 0, segmentTable: [4, 8], data: Array("abcdOpusTags".utf8))
        #expect(throws: CodecError.self) { try OggOpusFile(bytes: page.serialized()) }
    }

    @Test("Ogg: a packet larger than 255 bytes is laced over segments, and one spanning pages is reassembled")
    func oggLacing() throws {
        var writer = OggOpusWriter(head: OpusHead(channels: 2))
        let big = (0..<700).map { UInt8(truncatingIfNeeded: $0) }
        let exact = [UInt8](repeating: 7, count: 255)
        try writer.append(packet: big)
        try writer.append(packet: exact)
        writer.finish()
        let file = try OggOpusFile(bytes: writer.bytes)
        #expect(file.packets == [big, exact])
        #expect(file.head.channels == 2)
        // Hand-made continuation: one packet split over two pages (RFC 3533 §6, header_type 0x01).
        var stream = OggOpusWriter(head: OpusHead(channels: 1)).bytes
        let first = OggPage(isContinuation: false, isBeginningOfStream: false, isEndOfStream: false,
                            granulePosition: -1, serialNumber: 0x4D45_4554, sequenceNumber: 2,
                            segmentTable: [255], data: Array(big[0..<255]))
        let second = OggPage(isContinuation: true, isBeginningOfStream: false, isEndOfStream: true,
                             granulePosition: 960, serialNumber: 0x4D45_4554, sequenceNumber: 3,
                             segmentTable: [255, 190], data: Array(big[255...]))
        stream += first.serialized() + second.serialized()
        let spanning = try OggOpusFile(bytes: stream)
        #expect(spanning.packets == [big])
        #expect(spanning.finalGranulePosition == 960)
    }

    @Test("WAV round trip, chunks skipped, non-PCM16 refused")
    func wav() throws {
        var tone = SineToneGenerator(frequency: 1_000, channels: 2)
        let file = WAVFile(sampleRate: 48_000, channels: 2, samples: tone.next(sampleFrames: 480))
        let bytes = file.serialized()
        #expect(bytes.count == 44 + 480 * 4)
        #expect(try WAVFile(bytes: bytes) == file)
        // A LIST chunk of odd size (with its pad byte) before fmt.
        var withList = Array(bytes[0..<12]) + Array("LIST".utf8) + [3, 0, 0, 0, 1, 2, 3, 0] + Array(bytes[12...])
        #expect(try WAVFile(bytes: withList) == file)
        withList[12 + 12 + 8] = 3  // format tag 3: IEEE float
        #expect(throws: CodecError.self) { try WAVFile(bytes: withList) }
        #expect(throws: CodecError.self) { try WAVFile(bytes: Array(bytes[0..<30])) }
        #expect(throws: CodecError.self) { try WAVFile(bytes: Array("RIFF....AVI ".utf8)) }
    }

    @Test("Y4M: write and read back 4:2:0 frames; other chroma and broken headers are errors")
    func y4m() throws {
        var source = TestPatternSource(width: 33, height: 17)
        var writer = Y4MWriter(width: 33, height: 17, framesPerSecond: 25)
        let frames = [source.nextFrame(), source.nextFrame()]
        for frame in frames { try writer.append(frame) }
        var reader = try Y4MReader(bytes: writer.bytes)
        #expect(reader.width == 33 && reader.height == 17)
        #expect(reader.frameRate.numerator == 25)
        #expect(try reader.nextFrame() == frames[0])
        #expect(try reader.nextFrame() == frames[1])
        #expect(try reader.nextFrame() == nil)
        #expect(throws: CodecError.self) { try Y4MReader(bytes: Array("YUV4MPEG2 W16 H16 C444\n".utf8)) }
        #expect(throws: CodecError.self) { try Y4MReader(bytes: Array("YUV4MPEG2 W16 H16".utf8)) }
        #expect(throws: CodecError.self) { try Y4MReader(bytes: Array("MPEG W16 H16\n".utf8)) }
        var short = try Y4MReader(bytes: Array(writer.bytes.dropLast(10)))
        _ = try short.nextFrame()
        #expect(throws: CodecError.self) { try short.nextFrame() }
    }

    @Test("random bytes never trap the readers")
    func randomInput() {
        var random = SplitMix64(seed: 42)
        let good = (try? Self.oggOpus(seconds: 0.1)) ?? []
        for round in 0..<300 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int(random.next() % 200)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            } else {
                bytes = good
                for _ in 0..<3 where !bytes.isEmpty {
                    bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
                }
            }
            _ = try? OggOpusFile(bytes: bytes)
            _ = try? WAVFile(bytes: bytes)
            if var reader = try? IVFReader(bytes: Array("DKIF".utf8) + bytes) {
                for _ in 0..<50 { guard (try? reader.nextFrame()) != nil else { break } }
            }
            if var reader = try? Y4MReader(bytes: bytes) { _ = try? reader.nextFrame() }
        }
    }
}

@Suite(
    "Containers read by PyAV (FFmpeg)",
    .enabled(if: RealPeer.available(PyAVProbe.isAvailable), "install PyAV: pip install aiortc==1.16.0 (brings av)"))
struct PyAVContainerTests {
    @Test("FFmpeg reads our IVF and decodes every VP8 frame at the sent size")
    func ivfAcceptedByFFmpeg() throws {
        let directory = try PyAVProbe.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("clip.ivf")
        try Data(ContainerTests.ivf(try ContainerTests.vp8Frames(count: 10))).write(to: file)
        let report = try PyAVProbe.probe(file)
        #expect(report["format"] as? String == "ivf")
        let stream = try #require((report["streams"] as? [[String: Any]])?.first)
        #expect(stream["codec"] as? String == "vp8")
        #expect(stream["frames"] as? Int == 10)
        #expect((stream["sizes"] as? [[Int]]) == [[160, 90]])
    }

    @Test("FFmpeg reads our Ogg/Opus (CRC, granules, headers) and decodes it to the 440 Hz tone")
    func oggAcceptedByFFmpeg() throws {
        let directory = try PyAVProbe.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("tone.ogg")
        let pcmFile = directory.appendingPathComponent("tone.s16")
        try Data(try ContainerTests.oggOpus(seconds: 1)).write(to: file)
        let report = try PyAVProbe.probe(file, pcmOutput: pcmFile)
        #expect(report["format"] as? String == "ogg")
        let stream = try #require((report["streams"] as? [[String: Any]])?.first)
        #expect(stream["codec"] as? String == "opus")
        #expect(stream["sample_rate"] as? Int == 48_000)
        #expect(stream["channels"] as? Int == 1)
        // FFmpeg honours pre-skip: 50 × 960 − 312 samples.
        #expect(stream["samples"] as? Int == 50 * 960 - 312)
        let raw = try Data(contentsOf: pcmFile)
        let samples = stride(from: 0, to: raw.count - 1, by: 2).map {
            Int16(bitPattern: UInt16(raw[$0]) | UInt16(raw[$0 + 1]) << 8)
        }
        let frequency = try #require(FrequencyEstimator.dominantFrequency(of: samples.dropFirst(4_800), sampleRate: 48_000))
        #expect(abs(frequency - 440) <= 2, "FFmpeg decoded \(frequency) Hz")
    }
}

@Suite("Committed media fixtures (Fixtures/media)")
struct MediaFixtureTests {
    @Test("the three VP8 simulcast clips read, start with a keyframe and decode to their size", arguments: [
        (320, 180), (640, 360), (1280, 720),
    ])
    func vp8Clips(width: Int, height: Int) throws {
        var reader = try IVFReader(bytes: Fixtures.data("media/test-pattern-\(width)x\(height).ivf"))
        #expect(reader.header.width == width && reader.header.height == height)
        #expect(reader.header.timebaseRate == 90_000)
        let frames = try reader.readAllFrames()
        #expect(frames.count == 60)
        #expect(frames.map(\.timestamp) == (0..<60).map { UInt64($0 * 3_000) })
        #expect(try VP8FrameHeader(frames[0].data).isKeyframe)
        #expect(try frames.dropFirst().allSatisfy { try !VP8FrameHeader($0.data).isKeyframe })
        // Decode the first few frames (enough to prove the clip, cheap on 2 cores).
        let decoder = try VP8Decoder()
        var picture = I420Frame(width: 2, height: 2)
        for frame in frames.prefix(3) {
            let info = try #require(try decoder.decode(frame.data, into: &picture))
            #expect(info.width == width && info.height == height)
        }
    }

    @Test("the Opus clip is 3 s of a 440 Hz tone")
    func opusClip() throws {
        let file = try OggOpusFile(bytes: Fixtures.data("media/tone-440hz.ogg"))
        #expect(file.packets.count == 150)
        #expect(file.durationSamples == 150 * 960 - 312)
        let decoder = try OpusDecoder(channels: 1)
        var pcm: [Int16] = []
        for packet in file.packets.prefix(50) { pcm += try decoder.decode(packet) }
        let frequency = try #require(FrequencyEstimator.dominantFrequency(of: pcm.dropFirst(4_800), sampleRate: 48_000))
        #expect(abs(frequency - 440) <= 2)
    }
}
