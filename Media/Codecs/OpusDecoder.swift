import COpus

/// A libopus decoder at 48 kHz producing interleaved PCM16 (RFC 6716, RFC 7587).
///
/// Three ways to fill a frame, matching what a receiver knows:
/// - ``decode(_:into:)`` — the packet arrived;
/// - ``decodeFEC(nextPacket:into:)`` — the packet was lost but the next one arrived and carries in-band FEC for it
///   (RFC 6716 §2.1.7);
/// - ``concealLoss(samplesPerChannel:into:)`` — the packet was lost and nothing helps: packet loss concealment.
///
/// Owns its `OpusDecoder *` and frees it in `deinit`; not `Sendable` (libopus state is not thread-safe).
/// Decodes into caller-provided memory and allocates nothing per frame.
public final class OpusDecoder {
    /// 1 or 2: the channels of the PCM this decoder writes (independent of what the packets carry).
    public let channels: Int
    private let state: OpaquePointer

    /// Creates a 48 kHz decoder writing `channels` interleaved channels.
    public init(channels: Int = 2) throws(CodecError) {
        guard channels == 1 || channels == 2 else {
            throw .invalidConfiguration("Opus channels must be 1 or 2, not \(channels)")
        }
        var status: Int32 = 0
        guard let state = opus_decoder_create(Int32(OpusFormat.sampleRate), Int32(channels), &status),
            status == OPUS_OK
        else {
            throw .opus(operation: "opus_decoder_create", status: status)
        }
        self.state = state
        self.channels = channels
    }

    deinit {
        opus_decoder_destroy(state)
    }

    /// Decodes one received packet into `pcm` (interleaved).
    /// - Returns: samples per channel written (960 for a 20 ms packet).
    /// - Throws: ``CodecError/opus(operation:status:)`` for a malformed packet (`OPUS_INVALID_PACKET`) or a `pcm`
    ///   too small for the packet's duration (`OPUS_BUFFER_TOO_SMALL`).
    public func decode(
        _ packet: UnsafeRawBufferPointer,
        into pcm: UnsafeMutableBufferPointer<Int16>
    ) throws(CodecError) -> Int {
        guard let input = packet.baseAddress, packet.count > 0 else {
            throw .opus(operation: "opus_decode", status: OPUS_INVALID_PACKET)
        }
        return try run(input.assumingMemoryBound(to: UInt8.self), packet.count, pcm, fec: false,
                       samplesPerChannel: pcm.count / channels)
    }

    /// Recovers a lost 20 ms frame from the in-band FEC data of the packet that followed it
    /// (`opus_decode(..., decode_fec = 1)`). If `nextPacket` carries no FEC, libopus conceals the loss instead.
    /// - Parameter samplesPerChannel: the lost frame's duration; 960 for WebRTC's 20 ms frames.
    /// - Returns: samples per channel written.
    public func decodeFEC(
        nextPacket: UnsafeRawBufferPointer,
        samplesPerChannel: Int = OpusFormat.samplesPerFrame,
        into pcm: UnsafeMutableBufferPointer<Int16>
    ) throws(CodecError) -> Int {
        guard let input = nextPacket.baseAddress, nextPacket.count > 0 else {
            throw .opus(operation: "opus_decode(fec)", status: OPUS_INVALID_PACKET)
        }
        return try run(input.assumingMemoryBound(to: UInt8.self), nextPacket.count, pcm, fec: true,
                       samplesPerChannel: samplesPerChannel)
    }

    /// Packet loss concealment for a lost frame with nothing to recover it from (`opus_decode(NULL, 0, ...)`).
    /// - Returns: samples per channel written.
    public func concealLoss(
        samplesPerChannel: Int = OpusFormat.samplesPerFrame,
        into pcm: UnsafeMutableBufferPointer<Int16>
    ) throws(CodecError) -> Int {
        try run(nil, 0, pcm, fec: false, samplesPerChannel: samplesPerChannel)
    }

    /// Convenience for tests and tools: decodes `packet` into a new array of interleaved samples.
    public func decode(_ packet: [UInt8]) throws(CodecError) -> [Int16] {
        var pcm = [Int16](repeating: 0, count: OpusFormat.maximumSamplesPerPacket * channels)
        let result = packet.withUnsafeBytes { input in
            pcm.withUnsafeMutableBufferPointer { output in Result { () throws(CodecError) in try decode(input, into: output) } }
        }
        pcm.removeSubrange((try result.get() * channels)...)
        return pcm
    }

    private func run(
        _ data: UnsafePointer<UInt8>?,
        _ length: Int,
        _ pcm: UnsafeMutableBufferPointer<Int16>,
        fec: Bool,
        samplesPerChannel: Int
    ) throws(CodecError) -> Int {
        let needed = samplesPerChannel * channels
        guard let output = pcm.baseAddress, samplesPerChannel > 0, pcm.count >= needed else {
            throw .bufferTooSmall(needed: needed, available: pcm.count)
        }
        let decoded = opus_decode(
            state, data, Int32(clamping: length), output, Int32(clamping: samplesPerChannel), fec ? 1 : 0)
        guard decoded >= 0 else {
            throw .opus(operation: fec ? "opus_decode(fec)" : "opus_decode", status: decoded)
        }
        return Int(decoded)
    }
}

@available(*, unavailable, message: "libopus decoder state is not thread-safe; keep an OpusDecoder on one thread")
extension OpusDecoder: Sendable {}
