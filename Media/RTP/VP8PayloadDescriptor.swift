import NIOCore

/// The VP8 payload descriptor at the start of every VP8 RTP payload (RFC 7741 §4.2).
///
/// ```
///  X|R|N|S|R|PID   (PID = partition index, 3 bits)
///  I|L|T|K| RSV    (present when X = 1)
///  M| PictureID    (present when I = 1; M = 1 makes it 15 bits)
///  TL0PICIDX       (present when L = 1)
///  TID|Y| KEYIDX   (present when T = 1 or K = 1)
/// ```
public struct VP8PayloadDescriptor: Sendable, Hashable {
    /// N: the frame can be discarded without affecting other frames.
    public var isNonReference: Bool
    /// S: the packet starts a VP8 partition.
    public var isStartOfPartition: Bool
    /// PID: the partition index, 0...7.
    public var partitionIndex: UInt8
    /// The picture id (7 or 15 bits), nil when I = 0.
    public var pictureID: UInt16?
    /// Whether the picture id is written in the 15-bit form (M = 1).
    public var pictureIDIs15Bit: Bool
    /// TL0PICIDX: running index of base-layer (TID 0) frames, nil when L = 0.
    public var tl0PictureIndex: UInt8?
    /// TID: the temporal layer index, nil when T = 0.
    public var temporalLayerID: UInt8?
    /// Y: layer sync bit (meaningful only with T = 1).
    public var layerSync: Bool
    /// KEYIDX: temporal key frame index, nil when K = 0.
    public var keyIndex: UInt8?
    /// The descriptor's size in bytes: the VP8 payload header starts this far into the RTP payload.
    public var size: Int

    /// Parses the descriptor at the start of `payload` (its readable bytes).
    /// - Throws: ``RTPParseError/truncatedVP8PayloadDescriptor`` when a signalled field is missing, or when no
    ///   byte follows the descriptor.
    public init(payload: ByteBuffer) throws(RTPParseError) {
        var index = payload.readerIndex
        let end = payload.writerIndex
        func next() throws(RTPParseError) -> UInt8 {
            guard index < end, let byte = payload.getInteger(at: index, as: UInt8.self) else {
                throw .truncatedVP8PayloadDescriptor
            }
            index += 1
            return byte
        }
        let first = try next()
        isNonReference = first & 0x20 != 0
        isStartOfPartition = first & 0x10 != 0
        partitionIndex = first & 0x07
        pictureID = nil
        pictureIDIs15Bit = false
        tl0PictureIndex = nil
        temporalLayerID = nil
        layerSync = false
        keyIndex = nil
        if first & 0x80 != 0 {
            let flags = try next()
            if flags & 0x80 != 0 {
                let high = try next()
                if high & 0x80 != 0 {
                    let low = try next()
                    pictureID = UInt16(high & 0x7F) << 8 | UInt16(low)
                    pictureIDIs15Bit = true
                } else {
                    pictureID = UInt16(high)
                }
            }
            if flags & 0x40 != 0 {
                tl0PictureIndex = try next()
            }
            if flags & 0x30 != 0 {
                let byte = try next()
                if flags & 0x20 != 0 {
                    temporalLayerID = byte >> 6
                    layerSync = byte & 0x20 != 0
                }
                if flags & 0x10 != 0 {
                    keyIndex = byte & 0x1F
                }
            }
        }
        size = index - payload.readerIndex
        guard index < end else { throw .truncatedVP8PayloadDescriptor }
    }

    /// Whether this packet starts a VP8 keyframe (RFC 7741 §4.3): S = 1, PID = 0 and the P bit (bit 0 of the
    /// first byte of the VP8 payload header that follows the descriptor) is 0.
    public func isKeyframe(payload: ByteBuffer) -> Bool {
        guard isStartOfPartition, partitionIndex == 0,
            let header = payload.getInteger(at: payload.readerIndex + size, as: UInt8.self)
        else {
            return false
        }
        return header & 0x01 == 0
    }

    /// Whether `payload` starts a VP8 keyframe; false when the descriptor does not parse.
    public static func isKeyframe(payload: ByteBuffer) -> Bool {
        guard let descriptor = try? VP8PayloadDescriptor(payload: payload) else { return false }
        return descriptor.isKeyframe(payload: payload)
    }

    /// Writes this descriptor (without the VP8 payload that follows).
    public func write(to buffer: inout ByteBuffer) {
        let hasExtension = pictureID != nil || tl0PictureIndex != nil || temporalLayerID != nil || keyIndex != nil
        var first: UInt8 = partitionIndex & 0x07
        if hasExtension { first |= 0x80 }
        if isNonReference { first |= 0x20 }
        if isStartOfPartition { first |= 0x10 }
        buffer.writeInteger(first)
        guard hasExtension else { return }
        var flags: UInt8 = 0
        if pictureID != nil { flags |= 0x80 }
        if tl0PictureIndex != nil { flags |= 0x40 }
        if temporalLayerID != nil { flags |= 0x20 }
        if keyIndex != nil { flags |= 0x10 }
        buffer.writeInteger(flags)
        if let pictureID {
            if pictureIDIs15Bit {
                buffer.writeInteger(0x8000 | (pictureID & 0x7FFF))
            } else {
                buffer.writeInteger(UInt8(truncatingIfNeeded: pictureID & 0x7F))
            }
        }
        if let tl0PictureIndex { buffer.writeInteger(tl0PictureIndex) }
        if temporalLayerID != nil || keyIndex != nil {
            var byte: UInt8 = 0
            if let temporalLayerID {
                byte |= (temporalLayerID & 0x03) << 6
                if layerSync { byte |= 0x20 }
            }
            if let keyIndex { byte |= keyIndex & 0x1F }
            buffer.writeInteger(byte)
        }
    }

    /// Rewrites the picture id and/or TL0PICIDX of the descriptor at index `payloadStart` of `buffer` in place,
    /// keeping the field widths already there (a 7-bit picture id keeps its low 7 bits). Used by an SFU that
    /// switches simulcast layers and must present continuous numbering (RFC 7741 §4.2).
    /// - Returns: false (changing nothing) when the descriptor does not parse or lacks a field being set.
    @discardableResult
    public static func rewrite(
        in buffer: inout ByteBuffer,
        payloadStart: Int,
        pictureID: UInt16? = nil,
        tl0PictureIndex: UInt8? = nil
    ) -> Bool {
        guard payloadStart >= buffer.readerIndex, payloadStart < buffer.writerIndex,
            let view = buffer.getSlice(at: payloadStart, length: buffer.writerIndex - payloadStart),
            let descriptor = try? VP8PayloadDescriptor(payload: view)
        else {
            return false
        }
        if pictureID != nil, descriptor.pictureID == nil { return false }
        if tl0PictureIndex != nil, descriptor.tl0PictureIndex == nil { return false }
        var index = payloadStart + 2
        if let pictureID {
            if descriptor.pictureIDIs15Bit {
                buffer.setInteger(0x8000 | (pictureID & 0x7FFF), at: index)
            } else {
                buffer.setInteger(UInt8(truncatingIfNeeded: pictureID & 0x7F), at: index)
            }
        }
        if descriptor.pictureID != nil { index += descriptor.pictureIDIs15Bit ? 2 : 1 }
        if let tl0PictureIndex { buffer.setInteger(tl0PictureIndex, at: index) }
        return true
    }
}

/// Keeps the picture ids and TL0PICIDX seen by a receiver continuous while an SFU switches the source it
/// forwards (e.g. between simulcast layers, each with its own numbering; RFC 7741 §4.2).
///
/// Call ``map(pictureID:tl0PictureIndex:switchingSource:)`` for each forwarded packet; pass
/// `switchingSource: true` on the first packet of the new source (a keyframe). The offsets then make the new
/// source's first picture follow the last one forwarded. Picture ids are 15-bit; write them back with
/// ``VP8PayloadDescriptor/rewrite(in:payloadStart:pictureID:tl0PictureIndex:)``.
public struct VP8PictureIDRewriter: Sendable, Hashable {
    private var pictureIDOffset: UInt16 = 0
    private var tl0Offset: UInt8 = 0
    private var lastPictureID: UInt16?
    private var lastTL0: UInt8?

    public init() {}

    /// Maps incoming values to outgoing values.
    /// - Returns: the picture id (15-bit) and TL0PICIDX to write, nil where the input was nil.
    public mutating func map(pictureID: UInt16?, tl0PictureIndex: UInt8?, switchingSource: Bool)
        -> (pictureID: UInt16?, tl0PictureIndex: UInt8?)
    {
        if switchingSource {
            if let pictureID, let last = lastPictureID {
                pictureIDOffset = (last &+ 1 &- pictureID) & 0x7FFF
            }
            if let tl0PictureIndex, let last = lastTL0 {
                tl0Offset = last &+ 1 &- tl0PictureIndex
            }
        }
        var outPicture: UInt16?
        if let pictureID {
            let mapped = (pictureID &+ pictureIDOffset) & 0x7FFF
            outPicture = mapped
            if let last = lastPictureID {
                // Only move forward (modulo 2^15), so reordered packets do not rewind the reference.
                let forward = (mapped &- last) & 0x7FFF
                if forward != 0, forward < 0x4000 { lastPictureID = mapped }
            } else {
                lastPictureID = mapped
            }
        }
        var outTL0: UInt8?
        if let tl0PictureIndex {
            let mapped = tl0PictureIndex &+ tl0Offset
            outTL0 = mapped
            if let last = lastTL0 {
                let forward = mapped &- last
                if forward != 0, forward < 0x80 { lastTL0 = mapped }
            } else {
                lastTL0 = mapped
            }
        }
        return (outPicture, outTL0)
    }
}
