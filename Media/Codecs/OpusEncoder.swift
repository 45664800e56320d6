import CMediaShims
import COpus

/// How an ``OpusEncoder`` is set up. The defaults are what WebRTC uses for a voice track (RFC 7587, and
/// libwebrtc's `AudioEncoderOpusConfig`): 48 kHz, 20 ms frames, the VOIP application, 32 kbit/s, in-band FEC
/// with an expected loss of 10 %, no DTX, complexity 9.
public struct OpusEncoderSettings: Sendable, Hashable {
    /// 1 (mono) or 2 (interleaved stereo). RTP always signals `opus/48000/2` (RFC 7587 §7); a mono encoder's
    /// packets decode fine with a stereo decoder.
    public var channels: Int
    /// Target bitrate in bits per second (6 000 … 510 000).
    public var bitrate: Int
    /// In-band forward error correction (RFC 6716 §2.1.7): each packet carries a low-bitrate copy of the previous
    /// frame, which a receiver recovers with ``OpusDecoder/decodeFEC(nextPacket:into:)`` when a packet is lost.
    public var inbandFEC: Bool
    /// The packet loss the encoder expects, 0…100; FEC is only spent when this is above 0.
    public var expectedPacketLossPercent: Int
    /// Discontinuous transmission: during silence the encoder emits 1–2 byte packets that need not be sent.
    public var discontinuousTransmission: Bool
    /// 0…10; higher is better quality for more CPU.
    public var complexity: Int

    public init(
        channels: Int = 1,
        bitrate: Int = 32_000,
        inbandFEC: Bool = true,
        expectedPacketLossPercent: Int = 10,
        discontinuousTransmission: Bool = false,
        complexity: Int = 9
    ) {
        self.channels = channels
        self.bitrate = bitrate
        self.inbandFEC = inbandFEC
        self.expectedPacketLossPercent = expectedPacketLossPercent
        self.discontinuousTransmission = discontinuousTransmission
        self.complexity = complexity
    }
}

/// Constants of Opus as WebRTC uses it.
public enum OpusFormat {
    /// The Opus RTP clock and our sample rate (RFC 7587 §4.1).
    public static let sampleRate = 48_000
    /// Samples per channel in one 20 ms frame at 48 kHz.
    public static let samplesPerFrame = 960
    /// The largest frame a decoder may be asked to produce: 120 ms (RFC 6716 §3.2.5), per channel.
    public static let maximumSamplesPerPacket = 5_760
    /// A generous bound for one encoded 20 ms packet (RFC 6716 §3.4 allows 1275 bytes per frame).
    public static let maximumPacketSize = 1_500
}

/// A libopus encoder with WebRTC's settings (RFC 6716, RFC 7587): 48 kHz PCM16 in, one Opus packet per 20 ms out.
///
/// Owns its `OpusEncoder *` and frees it in `deinit`. libopus state is not thread-safe, so an encoder is not
/// `Sendable`: keep it on the thread (event loop or task) that encodes. Encoding writes into caller-provided
/// memory and allocates nothing per frame.
public final class OpusEncoder {
    /// The settings the encoder was created with (changed by ``setBitrate(_:)`` and ``setExpectedPacketLoss(percent:)``).
    public private(set) var settings: OpusEncoderSettings
    private let state: OpaquePointer

    /// Creates an encoder.
    /// - Throws: ``CodecError/invalidConfiguration(_:)`` for a channel count other than 1 or 2 or values out of
    ///   range; ``CodecError/opus(operation:status:)`` when libopus refuses.
    public init(settings: OpusEncoderSettings = OpusEncoderSettings()) throws(CodecError) {
        guard settings.channels == 1 || settings.channels == 2 else {
            throw .invalidConfiguration("Opus channels must be 1 or 2, not \(settings.channels)")
        }
        guard (6_000...510_000).contains(settings.bitrate) else {
            throw .invalidConfiguration("Opus bitrate \(settings.bitrate) is outside 6000…510000 bit/s")
        }
        guard (0...100).contains(settings.expectedPacketLossPercent), (0...10).contains(settings.complexity) else {
            throw .invalidConfiguration("Opus packet loss must be 0…100 % and complexity 0…10")
        }
        var status: Int32 = 0
        guard
            let state = opus_encoder_create(
                Int32(OpusFormat.sampleRate), Int32(settings.channels), OPUS_APPLICATION_VOIP, &status),
            status == OPUS_OK
        else {
            throw .opus(operation: "opus_encoder_create", status: status)
        }
        self.state = state
        self.settings = settings
        let calls: [(String, Int32)] = [
            ("OPUS_SET_BITRATE", CMediaShims_opus_set_bitrate(state, Int32(settings.bitrate))),
            ("OPUS_SET_INBAND_FEC", CMediaShims_opus_set_inband_fec(state, settings.inbandFEC ? 1 : 0)),
            ("OPUS_SET_PACKET_LOSS_PERC",
             CMediaShims_opus_set_packet_loss_percent(state, Int32(settings.expectedPacketLossPercent))),
            ("OPUS_SET_DTX", CMediaShims_opus_set_dtx(state, settings.discontinuousTransmission ? 1 : 0)),
            ("OPUS_SET_COMPLEXITY", CMediaShims_opus_set_complexity(state, Int32(settings.complexity))),
        ]
        for (operation, result) in calls where result != OPUS_OK {
            // deinit does not run for a partially initialised class instance: free here.
            opus_encoder_destroy(state)
            throw .opus(operation: operation, status: result)
        }
    }

    deinit {
        opus_encoder_destroy(state)
    }

    /// Samples (all channels, interleaved) in one 20 ms input frame.
    public var samplesPerFrame: Int { OpusFormat.samplesPerFrame * settings.channels }

    /// Changes the target bitrate, e.g. after a REMB/TWCC estimate.
    public func setBitrate(_ bitsPerSecond: Int) throws(CodecError) {
        let status = CMediaShims_opus_set_bitrate(state, Int32(clamping: bitsPerSecond))
        guard status == OPUS_OK else { throw .opus(operation: "OPUS_SET_BITRATE", status: status) }
        settings.bitrate = bitsPerSecond
    }

    /// Changes the expected packet loss, which decides how many bits in-band FEC gets (from RTCP loss reports).
    public func setExpectedPacketLoss(percent: Int) throws(CodecError) {
        let status = CMediaShims_opus_set_packet_loss_percent(state, Int32(clamping: percent))
        guard status == OPUS_OK else { throw .opus(operation: "OPUS_SET_PACKET_LOSS_PERC", status: status) }
        settings.expectedPacketLossPercent = percent
    }

    /// Encodes one 20 ms frame of interleaved PCM16 into `packet`.
    /// - Returns: the packet's length in bytes. With DTX, a length of 1 or 2 means silence: nothing needs sending.
    /// - Throws: ``CodecError/frameSizeMismatch(expected:actual:)`` unless `pcm` holds exactly one frame.
    public func encode(
        _ pcm: UnsafeBufferPointer<Int16>,
        into packet: UnsafeMutableRawBufferPointer
    ) throws(CodecError) -> Int {
        guard pcm.count == samplesPerFrame else {
            throw .frameSizeMismatch(expected: samplesPerFrame, actual: pcm.count)
        }
        guard let input = pcm.baseAddress, let output = packet.baseAddress, packet.count > 0 else {
            throw .bufferTooSmall(needed: OpusFormat.maximumPacketSize, available: packet.count)
        }
        let written = opus_encode(
            state, input, Int32(OpusFormat.samplesPerFrame),
            output.assumingMemoryBound(to: UInt8.self), Int32(clamping: packet.count))
        guard written > 0 else { throw .opus(operation: "opus_encode", status: written) }
        return Int(written)
    }

    /// Encodes one 20 ms frame, returning a new array (convenient for tests and tools; the media path uses
    /// ``encode(_:into:)``).
    public func encode(_ pcm: [Int16]) throws(CodecError) -> [UInt8] {
        var packet = [UInt8](repeating: 0, count: OpusFormat.maximumPacketSize)
        let result = pcm.withUnsafeBufferPointer { input in
            packet.withUnsafeMutableBytes { output in Result { () throws(CodecError) in try encode(input, into: output) } }
        }
        packet.removeSubrange(try result.get()...)
        return packet
    }
}

@available(*, unavailable, message: "libopus encoder state is not thread-safe; keep an OpusEncoder on one thread")
extension OpusEncoder: Sendable {}
