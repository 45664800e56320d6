import NIOCore

/// Splits encoded VP8 frames into RTP payloads (RFC 7741 §4): each payload is a ``VP8PayloadDescriptor`` with a
/// 15-bit PictureID (I = 1, M = 1) followed by a piece of the frame. The first payload of a frame has S = 1 and
/// PID = 0; the others S = 0. The frame is split into pieces of nearly equal size (as libwebrtc does), so that no
/// payload exceeds ``maximumPayloadSize``; the caller sets the RTP marker bit on the last one (RFC 7741 §4.1).
///
/// Value type; the PictureID advances by one per frame (wrapping at 2^15). Packetizing hands out slices of the
/// frame's buffer (no copy, no allocation per packet).
public struct VP8Packetizer: Sendable, Hashable {
    /// The largest RTP payload (descriptor + piece) to produce: the path MTU minus IP, UDP, SRTP and RTP header
    /// and extension overhead; ~1200 is what WebRTC stacks use.
    public var maximumPayloadSize: Int
    /// The PictureID the next frame gets (15 bits).
    public private(set) var nextPictureID: UInt16

    /// Size of the descriptor we write: X|R|N|S|PID, I|L|T|K, and a 2-byte PictureID.
    public static let descriptorSize = 4

    /// - Parameters:
    ///   - maximumPayloadSize: at least ``descriptorSize`` + 1.
    ///   - firstPictureID: the first frame's PictureID (RFC 7741 recommends a random start); masked to 15 bits.
    public init(maximumPayloadSize: Int = 1_200, firstPictureID: UInt16 = 0) {
        self.maximumPayloadSize = max(Self.descriptorSize + 1, maximumPayloadSize)
        self.nextPictureID = firstPictureID & 0x7FFF
    }

    /// How many payloads a frame of `frameSize` bytes becomes.
    public func packetCount(frameSize: Int) -> Int {
        let room = maximumPayloadSize - Self.descriptorSize
        return max(1, (frameSize + room - 1) / room)
    }

    /// Packetizes one frame, calling `emit` once per payload in order with the descriptor to write, the piece of
    /// the frame that follows it (a slice of `frame`), and whether it is the frame's last payload (marker bit).
    /// - Parameters:
    ///   - frame: the encoded frame (readable bytes); an empty frame produces no payload.
    ///   - isNonReference: sets N (RFC 7741 §4.2) — the frame is not used as a reference (`VPX_FRAME_IS_DROPPABLE`).
    /// - Returns: the PictureID given to this frame.
    @discardableResult
    public mutating func packetize<Failure: Error>(
        frame: ByteBuffer,
        isNonReference: Bool = false,
        emit: (_ descriptor: VP8PayloadDescriptor, _ piece: ByteBuffer, _ isLast: Bool) throws(Failure) -> Void
    ) throws(Failure) -> UInt16 {
        let pictureID = nextPictureID
        nextPictureID = (nextPictureID &+ 1) & 0x7FFF
        let size = frame.readableBytes
        guard size > 0 else { return pictureID }
        let count = packetCount(frameSize: size)
        // Balanced split: the first (size % count) pieces are one byte longer.
        let base = size / count
        let longer = size % count
        var offset = frame.readerIndex
        for index in 0..<count {
            let length = base + (index < longer ? 1 : 0)
            guard let piece = frame.getSlice(at: offset, length: length) else { break }
            offset += length
            let descriptor = VP8PayloadDescriptor(
                isNonReference: isNonReference, isStartOfPartition: index == 0, partitionIndex: 0,
                pictureID: pictureID, pictureIDIs15Bit: true)
            try emit(descriptor, piece, index == count - 1)
        }
        return pictureID
    }

    /// Packetizes one frame into new buffers, each a complete RTP payload (descriptor + piece). Convenient for
    /// tests and for pre-packetizing fixture clips once; the send path uses ``packetize(frame:isNonReference:emit:)``.
    public mutating func payloads(
        for frame: ByteBuffer,
        isNonReference: Bool = false,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) -> [ByteBuffer] {
        var payloads: [ByteBuffer] = []
        packetize(frame: frame, isNonReference: isNonReference) { descriptor, piece, _ in
            var payload = allocator.buffer(capacity: Self.descriptorSize + piece.readableBytes)
            descriptor.write(to: &payload)
            payload.writeImmutableBuffer(piece)
            payloads.append(payload)
        }
        return payloads
    }
}

extension VP8PayloadDescriptor {
    /// A descriptor with the given fields and no temporal-layer fields (L = T = K = 0).
    public init(
        isNonReference: Bool,
        isStartOfPartition: Bool,
        partitionIndex: UInt8,
        pictureID: UInt16?,
        pictureIDIs15Bit: Bool
    ) {
        self.isNonReference = isNonReference
        self.isStartOfPartition = isStartOfPartition
        self.partitionIndex = partitionIndex & 0x07
        self.pictureID = pictureID
        self.pictureIDIs15Bit = pictureIDIs15Bit
        self.tl0PictureIndex = nil
        self.temporalLayerID = nil
        self.layerSync = false
        self.keyIndex = nil
        self.size = 1 + (pictureID == nil ? 0 : 1 + (pictureIDIs15Bit ? 2 : 1))
    }
}
