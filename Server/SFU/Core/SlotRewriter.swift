import NIOCore
import RTP

/// Where a subscriber's slot writes: its SSRC, payload type and negotiated header-extension ids on the subscribe
/// connection (the answer's numbers, RFC 8829 §5.3.1).
public struct SlotOutput: Sendable, Hashable {
    public var ssrc: UInt32
    public var payloadType: UInt8
    public var clockRate: UInt32
    /// `urn:ietf:params:rtp-hdrext:sdes:mid`: written with ``mid`` so the receiver routes by it (RFC 8843 §15).
    public var midExtensionID: UInt8?
    public var mid: String
    /// `urn:ietf:params:rtp-hdrext:ssrc-audio-level` (RFC 6464), copied from the source.
    public var audioLevelExtensionID: UInt8?
    public var isVideo: Bool

    public init(ssrc: UInt32, payloadType: UInt8, clockRate: UInt32, midExtensionID: UInt8?, mid: String,
        audioLevelExtensionID: UInt8?, isVideo: Bool)
    {
        self.ssrc = ssrc
        self.payloadType = payloadType
        self.clockRate = clockRate
        self.midExtensionID = midExtensionID
        self.mid = mid
        self.audioLevelExtensionID = audioLevelExtensionID
        self.isVideo = isVideo
    }
}

/// Rewrites the RTP packets of whichever source a subscribe slot currently carries into one continuous stream
/// (the SFU technique of RFC 7667 §3.7 "Selective Forwarding Middlebox"): one SSRC, sequence numbers without
/// jumps or repeats across a source switch, timestamps that advance by the wall-clock time between the last
/// packet of the old source and the first of the new, VP8 picture id and TL0PICIDX continuous (RFC 7741 §4.2),
/// and fresh header extensions for the subscriber's negotiation (never the publisher's mid).
///
/// A video slot starts a new source only on a keyframe, so the receiver's decoder never sees a delta frame of a
/// stream it has no reference for; until then ``needsKeyframe`` asks the driver to request one (PLI).
public struct SlotRewriter: Sendable {
    public var output: SlotOutput
    /// The source SSRC being forwarded (nil: the slot is empty).
    public private(set) var sourceSSRC: UInt32?
    /// True while a video source switch waits for a keyframe.
    public private(set) var needsKeyframe = false
    var pendingSource = false
    var started = false
    var sequenceDelta: UInt16 = 0
    var timestampDelta: UInt32 = 0
    var pictureIDDelta: UInt16 = 0
    var tl0Delta: UInt8 = 0
    var lastSourceSequence: UInt16 = 0
    var lastOutSequence: UInt16 = 0
    var lastOutTimestamp: UInt32 = 0
    var lastOutPictureID: UInt16 = 0
    var lastOutTL0: UInt8 = 0
    var lastOutTime: Double = 0
    /// Packets written and dropped (late packets of an old source, delta frames before the first keyframe).
    public private(set) var packetsWritten = 0
    public private(set) var packetsDropped = 0

    public init(output: SlotOutput, initialSequence: UInt16 = 0, initialTimestamp: UInt32 = 0) {
        self.output = output
        lastOutSequence = initialSequence
        lastOutTimestamp = initialTimestamp
    }

    /// Starts forwarding another source (nil: stop). The next packet of the new source continues the stream.
    public mutating func switchSource(to ssrc: UInt32?) {
        guard ssrc != sourceSSRC || ssrc == nil else { return }
        sourceSSRC = ssrc
        pendingSource = ssrc != nil
        needsKeyframe = ssrc != nil && output.isVideo
    }

    /// Rewrites `packet` (from the current source) into `buffer` (cleared first) and returns true, or returns
    /// false when the packet is not forwarded (another source, before the first keyframe, late from before a
    /// switch, padding only). `now` is monotonic seconds.
    public mutating func rewrite(_ packet: RTPPacket, audioLevel: UInt8?, isKeyframe: Bool, now: Double,
        into buffer: inout ByteBuffer) -> Bool
    {
        guard let source = sourceSSRC, packet.header.ssrc == source, packet.header.payloadLength > 0 else {
            return false
        }
        let sequence = packet.header.sequenceNumber
        let payload = packet.payloadRange
        var descriptor = output.isVideo ? VP8DescriptorFields(packet.bytes, payloadStart: payload.lowerBound) : nil
        if pendingSource {
            if output.isVideo && !isKeyframe {
                packetsDropped += 1
                return false
            }
            // The first packet of the new source follows the last one written.
            let outSequence = started ? lastOutSequence &+ 1 : lastOutSequence
            sequenceDelta = outSequence &- sequence
            let elapsed = started ? max(1, UInt32(min(10, max(0, now - lastOutTime)) * Double(output.clockRate))) : 0
            timestampDelta = (lastOutTimestamp &+ elapsed) &- packet.header.timestamp
            if let fields = descriptor {
                if let pictureID = fields.pictureID {
                    pictureIDDelta = (started ? lastOutPictureID &+ 1 : pictureID) &- pictureID
                }
                if let tl0 = fields.tl0PictureIndex { tl0Delta = (started ? lastOutTL0 &+ 1 : tl0) &- tl0 }
            }
            pendingSource = false
            needsKeyframe = false
            started = true
            lastSourceSequence = sequence
        } else if Int16(bitPattern: sequence &- lastSourceSequence) < -1000 || !started {
            // Far behind (a stale packet of before a restart): drop rather than emit a huge backwards jump.
            packetsDropped += 1
            return false
        }
        let outSequence = sequence &+ sequenceDelta
        let outTimestamp = packet.header.timestamp &+ timestampDelta
        if Int16(bitPattern: sequence &- lastSourceSequence) > 0 {
            lastSourceSequence = sequence
            lastOutSequence = outSequence
            lastOutTimestamp = outTimestamp
            lastOutTime = now
        }
        buffer.clear()
        // Fixed header (RFC 3550 §5.1): V=2, no padding (dropped), X when we write extensions, no CSRC; then a
        // one-byte-header extension block (RFC 8285 §4.2) with the mid and the audio level.
        let midBytes = output.mid.utf8
        let midID = output.midExtensionID.flatMap { (1...14).contains($0) && (1...16).contains(midBytes.count) ? $0 : nil }
        let levelID = output.audioLevelExtensionID.flatMap { (1...14).contains($0) && audioLevel != nil ? $0 : nil }
        let dataLength = (midID == nil ? 0 : 1 + midBytes.count) + (levelID == nil ? 0 : 2)
        buffer.writeInteger(UInt8(dataLength == 0 ? 0x80 : 0x90))
        buffer.writeInteger(UInt8((packet.header.marker ? 0x80 : 0) | (output.payloadType & 0x7F)))
        buffer.writeInteger(outSequence)
        buffer.writeInteger(outTimestamp)
        buffer.writeInteger(output.ssrc)
        if dataLength > 0 {
            let words = (dataLength + 3) / 4
            buffer.writeInteger(UInt16(0xBEDE))
            buffer.writeInteger(UInt16(words))
            if let midID {
                buffer.writeInteger(UInt8(midID << 4 | UInt8(midBytes.count - 1)))
                buffer.writeBytes(midBytes)
            }
            if let levelID {
                buffer.writeInteger(UInt8(levelID << 4))
                buffer.writeInteger(audioLevel ?? 127)
            }
            buffer.writeRepeatingByte(0, count: words * 4 - dataLength)
        }
        let payloadStart = buffer.writerIndex
        var payloadBytes = packet.bytes
        payloadBytes.moveReaderIndex(to: payload.lowerBound)
        payloadBytes.moveWriterIndex(to: payload.upperBound)
        buffer.writeBuffer(&payloadBytes)
        if var fields = descriptor {
            fields.shift(pictureID: pictureIDDelta, tl0: tl0Delta, in: &buffer, payloadStart: payloadStart)
            if let pictureID = fields.pictureID { lastOutPictureID = pictureID &+ pictureIDDelta }
            if let tl0 = fields.tl0PictureIndex { lastOutTL0 = tl0 &+ tl0Delta }
            descriptor = fields
        }
        packetsWritten += 1
        return true
    }
}

/// The fields of a VP8 payload descriptor (RFC 7741 §4.2) an SFU rewrites, with their byte offsets.
struct VP8DescriptorFields: Sendable {
    var pictureID: UInt16?
    var pictureIDIsLong = false
    var pictureIDOffset = 0
    var tl0PictureIndex: UInt8?
    var tl0Offset = 0

    /// Reads the descriptor at `payloadStart` of `bytes`; nil if it is truncated.
    init?(_ bytes: ByteBuffer, payloadStart: Int) {
        guard let first = bytes.getInteger(at: payloadStart, as: UInt8.self) else { return nil }
        var offset = 1
        guard first & 0x80 != 0 else { return }  // No X: nothing to rewrite.
        guard let extended = bytes.getInteger(at: payloadStart + offset, as: UInt8.self) else { return nil }
        offset += 1
        if extended & 0x80 != 0 {  // I: picture id
            guard let high = bytes.getInteger(at: payloadStart + offset, as: UInt8.self) else { return nil }
            pictureIDOffset = offset
            if high & 0x80 != 0 {
                guard let low = bytes.getInteger(at: payloadStart + offset + 1, as: UInt8.self) else { return nil }
                pictureID = UInt16(high & 0x7F) << 8 | UInt16(low)
                pictureIDIsLong = true
                offset += 2
            } else {
                pictureID = UInt16(high & 0x7F)
                offset += 1
            }
        }
        if extended & 0x40 != 0 {  // L: TL0PICIDX
            guard let tl0 = bytes.getInteger(at: payloadStart + offset, as: UInt8.self) else { return nil }
            tl0PictureIndex = tl0
            tl0Offset = offset
        }
    }

    /// Writes the shifted picture id (mod 2^15 or 2^7) and TL0PICIDX into `buffer` at `payloadStart`.
    func shift(pictureID delta: UInt16, tl0: UInt8, in buffer: inout ByteBuffer, payloadStart: Int) {
        if let pictureID {
            if pictureIDIsLong {
                let value = (pictureID &+ delta) & 0x7FFF
                buffer.setInteger(UInt16(0x8000) | value, at: payloadStart + pictureIDOffset)
            } else {
                buffer.setInteger(UInt8((pictureID &+ delta) & 0x7F), at: payloadStart + pictureIDOffset)
            }
        }
        if let tl0PictureIndex { buffer.setInteger(tl0PictureIndex &+ tl0, at: payloadStart + tl0Offset) }
    }
}

/// Whether a VP8 RTP payload starts a keyframe: the first packet of partition 0 (S=1, PID=0) whose VP8 payload
/// header has P=0 (RFC 7741 §4.3: "P: Inverse key frame flag").
public func isVP8Keyframe(_ packet: RTPPacket) -> Bool {
    let bytes = packet.bytes
    let start = packet.payloadRange.lowerBound
    guard let first = bytes.getInteger(at: start, as: UInt8.self), first & 0x10 != 0, first & 0x07 == 0 else {
        return false
    }
    var offset = 1
    if first & 0x80 != 0 {
        guard let extended = bytes.getInteger(at: start + 1, as: UInt8.self) else { return false }
        offset += 1
        if extended & 0x80 != 0 {
            guard let high = bytes.getInteger(at: start + offset, as: UInt8.self) else { return false }
            offset += high & 0x80 != 0 ? 2 : 1
        }
        if extended & 0x40 != 0 { offset += 1 }
        if extended & 0x30 != 0 { offset += 1 }
    }
    guard start + offset < packet.payloadRange.upperBound,
        let header = bytes.getInteger(at: start + offset, as: UInt8.self)
    else { return false }
    return header & 0x01 == 0
}
