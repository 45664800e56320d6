import CMediaShims
import CVPX

/// How a ``VP8Encoder`` is set up. Defaults follow libwebrtc's `LibvpxVp8Encoder` for a camera stream:
/// one-pass realtime CBR with no lag, cpu-used −6 on x86 (−12 on ARM), frame dropping at 30 % buffer, quantizer
/// 2…56, a 500/600/1000 ms rate-control buffer, keyframes only on request or every 3000 frames, one thread.
public struct VP8EncoderSettings: Sendable, Hashable {
    public var width: Int
    public var height: Int
    public var framesPerSecond: Int
    /// Target bitrate in kbit/s (CBR).
    public var bitrateKbps: Int
    /// libvpx `VP8E_SET_CPUUSED`: negative values are realtime speed levels; WebRTC uses −6 on x86, −12 on ARM.
    public var cpuUsed: Int
    /// The longest run of frames between automatic keyframes.
    public var keyframeInterval: Int
    /// `rc_dropframe_thresh`: drop a frame when the rate-control buffer falls below this percentage; 0 never
    /// drops (what recordings and fixtures want), WebRTC uses 30.
    public var frameDropThresholdPercent: Int
    /// `g_error_resilient`: code frames so that a decoder recovers better from losses.
    public var errorResilient: Bool
    /// Encoder threads.
    public var threads: Int

    public init(
        width: Int,
        height: Int,
        framesPerSecond: Int = 30,
        bitrateKbps: Int = 1_000,
        cpuUsed: Int = VP8EncoderSettings.webRTCCPUUsed,
        keyframeInterval: Int = 3_000,
        frameDropThresholdPercent: Int = 30,
        errorResilient: Bool = true,
        threads: Int = 1
    ) {
        self.width = width
        self.height = height
        self.framesPerSecond = framesPerSecond
        self.bitrateKbps = bitrateKbps
        self.cpuUsed = cpuUsed
        self.keyframeInterval = keyframeInterval
        self.frameDropThresholdPercent = frameDropThresholdPercent
        self.errorResilient = errorResilient
        self.threads = threads
    }

    /// WebRTC's speed setting for this CPU architecture (libwebrtc `GetCpuSpeed`).
    public static var webRTCCPUUsed: Int {
        #if arch(arm) || arch(arm64)
            return -12
        #else
            return -6
        #endif
    }
}

/// What the encoder produced for one input picture.
public struct VP8EncodedFrameInfo: Sendable, Hashable {
    /// Size of the encoded frame in bytes.
    public var size: Int
    /// A keyframe (intra frame, RFC 6386 §9.1): decodable on its own.
    public var isKeyframe: Bool
    /// No later frame references this one (`VPX_FRAME_IS_DROPPABLE`): the RTP N bit may be set (RFC 7741 §4.2).
    public var isDroppable: Bool
    /// The presentation timestamp the picture was given (90 kHz).
    public var timestamp: Int64
}

/// A libvpx VP8 encoder with WebRTC's realtime settings (RFC 6386 bitstream, RFC 7741 for RTP).
///
/// Input is an ``I420Frame`` of the configured size; output is written into a caller-owned array that keeps its
/// capacity, so steady-state encoding allocates nothing. Owns its `vpx_codec_ctx_t` and destroys it in `deinit`;
/// not `Sendable` (libvpx contexts are not thread-safe).
public final class VP8Encoder {
    public private(set) var settings: VP8EncoderSettings
    private let context: UnsafeMutablePointer<vpx_codec_ctx_t>
    private let image: UnsafeMutablePointer<vpx_image_t>
    private var configuration: vpx_codec_enc_cfg_t

    /// Creates an encoder.
    /// - Throws: ``CodecError/invalidConfiguration(_:)`` for a size, rate or bitrate out of range, or
    ///   ``CodecError/vpx(operation:status:detail:)`` when libvpx refuses the configuration.
    public init(settings: VP8EncoderSettings) throws(CodecError) {
        guard (2...16_383).contains(settings.width), (2...16_383).contains(settings.height) else {
            throw .invalidConfiguration("VP8 frame size \(settings.width)x\(settings.height) is outside 2…16383")
        }
        guard (1...240).contains(settings.framesPerSecond), settings.bitrateKbps > 0, settings.threads > 0,
            (-16...16).contains(settings.cpuUsed), (0...100).contains(settings.frameDropThresholdPercent)
        else {
            throw .invalidConfiguration("VP8 rate, bitrate, threads, cpu-used or drop threshold out of range")
        }
        guard let interface = CMediaShims_vp8_encoder() else {
            throw .vpx(operation: "vpx_codec_vp8_cx", status: 0, detail: "no VP8 encoder in libvpx")
        }
        var configuration = vpx_codec_enc_cfg_t()
        let defaulted = vpx_codec_enc_config_default(interface, &configuration, 0)
        guard defaulted == VPX_CODEC_OK else {
            throw .vpx(operation: "vpx_codec_enc_config_default", status: defaulted.rawValue, detail: "")
        }
        configuration.g_w = UInt32(settings.width)
        configuration.g_h = UInt32(settings.height)
        configuration.g_threads = UInt32(settings.threads)
        configuration.g_timebase = vpx_rational(num: 1, den: 90_000)  // the RTP video clock (RFC 7741 §4.1)
        configuration.g_lag_in_frames = 0
        configuration.g_pass = VPX_RC_ONE_PASS
        configuration.g_error_resilient = settings.errorResilient ? vpx_codec_er_flags_t(VPX_ERROR_RESILIENT_DEFAULT) : 0
        configuration.rc_end_usage = VPX_CBR
        configuration.rc_target_bitrate = UInt32(settings.bitrateKbps)
        configuration.rc_dropframe_thresh = UInt32(settings.frameDropThresholdPercent)
        configuration.rc_resize_allowed = 0
        configuration.rc_min_quantizer = 2
        configuration.rc_max_quantizer = 56
        configuration.rc_undershoot_pct = 100
        configuration.rc_overshoot_pct = 15
        configuration.rc_buf_initial_sz = 500
        configuration.rc_buf_optimal_sz = 600
        configuration.rc_buf_sz = 1_000
        configuration.kf_mode = VPX_KF_AUTO
        configuration.kf_max_dist = UInt32(max(1, settings.keyframeInterval))

        let context = UnsafeMutablePointer<vpx_codec_ctx_t>.allocate(capacity: 1)
        context.initialize(to: vpx_codec_ctx_t())
        let image = UnsafeMutablePointer<vpx_image_t>.allocate(capacity: 1)
        image.initialize(to: vpx_image_t())
        let initialised = CMediaShims_vpx_codec_enc_init(context, interface, &configuration, 0)
        guard initialised == VPX_CODEC_OK else {
            let detail = Self.detail(context)
            context.deallocate()
            image.deallocate()
            throw .vpx(operation: "vpx_codec_enc_init", status: initialised.rawValue, detail: detail)
        }
        // libwebrtc: max intra bitrate = 0.5 × optimal buffer (600 ms) × fps / 10, at least 300 %.
        let maxIntraPercent = max(300, 600 / 2 * settings.framesPerSecond / 10)
        let controls: [(String, vpx_codec_err_t)] = [
            ("VP8E_SET_CPUUSED", CMediaShims_vp8_set_cpuused(context, Int32(settings.cpuUsed))),
            ("VP8E_SET_STATIC_THRESHOLD", CMediaShims_vp8_set_static_threshold(context, 1)),
            ("VP8E_SET_NOISE_SENSITIVITY", CMediaShims_vp8_set_noise_sensitivity(context, 0)),
            ("VP8E_SET_TOKEN_PARTITIONS", CMediaShims_vp8_set_token_partitions(context, 0)),
            ("VP8E_SET_MAX_INTRA_BITRATE_PCT",
             CMediaShims_vp8_set_max_intra_bitrate_pct(context, UInt32(maxIntraPercent))),
        ]
        for (operation, status) in controls where status != VPX_CODEC_OK {
            let detail = Self.detail(context)
            vpx_codec_destroy(context)
            context.deallocate()
            image.deallocate()
            throw .vpx(operation: operation, status: status.rawValue, detail: detail)
        }
        self.context = context
        self.image = image
        self.configuration = configuration
        self.settings = settings
    }

    deinit {
        vpx_codec_destroy(context)
        context.deallocate()
        image.deallocate()
    }

    /// Changes the CBR target, e.g. from a REMB or transport-cc estimate.
    public func setBitrate(kbps: Int) throws(CodecError) {
        guard kbps > 0 else { throw .invalidConfiguration("VP8 bitrate must be positive") }
        configuration.rc_target_bitrate = UInt32(clamping: kbps)
        let status = vpx_codec_enc_config_set(context, &configuration)
        guard status == VPX_CODEC_OK else {
            throw .vpx(operation: "vpx_codec_enc_config_set", status: status.rawValue, detail: Self.detail(context))
        }
        settings.bitrateKbps = kbps
    }

    /// Encodes one picture.
    /// - Parameters:
    ///   - frame: an I420 picture of the configured size.
    ///   - timestamp: its presentation time on the 90 kHz clock.
    ///   - forceKeyframe: code this picture as a keyframe (answering a PLI/FIR, or starting a recording).
    ///   - output: replaced by the encoded frame; its capacity is kept from call to call.
    /// - Returns: what was produced, or nil when rate control dropped the picture (`output` is then empty).
    public func encode(
        _ frame: I420Frame,
        timestamp: Int64,
        forceKeyframe: Bool = false,
        into output: inout [UInt8]
    ) throws(CodecError) -> VP8EncodedFrameInfo? {
        guard frame.width == settings.width, frame.height == settings.height else {
            throw .frameSizeMismatch(
                expected: I420Frame.byteCount(width: settings.width, height: settings.height),
                actual: frame.bytes.count)
        }
        output.removeAll(keepingCapacity: true)
        let flags = forceKeyframe ? vpx_enc_frame_flags_t(VPX_EFLAG_FORCE_KF) : 0
        let duration = UInt(90_000 / settings.framesPerSecond)
        let status: vpx_codec_err_t = frame.bytes.withUnsafeBufferPointer { pixels in
            guard let base = pixels.baseAddress else { return VPX_CODEC_INVALID_PARAM }
            let mutableBase = UnsafeMutablePointer(mutating: base)
            // Describe the caller's planes to libvpx without copying them (vpx_img_wrap allocates nothing when
            // given an image), then set the chroma planes and strides of our tightly packed layout.
            vpx_img_wrap(image, VPX_IMG_FMT_I420, UInt32(frame.width), UInt32(frame.height), 1, mutableBase)
            image.pointee.planes.0 = mutableBase
            image.pointee.planes.1 = mutableBase + frame.uOffset
            image.pointee.planes.2 = mutableBase + frame.vOffset
            image.pointee.stride.0 = Int32(frame.width)
            image.pointee.stride.1 = Int32(frame.chromaWidth)
            image.pointee.stride.2 = Int32(frame.chromaWidth)
            return vpx_codec_encode(context, image, timestamp, duration, flags, UInt(VPX_DL_REALTIME))
        }
        guard status == VPX_CODEC_OK else {
            throw .vpx(operation: "vpx_codec_encode", status: status.rawValue, detail: Self.detail(context))
        }
        var info: VP8EncodedFrameInfo?
        var iterator: vpx_codec_iter_t?
        while let packet = vpx_codec_get_cx_data(context, &iterator) {
            guard packet.pointee.kind == VPX_CODEC_CX_FRAME_PKT else { continue }
            let frameData = packet.pointee.data.frame
            guard let buffer = frameData.buf else { continue }
            output.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: frameData.sz))
            info = VP8EncodedFrameInfo(
                size: output.count,
                isKeyframe: frameData.flags & UInt32(VPX_FRAME_IS_KEY) != 0,
                isDroppable: frameData.flags & UInt32(VPX_FRAME_IS_DROPPABLE) != 0,
                timestamp: frameData.pts)
        }
        return info
    }

    private static func detail(_ context: UnsafeMutablePointer<vpx_codec_ctx_t>) -> String {
        guard let text = vpx_codec_error_detail(context) else { return "" }
        return String(cString: text)
    }
}

@available(*, unavailable, message: "a libvpx context is not thread-safe; keep a VP8Encoder on one thread")
extension VP8Encoder: Sendable {}
