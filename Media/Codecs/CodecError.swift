/// Why a codec call or a media container operation failed.
///
/// One error type for the module (thrown with typed throws): codec failures carry the C library's own status code,
/// container failures say which format, what was wrong and where (byte offset), so that a malformed file is
/// reported precisely instead of trapping. ``code`` is stable for logs and metrics; ``description`` is a sentence.
public enum CodecError: Error, Hashable, Sendable {
    /// A setting is outside what the codec accepts (e.g. an Opus channel count of 3, a VP8 width of 0).
    case invalidConfiguration(String)
    /// libopus answered a call with an error status (`OPUS_BAD_ARG`, `OPUS_INVALID_PACKET`, …).
    case opus(operation: String, status: Int32)
    /// libvpx answered a call with an error status; `detail` is `vpx_codec_error_detail` when libvpx gave one.
    case vpx(operation: String, status: UInt32, detail: String)
    /// The VP8 decoder reported the frame as corrupt (or could not decode it): the receiver should ask for a
    /// keyframe (RTCP PLI, RFC 4585 §6.3.1) and drop delta frames until one arrives.
    case corruptFrame
    /// A buffer handed in by the caller is too small for what must be written into it.
    case bufferTooSmall(needed: Int, available: Int)
    /// PCM input or an I420 frame does not have the size the codec was configured for.
    case frameSizeMismatch(expected: Int, actual: Int)
    /// A container file ends before a structure it promises (`format`: "IVF", "Ogg", "WAV", "Y4M").
    case truncated(format: String, offset: Int, needed: Int)
    /// A container's magic bytes or header fields are not what the format requires.
    case malformed(format: String, offset: Int, reason: String)
    /// A well-formed container uses a feature we do not read (another codec, sample format, chroma layout …).
    case unsupported(format: String, reason: String)
    /// An Ogg page's CRC-32 does not match its contents (RFC 3533 §6).
    case oggChecksumMismatch(pageSequence: UInt32, offset: Int)
}

extension CodecError: CustomStringConvertible {
    /// A stable, machine-readable name for the case, for logs and metrics.
    public var code: String {
        switch self {
        case .invalidConfiguration: return "codec.invalid_configuration"
        case .opus: return "codec.opus"
        case .vpx: return "codec.vpx"
        case .corruptFrame: return "codec.corrupt_frame"
        case .bufferTooSmall: return "codec.buffer_too_small"
        case .frameSizeMismatch: return "codec.frame_size_mismatch"
        case .truncated: return "container.truncated"
        case .malformed: return "container.malformed"
        case .unsupported: return "container.unsupported"
        case .oggChecksumMismatch: return "container.ogg_checksum"
        }
    }

    public var description: String {
        switch self {
        case .invalidConfiguration(let reason):
            return "invalid codec configuration: \(reason)"
        case .opus(let operation, let status):
            return "libopus \(operation) failed with status \(status) (\(OpusStatus.name(status)))"
        case .vpx(let operation, let status, let detail):
            return "libvpx \(operation) failed with status \(status)" + (detail.isEmpty ? "" : ": \(detail)")
        case .corruptFrame:
            return "the VP8 frame is corrupt or references a lost frame; request a keyframe (PLI)"
        case .bufferTooSmall(let needed, let available):
            return "buffer of \(available) elements is too small, \(needed) are needed"
        case .frameSizeMismatch(let expected, let actual):
            return "frame has \(actual) elements where \(expected) were expected"
        case .truncated(let format, let offset, let needed):
            return "\(format) data ends at byte \(offset) where \(needed) more bytes were expected"
        case .malformed(let format, let offset, let reason):
            return "malformed \(format) data at byte \(offset): \(reason)"
        case .unsupported(let format, let reason):
            return "unsupported \(format) content: \(reason)"
        case .oggChecksumMismatch(let sequence, let offset):
            return "Ogg page \(sequence) at byte \(offset) fails its CRC-32 check (RFC 3533 §6)"
        }
    }
}

/// Names of libopus status codes (opus_defines.h), for error messages.
enum OpusStatus {
    static func name(_ status: Int32) -> String {
        switch status {
        case -1: return "OPUS_BAD_ARG"
        case -2: return "OPUS_BUFFER_TOO_SMALL"
        case -3: return "OPUS_INTERNAL_ERROR"
        case -4: return "OPUS_INVALID_PACKET"
        case -5: return "OPUS_UNIMPLEMENTED"
        case -6: return "OPUS_INVALID_STATE"
        case -7: return "OPUS_ALLOC_FAIL"
        default: return "unknown"
        }
    }
}
