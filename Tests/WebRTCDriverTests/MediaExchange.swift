import Codecs
import NIOCore
import RTP
import SDP
import WebRTC
import WebRTCDriver

/// What our side sent in a media exchange.
struct SentMedia: Sendable {
    var audioFrames = 0
    var videoFrames = 0
    var keyframes = 0
    var keyframeRequestsAnswered = 0
}

/// What our side decoded from the peer's RTP.
struct DecodedMedia: Sendable {
    var audioPackets = 0
    var audioFramesDecoded = 0
    /// The dominant frequency of the last second of decoded audio (channel 0).
    var audioFrequency: Double?
    var videoPackets = 0
    var videoFramesDecoded = 0
    var videoWidth = 0
    var videoHeight = 0
    var videoDecodeErrors = 0
    var keyframeRequestsSent = 0
}

/// Our side of a real media exchange: a 440 Hz tone as Opus and a test pattern as VP8, paced in real time.
enum MediaExchange {
    static let toneFrequency = 440.0

    /// Sends `seconds` of audio (20 ms Opus frames) and video (VP8 at 25 fps, `width`×`height`), answering the
    /// peer's keyframe requests (PLI/FIR) with a keyframe.
    static func send(
        on peer: WebRTCPeer, seconds: Int, width: Int, height: Int
    ) async throws -> SentMedia {
        let audio = try await peer.localTrack(.audio)
        let video = try await peer.localTrack(.video)
        let opus = try OpusEncoder(settings: OpusEncoderSettings(channels: 2, bitrate: 64_000))
        var tone = SineToneGenerator(frequency: toneFrequency, amplitude: 10_000, channels: 2)
        let vp8 = try VP8Encoder(settings: VP8EncoderSettings(width: width, height: height, framesPerSecond: 25, bitrateKbps: 600))
        var pattern = TestPatternSource(width: width, height: height)
        var packetizer = VP8Packetizer(maximumPayloadSize: 1_000)
        var encoded: [UInt8] = []
        var sent = SentMedia()
        let clock = ContinuousClock()
        let start = clock.now
        for tick in 0..<(seconds * 50) {
            try await clock.sleep(until: start + .milliseconds(20 * tick))
            let packet = try opus.encode(tone.next(sampleFrames: OpusFormat.samplesPerFrame))
            try await peer.sendFrame([packet], on: audio, timestamp: UInt32(truncatingIfNeeded: tick * 960), marker: tick == 0)
            sent.audioFrames += 1
            guard tick % 2 == 0 else { continue }
            let requested = try await peer.takeKeyframeRequest(for: video)
            if requested { sent.keyframeRequestsAnswered += 1 }
            let timestamp = Int64(tick) * 1_800
            guard let info = try vp8.encode(pattern.nextFrame(), timestamp: timestamp, forceKeyframe: requested, into: &encoded)
            else { continue }
            if info.isKeyframe { sent.keyframes += 1 }
            let payloads = packetizer.payloads(for: ByteBuffer(bytes: encoded))
            try await peer.sendFrame(payloads, on: video, timestamp: UInt32(truncatingIfNeeded: timestamp))
            sent.videoFrames += 1
        }
        return sent
    }

    /// Decodes what arrives on the peer's audio and video sections for `seconds`: Opus to PCM (tone frequency
    /// of the last second), VP8 frames reassembled (RFC 7741) and decoded; a lost frame or a decode error asks
    /// for a keyframe with a PLI.
    static func receive(
        on peer: WebRTCPeer, audioMID: String, videoMID: String, audio: AsyncStream<RTPPacket>,
        video: AsyncStream<RTPPacket>, seconds: Int
    ) async -> DecodedMedia {
        async let audioResult = decodeAudio(audio, seconds: seconds)
        async let videoResult = decodeVideo(video, peer: peer, mid: videoMID, seconds: seconds)
        var result = await videoResult
        let decodedAudio = await audioResult
        result.audioPackets = decodedAudio.audioPackets
        result.audioFramesDecoded = decodedAudio.audioFramesDecoded
        result.audioFrequency = decodedAudio.audioFrequency
        return result
    }

    /// Runs `body` over the stream's packets until `seconds` have passed (the stream is then cancelled).
    static func consume<State: Sendable>(
        _ stream: AsyncStream<RTPPacket>, seconds: Int, initial: State,
        _ body: @escaping @Sendable (inout State, RTPPacket) async -> Void
    ) async -> State {
        await withTaskGroup(of: State?.self) { group in
            group.addTask {
                var state = initial
                for await packet in stream {
                    await body(&state, packet)
                    if Task.isCancelled { break }
                }
                return state
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return nil
            }
            var result = initial
            while let next = await group.next() {
                if let state = next {
                    result = state
                    break
                }
                group.cancelAll()
            }
            group.cancelAll()
            return result
        }
    }

    static func decodeAudio(_ stream: AsyncStream<RTPPacket>, seconds: Int) async -> DecodedMedia {
        struct State: @unchecked Sendable {
            // The decoder is created by the consuming task on its first packet and used only there (sequential
            // awaits); the copies made before that hold nil. So the reference is never shared across tasks.
            var decoder: OpusDecoder?
            var recent: [Int16] = []
            var result = DecodedMedia()
        }
        var state = await consume(stream, seconds: seconds, initial: State()) { state, packet in
            state.result.audioPackets += 1
            let payload = packet.payload
            if state.decoder == nil { state.decoder = try? OpusDecoder(channels: 2) }
            guard let decoder = state.decoder,
                let pcm = try? decoder.decode(Array(payload.readableBytesView))
            else { return }
            state.result.audioFramesDecoded += 1
            state.recent += FrequencyEstimator.channel(0, of: pcm, channels: 2)
            if state.recent.count > 96_000 { state.recent.removeFirst(state.recent.count - 48_000) }
        }
        state.result.audioFrequency = FrequencyEstimator.dominantFrequency(
            of: state.recent.suffix(48_000), sampleRate: 48_000)
        return state.result
    }

    static func decodeVideo(_ stream: AsyncStream<RTPPacket>, peer: WebRTCPeer, mid: String, seconds: Int) async
        -> DecodedMedia
    {
        struct State: @unchecked Sendable {
            // As for audio: created by the consuming task on its first frame and used only there.
            var decoder: VP8Decoder?
            var assembler = VP8FrameAssembler()
            var picture = I420Frame(width: 2, height: 2)
            var result = DecodedMedia()
            var needsKeyframe = false
        }
        let state = await consume(stream, seconds: seconds, initial: State()) { state, packet in
            state.result.videoPackets += 1
            try? state.assembler.insert(
                sequenceNumber: packet.header.sequenceNumber, timestamp: packet.header.timestamp,
                marker: packet.header.marker, payload: packet.payload, now: .now())
            while let output = state.assembler.pollOutput() {
                switch output {
                case .frame(let frame):
                    if state.decoder == nil { state.decoder = try? VP8Decoder() }
                    guard let decoder = state.decoder else { continue }
                    do {
                        if let info = try decoder.decode(Array(frame.data.readableBytesView), into: &state.picture) {
                            state.result.videoFramesDecoded += 1
                            state.result.videoWidth = info.width
                            state.result.videoHeight = info.height
                        }
                    } catch {
                        state.result.videoDecodeErrors += 1
                        state.needsKeyframe = true
                    }
                case .gap:
                    state.needsKeyframe = true
                }
            }
            if state.needsKeyframe {
                state.needsKeyframe = false
                if (try? await peer.requestKeyframe(mid: mid)) != nil { state.result.keyframeRequestsSent += 1 }
            }
        }
        return state.result
    }
}
