import Codecs
import Testing

@Suite("Opus encoder and decoder")
struct OpusCodecTests {
    /// Encodes `seconds` of a tone in 20 ms frames.
    static func encodeTone(frequency: Double, seconds: Double, channels: Int = 1, settings: OpusEncoderSettings? = nil)
        throws -> [[UInt8]]
    {
        let encoder = try OpusEncoder(settings: settings ?? OpusEncoderSettings(channels: channels))
        var tone = SineToneGenerator(frequency: frequency, amplitude: 10_000, channels: encoder.settings.channels)
        let frames = Int(seconds * 50)
        return try (0..<frames).map { _ in try encoder.encode(tone.next(sampleFrames: OpusFormat.samplesPerFrame)) }
    }

    @Test("a 440 Hz tone survives encode → decode within ±2 Hz (mono in, stereo out)")
    func toneRoundTrip() throws {
        let packets = try Self.encodeTone(frequency: 440, seconds: 1)
        #expect(packets.count == 50)
        let decoder = try OpusDecoder(channels: 2)
        var pcm: [Int16] = []
        for packet in packets {
            let frame = try decoder.decode(packet)
            #expect(frame.count == 2 * OpusFormat.samplesPerFrame)
            pcm += frame
        }
        // Skip the encoder's first 100 ms (look-ahead and ramp-up).
        let left = FrequencyEstimator.channel(0, of: pcm, channels: 2).dropFirst(4_800)
        let frequency = try #require(FrequencyEstimator.dominantFrequency(of: left, sampleRate: 48_000))
        #expect(abs(frequency - 440) <= 2, "recovered \(frequency) Hz")
    }

    @Test("the estimator tells 440 from 445 Hz and finds nothing in silence")
    func estimatorResolution() throws {
        for frequency in [300.0, 440.0, 445.0, 1_000.0] {
            var tone = SineToneGenerator(frequency: frequency, amplitude: 5_000)
            let estimate = try #require(
                FrequencyEstimator.dominantFrequency(of: tone.next(sampleFrames: 24_000), sampleRate: 48_000))
            #expect(abs(estimate - frequency) < 0.5, "\(frequency) Hz estimated as \(estimate)")
        }
        #expect(FrequencyEstimator.dominantFrequency(of: [Int16](repeating: 0, count: 4_800), sampleRate: 48_000) == nil)
    }

    @Test("stereo encoding sets the TOC stereo flag; settings are applied and checked")
    func stereoAndSettings() throws {
        let encoder = try OpusEncoder(settings: OpusEncoderSettings(channels: 2, bitrate: 64_000))
        var tone = SineToneGenerator(frequency: 440, channels: 2)
        let packet = try encoder.encode(tone.next(sampleFrames: 960))
        #expect(packet[0] & 0x04 == 0x04)  // RFC 6716 §3.1: s bit
        try encoder.setBitrate(24_000)
        #expect(encoder.settings.bitrate == 24_000)
        #expect(throws: CodecError.self) { try OpusEncoder(settings: OpusEncoderSettings(channels: 3)) }
        #expect(throws: CodecError.frameSizeMismatch(expected: 1_920, actual: 100)) {
            try encoder.encode([Int16](repeating: 0, count: 100))
        }
    }

    @Test("a lost packet is recovered from the next packet's in-band FEC, or concealed; garbage is an error")
    func lossRecovery() throws {
        let settings = OpusEncoderSettings(channels: 1, bitrate: 32_000, inbandFEC: true, expectedPacketLossPercent: 20)
        let packets = try Self.encodeTone(frequency: 440, seconds: 1, settings: settings)
        let decoder = try OpusDecoder(channels: 1)
        var pcm = [Int16](repeating: 0, count: OpusFormat.maximumSamplesPerPacket)
        var recovered: [Int16] = []
        for (index, packet) in packets.enumerated() {
            let written: Int
            if index % 5 == 3 {
                // Lost: recover from the following packet's FEC.
                written = try packets[index + 1].withUnsafeBytes { next in
                    try pcm.withUnsafeMutableBufferPointer { try decoder.decodeFEC(nextPacket: next, into: $0) }
                }
            } else {
                written = try packet.withUnsafeBytes { input in
                    try pcm.withUnsafeMutableBufferPointer { try decoder.decode(input, into: $0) }
                }
            }
            #expect(written == 960)
            recovered += pcm[0..<written]
        }
        let frequency = try #require(
            FrequencyEstimator.dominantFrequency(of: recovered.dropFirst(4_800), sampleRate: 48_000))
        #expect(abs(frequency - 440) <= 2, "recovered \(frequency) Hz with FEC")
        // Concealment with nothing to recover from still yields a full frame.
        #expect(try pcm.withUnsafeMutableBufferPointer { try decoder.concealLoss(into: $0) } == 960)
        // RFC 6716 §3.2.5: code 3 with M = 0 frames is invalid.
        #expect(throws: CodecError.self) { try decoder.decode([0xFB, 0x00]) }
        #expect(throws: CodecError.self) { try decoder.decode([]) }
    }

    @Test("DTX: silence becomes packets of at most 2 bytes")
    func discontinuousTransmission() throws {
        let encoder = try OpusEncoder(settings: OpusEncoderSettings(discontinuousTransmission: true))
        let silence = [Int16](repeating: 0, count: 960)
        var sizes: [Int] = []
        for _ in 0..<50 { sizes.append(try encoder.encode(silence).count) }
        // After a few frames only 1-byte DTX frames remain, apart from a comfort-noise update every ~400 ms.
        #expect(sizes.suffix(30).filter { $0 <= 2 }.count >= 27, "packet sizes \(sizes)")
    }
}
