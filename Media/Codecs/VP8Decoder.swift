import CMediaShims
import CVPX

/// What the decoder produced for one VP8 frame.
public struct VP8DecodedFrameInfo: Sendable, Hashable {
    public var width: Int
    public var height: Int
    public var isKeyframe: Bool
}

/// A libvpx VP8 decoder writing I420 pictures into a caller-owned ``I420Frame``.
///
/// Corruption is reported, not hidden: a frame libvpx cannot decode, a frame libvpx marks corrupt
/// (`VP8D_GET_FRAME_CORRUPTED`), or a delta frame while no valid reference exists (at start, after such an error,
/// or after ``referenceLost()``) throws ``CodecError/corruptFrame``. The caller then sends a PLI (RFC 4585 §6.3.1)
/// and keeps feeding frames; ``needsKeyframe`` stays true until a keyframe decodes.
///
/// Owns its `vpx_codec_ctx_t`, destroyed in `deinit`; not `Sendable`.
public final class VP8Decoder {
    private let context: UnsafeMutablePointer<vpx_codec_ctx_t>
    /// True until a keyframe has decoded, and again after a corrupt frame or ``referenceLost()``.
    public private(set) var needsKeyframe = true

    public init(threads: Int = 1) throws(CodecError) {
        guard let interface = CMediaShims_vp8_decoder() else {
            throw .vpx(operation: "vpx_codec_vp8_dx", status: 0, detail: "no VP8 decoder in libvpx")
        }
        var configuration = vpx_codec_dec_cfg_t(threads: UInt32(max(1, threads)), w: 0, h: 0)
        let context = UnsafeMutablePointer<vpx_codec_ctx_t>.allocate(capacity: 1)
        context.initialize(to: vpx_codec_ctx_t())
        let status = CMediaShims_vpx_codec_dec_init(context, interface, &configuration, 0)
        guard status == VPX_CODEC_OK else {
            context.deallocate()
            throw .vpx(operation: "vpx_codec_dec_init", status: status.rawValue, detail: "")
        }
        self.context = context
    }

    deinit {
        vpx_codec_destroy(context)
        context.deallocate()
    }

    /// Tells the decoder a frame was lost before the next one (a gap reported by the RTP frame assembler): delta
    /// frames are refused until the next keyframe.
    public func referenceLost() {
        needsKeyframe = true
    }

    /// Decodes one complete VP8 frame into `picture` (resized to the frame's dimensions when they change).
    /// - Returns: the decoded picture's size and kind, or nil for a frame that is not shown (show_frame = 0).
    /// - Throws: ``CodecError/corruptFrame`` as described on the type;
    ///   ``CodecError/truncated(format:offset:needed:)`` for fewer bytes than a frame header.
    public func decode(_ frame: UnsafeRawBufferPointer, into picture: inout I420Frame) throws(CodecError)
        -> VP8DecodedFrameInfo?
    {
        let header = try VP8FrameHeader(frame)
        if !header.isKeyframe, needsKeyframe { throw .corruptFrame }
        guard let base = frame.baseAddress else { throw .truncated(format: "VP8", offset: 0, needed: 3) }
        let status = vpx_codec_decode(
            context, base.assumingMemoryBound(to: UInt8.self), UInt32(clamping: frame.count), nil, 0)
        guard status == VPX_CODEC_OK else {
            needsKeyframe = true
            throw .corruptFrame
        }
        var corrupted: Int32 = 0
        if CMediaShims_vp8_get_frame_corrupted(context, &corrupted) == VPX_CODEC_OK, corrupted != 0 {
            needsKeyframe = true
            throw .corruptFrame
        }
        if header.isKeyframe { needsKeyframe = false }
        var iterator: vpx_codec_iter_t?
        var info: VP8DecodedFrameInfo?
        while let image = vpx_codec_get_frame(context, &iterator) {
            try copy(image.pointee, into: &picture)
            info = VP8DecodedFrameInfo(
                width: Int(image.pointee.d_w), height: Int(image.pointee.d_h), isKeyframe: header.isKeyframe)
        }
        return info
    }

    /// Convenience over ``decode(_:into:)`` for an array.
    public func decode(_ frame: [UInt8], into picture: inout I420Frame) throws(CodecError) -> VP8DecodedFrameInfo? {
        try frame.withUnsafeBytes { bytes in Result { () throws(CodecError) in try decode(bytes, into: &picture) } }.get()
    }

    private func copy(_ image: vpx_image_t, into picture: inout I420Frame) throws(CodecError) {
        guard image.fmt == VPX_IMG_FMT_I420 else {
            throw .unsupported(format: "VP8", reason: "decoder produced image format \(image.fmt.rawValue), not I420")
        }
        let width = Int(image.d_w)
        let height = Int(image.d_h)
        picture.resize(width: width, height: height)
        let chromaWidth = picture.chromaWidth
        let chromaHeight = picture.chromaHeight
        let uOffset = picture.uOffset
        let vOffset = picture.vOffset
        picture.bytes.withUnsafeMutableBytes { destination in
            guard let target = destination.baseAddress else { return }
            func plane(_ source: UnsafeMutablePointer<UInt8>?, _ stride: Int32, _ offset: Int, _ rowBytes: Int, _ rows: Int) {
                guard let source else { return }
                for row in 0..<rows {
                    (target + offset + row * rowBytes).copyMemory(from: source + row * Int(stride), byteCount: rowBytes)
                }
            }
            plane(image.planes.0, image.stride.0, 0, width, height)
            plane(image.planes.1, image.stride.1, uOffset, chromaWidth, chromaHeight)
            plane(image.planes.2, image.stride.2, vOffset, chromaWidth, chromaHeight)
        }
    }
}

@available(*, unavailable, message: "a libvpx context is not thread-safe; keep a VP8Decoder on one thread")
extension VP8Decoder: Sendable {}
