// Codec microbenchmark: our VP8Encoder (Media/Codecs) encoding 1280x720 test-pattern frames with WebRTC's realtime
// settings, beside libvpx called directly with the same configuration and controls on the same frames in the same
// run — the difference is the cost of our wrapper (issue 8's goal: ≤ 1.1×). Likewise OpusEncoder vs opus_encode
// for 20 ms mono frames. Each round creates fresh encoders (not timed) and encodes every frame; best of 5 rounds per side, the sides alternating.
// Release build: `swift run --package-path Benchmarks -c release CodecBenchmark`.
import CMediaShims
import COpus
import CVPX
import Codecs

let width = 1280
let height = 720
let framesPerSecond = 30
let frameCount = 30
let bitrateKbps = 1_500
let settings = VP8EncoderSettings(
    width: width, height: height, framesPerSecond: framesPerSecond, bitrateKbps: bitrateKbps,
    frameDropThresholdPercent: 0)

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// One timed run of `body` (which prepares untimed state and returns the timed part).
func measure(_ body: () throws -> () throws -> Int) rethrows -> (seconds: Double, bytes: Int) {
    let timed = try body()
    let clock = ContinuousClock()
    var produced = 0
    let elapsed = try clock.measure { produced = try timed() }
    return (seconds(elapsed), produced)
}

/// Best of `rounds` for each side, the two sides alternating so that load from other processes hits both alike.
func compare(
    rounds: Int = 5,
    ours: () throws -> () throws -> Int,
    raw: () throws -> () throws -> Int
) rethrows -> (ours: (seconds: Double, bytes: Int), raw: (seconds: Double, bytes: Int)) {
    var bestOurs = (seconds: Double.infinity, bytes: 0)
    var bestRaw = (seconds: Double.infinity, bytes: 0)
    for _ in 0..<rounds {
        let a = try measure(ours)
        if a.seconds < bestOurs.seconds { bestOurs = a }
        let b = try measure(raw)
        if b.seconds < bestRaw.seconds { bestRaw = b }
    }
    return (bestOurs, bestRaw)
}

var source = TestPatternSource(width: width, height: height)
let frames = (0..<frameCount).map { _ in source.nextFrame() }

func oursVP8() throws -> () throws -> Int {
    let encoder = try VP8Encoder(settings: settings)
    var output: [UInt8] = []
    output.reserveCapacity(1 << 20)
    return {
        var total = 0
        for (index, frame) in frames.enumerated() {
            _ = try encoder.encode(frame, timestamp: Int64(index * 3_000), into: &output)
            total += output.count
        }
        return total
    }
}

/// libvpx directly: the same configuration and controls VP8Encoder applies, vpx_img_wrap over the same bytes.
func rawVP8() -> () throws -> Int {
    let interface = CMediaShims_vp8_encoder()
    var configuration = vpx_codec_enc_cfg_t()
    _ = vpx_codec_enc_config_default(interface, &configuration, 0)
    configuration.g_w = UInt32(width)
    configuration.g_h = UInt32(height)
    configuration.g_threads = 1
    configuration.g_timebase = vpx_rational(num: 1, den: 90_000)
    configuration.g_lag_in_frames = 0
    configuration.g_pass = VPX_RC_ONE_PASS
    configuration.g_error_resilient = vpx_codec_er_flags_t(VPX_ERROR_RESILIENT_DEFAULT)
    configuration.rc_end_usage = VPX_CBR
    configuration.rc_target_bitrate = UInt32(bitrateKbps)
    configuration.rc_dropframe_thresh = 0
    configuration.rc_resize_allowed = 0
    configuration.rc_min_quantizer = 2
    configuration.rc_max_quantizer = 56
    configuration.rc_undershoot_pct = 100
    configuration.rc_overshoot_pct = 15
    configuration.rc_buf_initial_sz = 500
    configuration.rc_buf_optimal_sz = 600
    configuration.rc_buf_sz = 1_000
    configuration.kf_mode = VPX_KF_AUTO
    configuration.kf_max_dist = 3_000
    let context = UnsafeMutablePointer<vpx_codec_ctx_t>.allocate(capacity: 1)
    context.initialize(to: vpx_codec_ctx_t())
    _ = CMediaShims_vpx_codec_enc_init(context, interface, &configuration, 0)
    _ = CMediaShims_vp8_set_cpuused(context, Int32(VP8EncoderSettings.webRTCCPUUsed))
    _ = CMediaShims_vp8_set_static_threshold(context, 1)
    _ = CMediaShims_vp8_set_noise_sensitivity(context, 0)
    _ = CMediaShims_vp8_set_token_partitions(context, 0)
    _ = CMediaShims_vp8_set_max_intra_bitrate_pct(context, 900)
    let image = UnsafeMutablePointer<vpx_image_t>.allocate(capacity: 1)
    image.initialize(to: vpx_image_t())
    return {
        var total = 0
        for (index, frame) in frames.enumerated() {
            frame.bytes.withUnsafeBufferPointer { pixels in
                let base = UnsafeMutablePointer(mutating: pixels.baseAddress!)
                vpx_img_wrap(image, VPX_IMG_FMT_I420, UInt32(width), UInt32(height), 1, base)
                _ = vpx_codec_encode(context, image, Int64(index * 3_000), 3_000, 0, UInt(VPX_DL_REALTIME))
            }
            var iterator: vpx_codec_iter_t?
            while let packet = vpx_codec_get_cx_data(context, &iterator) {
                if packet.pointee.kind == VPX_CODEC_CX_FRAME_PKT { total += packet.pointee.data.frame.sz }
            }
        }
        vpx_codec_destroy(context)
        context.deallocate()
        image.deallocate()
        return total
    }
}

var tone = SineToneGenerator(frequency: 440)
let pcm = tone.next(sampleFrames: 960 * 250)
func oursOpus() throws -> () throws -> Int {
    let encoder = try OpusEncoder(settings: OpusEncoderSettings(channels: 1))
    var packet = [UInt8](repeating: 0, count: 1_500)
    return {
        var total = 0
        try pcm.withUnsafeBufferPointer { all in
            try packet.withUnsafeMutableBytes { output in
                for frame in 0..<250 {
                    total += try encoder.encode(UnsafeBufferPointer(rebasing: all[(frame * 960)..<((frame + 1) * 960)]), into: output)
                }
            }
        }
        return total
    }
}
func rawOpus() -> () throws -> Int {
    var status: Int32 = 0
    guard let encoder = opus_encoder_create(48_000, 1, OPUS_APPLICATION_VOIP, &status) else {
        fatalError("opus_encoder_create: \(status)")  // benchmark setup, not an input path
    }
    _ = CMediaShims_opus_set_bitrate(encoder, 32_000)
    _ = CMediaShims_opus_set_inband_fec(encoder, 1)
    _ = CMediaShims_opus_set_packet_loss_percent(encoder, 10)
    _ = CMediaShims_opus_set_dtx(encoder, 0)
    _ = CMediaShims_opus_set_complexity(encoder, 9)
    var packet = [UInt8](repeating: 0, count: 1_500)
    return {
        var total = 0
        pcm.withUnsafeBufferPointer { all in
            for frame in 0..<250 {
                total += Int(opus_encode(encoder, all.baseAddress! + frame * 960, 960, &packet, 1_500))
            }
        }
        opus_encoder_destroy(encoder)
        return total
    }
}

func line(_ name: String, _ ours: (seconds: Double, bytes: Int), _ raw: (seconds: Double, bytes: Int), per count: Int, unit: String) {
    let oursEach = ours.seconds * 1e3 / Double(count)
    let rawEach = raw.seconds * 1e3 / Double(count)
    print(name + String(repeating: " ", count: max(1, 38 - name.count))
        + "ours \(String(format3(oursEach))) ms/\(unit)   raw \(String(format3(rawEach))) ms/\(unit)   ratio "
        + format3(oursEach / rawEach) + "   bytes ours \(ours.bytes) raw \(raw.bytes)")
}

func format3(_ value: Double) -> String {
    let scaled = (value * 1000).rounded() / 1000
    return "\(scaled)"
}

print("Codec benchmark (best of 5 alternating rounds; libvpx \(String(cString: vpx_codec_version_str())), \(String(cString: opus_get_version_string())))")
let vp8 = try compare(ours: oursVP8, raw: rawVP8)
line("VP8 encode 1280x720 (\(frameCount) frames)", vp8.ours, vp8.raw, per: frameCount, unit: "frame")
let opus = try compare(ours: oursOpus, raw: rawOpus)
line("Opus encode 20 ms mono (250 frames)", opus.ours, opus.raw, per: 250, unit: "frame")
