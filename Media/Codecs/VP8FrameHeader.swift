/// The uncompressed header at the start of every VP8 frame (RFC 6386 §9.1): the 3-byte frame tag, and for
/// keyframes the start code `9d 01 2a` and the 14-bit width and height with their 2-bit scaling fields.
///
/// Read without decoding, so that a receiver, recorder or IVF writer learns whether a frame is a keyframe and its
/// size from the first 10 bytes.
public struct VP8FrameHeader: Sendable, Hashable {
    /// P = 0 in the frame tag: an intra frame decodable on its own.
    public var isKeyframe: Bool
    /// The 3-bit version (profile) field.
    public var version: UInt8
    /// show_frame: whether the decoder displays this frame.
    public var showFrame: Bool
    /// Size of the first partition in bytes (19 bits).
    public var firstPartitionSize: Int
    /// Width in pixels, for keyframes only.
    public var width: Int?
    /// Height in pixels, for keyframes only.
    public var height: Int?

    /// Parses the header at the start of `frame`.
    /// - Throws: ``CodecError/truncated(format:offset:needed:)`` when the frame is shorter than its header, or
    ///   ``CodecError/malformed(format:offset:reason:)`` when a keyframe lacks the start code.
    public init(_ frame: some Collection<UInt8>) throws(CodecError) {
        var bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &bytes) { header in
            for byte in frame.prefix(10) {
                header[count] = byte
                count += 1
            }
        }
        guard count >= 3 else { throw .truncated(format: "VP8", offset: count, needed: 3 - count) }
        let tag = UInt32(bytes.0) | UInt32(bytes.1) << 8 | UInt32(bytes.2) << 16
        isKeyframe = tag & 0x01 == 0
        version = UInt8((tag >> 1) & 0x07)
        showFrame = tag & 0x10 != 0
        firstPartitionSize = Int(tag >> 5)
        width = nil
        height = nil
        guard isKeyframe else { return }
        guard count >= 10 else { throw .truncated(format: "VP8", offset: count, needed: 10 - count) }
        guard bytes.3 == 0x9D, bytes.4 == 0x01, bytes.5 == 0x2A else {
            throw .malformed(format: "VP8", offset: 3, reason: "keyframe start code is not 9d 01 2a (RFC 6386 §9.1)")
        }
        width = Int(UInt16(bytes.6) | UInt16(bytes.7 & 0x3F) << 8)
        height = Int(UInt16(bytes.8) | UInt16(bytes.9 & 0x3F) << 8)
    }
}
