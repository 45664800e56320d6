import NIOCore

/// A picture loss indication, payload-specific feedback (PT 206) format 1 (RFC 4585 §6.3.1): the receiver
/// lost picture data and asks the sender for a keyframe. It has no FCI.
public struct RTCPPictureLossIndication: Sendable, Hashable {
    /// The feedback format number.
    public static let format: UInt8 = 1

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32

    public init(senderSSRC: UInt32, mediaSSRC: UInt32) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
    }

    init(view: RTCPPacketView) throws(RTCPParseError) {
        var reader = RTCPBodyReader(view)
        try reader.require(8)
        senderSSRC = try reader.read(UInt32.self)
        mediaSSRC = try reader.read(UInt32.self)
        guard reader.remaining == 0 else {
            throw .invalidFeedbackLength(
                packetType: view.packetType,
                format: view.countOrFormat,
                length: reader.remaining
            )
        }
    }

    /// Writes this packet.
    public func write(to buffer: inout ByteBuffer) throws(RTCPSerializationError) {
        let start = buffer.beginRTCPPacket(countOrFormat: Self.format, packetType: RTCPPacketType.payloadFeedback)
        buffer.writeInteger(senderSSRC)
        buffer.writeInteger(mediaSSRC)
        try buffer.finishRTCPPacket(start: start)
    }
}

/// A full intra request, payload-specific feedback (PT 206) format 4 (RFC 5104 §4.3.1): asks each listed
/// media sender for a decoder refresh point. The media source SSRC field is unused and written as 0.
public struct RTCPFullIntraRequest: Sendable, Hashable {
    /// One FCI entry (RFC 5104 §4.3.1.1).
    public struct Entry: Sendable, Hashable {
        /// The media sender asked for an intra frame.
        public var ssrc: UInt32
        /// Command sequence number, incremented per new request (repeats keep it).
        public var sequenceNumber: UInt8

        public init(ssrc: UInt32, sequenceNumber: UInt8) {
            self.ssrc = ssrc
            self.sequenceNumber = sequenceNumber
        }
    }

    /// The feedback format number.
    public static let format: UInt8 = 4

    public var senderSSRC: UInt32
    /// The media source field of the common feedback header; RFC 5104 says it SHALL be 0.
    public var mediaSSRC: UInt32
    public var entries: [Entry]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, entries: [Entry]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.entries = entries
    }

    init(view: RTCPPacketView) throws(RTCPParseError) {
        var reader = RTCPBodyReader(view)
        try reader.require(8)
        senderSSRC = try reader.read(UInt32.self)
        mediaSSRC = try reader.read(UInt32.self)
        guard reader.remaining >= 8, reader.remaining % 8 == 0 else {
            throw .invalidFeedbackLength(
                packetType: view.packetType,
                format: view.countOrFormat,
                length: reader.remaining
            )
        }
        var entries: [Entry] = []
        entries.reserveCapacity(reader.remaining / 8)
        while reader.remaining >= 8 {
            let ssrc = try reader.read(UInt32.self)
            let word = try reader.read(UInt32.self)
            entries.append(Entry(ssrc: ssrc, sequenceNumber: UInt8(truncatingIfNeeded: word >> 24)))
        }
        self.entries = entries
    }

    /// Writes this packet; the reserved bytes of each entry are zero.
    public func write(to buffer: inout ByteBuffer) throws(RTCPSerializationError) {
        guard !entries.isEmpty else { throw .emptyFeedback }
        let start = buffer.beginRTCPPacket(countOrFormat: Self.format, packetType: RTCPPacketType.payloadFeedback)
        buffer.writeInteger(senderSSRC)
        buffer.writeInteger(mediaSSRC)
        for entry in entries {
            buffer.writeInteger(entry.ssrc)
            buffer.writeInteger(UInt32(entry.sequenceNumber) << 24)
        }
        try buffer.finishRTCPPacket(start: start)
    }
}
