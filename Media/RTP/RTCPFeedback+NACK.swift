import NIOCore

/// A generic NACK, transport-layer feedback (PT 205) format 1 (RFC 4585 §6.2.1): requests retransmission of
/// lost packets as (PID, BLP) pairs.
public struct RTCPGenericNACK: Sendable, Hashable {
    /// One FCI entry: a lost packet id and a bitmask of the 16 following packets also lost.
    public struct Item: Sendable, Hashable {
        /// The sequence number of a lost packet.
        public var packetID: UInt16
        /// Bit i (least significant first) set means packet `packetID + i + 1` is lost too.
        public var lostBitmask: UInt16

        public init(packetID: UInt16, lostBitmask: UInt16 = 0) {
            self.packetID = packetID
            self.lostBitmask = lostBitmask
        }
    }

    /// The feedback format number.
    public static let format: UInt8 = 1

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var items: [Item]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32, items: [Item]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.items = items
    }

    /// Builds the items from lost sequence numbers (RFC 4585 §6.2.1). Numbers are taken in the order given
    /// (normally ascending, modulo 2^16); each one up to 16 after the current item's PID joins its bitmask,
    /// any other starts a new item. Repeats of an item's PID are dropped.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, lostSequenceNumbers: some Sequence<UInt16>) {
        var items: [Item] = []
        for seq in lostSequenceNumbers {
            if var last = items.last {
                let distance = seq &- last.packetID
                if distance == 0 { continue }
                if distance <= 16 {
                    last.lostBitmask |= 1 << (distance - 1)
                    items[items.count - 1] = last
                    continue
                }
            }
            items.append(Item(packetID: seq))
        }
        self.init(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, items: items)
    }

    /// Every sequence number reported lost, in FCI order (RFC 4585 §6.2.1).
    public var lostSequenceNumbers: [UInt16] {
        var result: [UInt16] = []
        result.reserveCapacity(items.count * 2)
        forEachLostSequenceNumber { result.append($0) }
        return result
    }

    /// Calls `body` for every sequence number reported lost, in FCI order, without allocating.
    @inlinable
    public func forEachLostSequenceNumber(_ body: (UInt16) throws -> Void) rethrows {
        for item in items {
            try body(item.packetID)
            var mask = item.lostBitmask
            var bit: UInt16 = 1
            while mask != 0 {
                if mask & 1 != 0 { try body(item.packetID &+ bit) }
                mask >>= 1
                bit &+= 1
            }
        }
    }

    init(view: RTCPPacketView) throws(RTCPParseError) {
        var reader = RTCPBodyReader(view)
        try reader.require(8)
        senderSSRC = try reader.read(UInt32.self)
        mediaSSRC = try reader.read(UInt32.self)
        guard reader.remaining >= 4, reader.remaining % 4 == 0 else {
            throw .invalidFeedbackLength(
                packetType: view.packetType,
                format: view.countOrFormat,
                length: reader.remaining
            )
        }
        var items: [Item] = []
        items.reserveCapacity(reader.remaining / 4)
        while reader.remaining >= 4 {
            let pid = try reader.read(UInt16.self)
            let blp = try reader.read(UInt16.self)
            items.append(Item(packetID: pid, lostBitmask: blp))
        }
        self.items = items
    }

    /// Writes this packet.
    public func write(to buffer: inout ByteBuffer) throws(RTCPSerializationError) {
        guard !items.isEmpty else { throw .emptyFeedback }
        let start = buffer.beginRTCPPacket(countOrFormat: Self.format, packetType: RTCPPacketType.transportFeedback)
        buffer.writeInteger(senderSSRC)
        buffer.writeInteger(mediaSSRC)
        for item in items {
            buffer.writeInteger(item.packetID)
            buffer.writeInteger(item.lostBitmask)
        }
        try buffer.finishRTCPPacket(start: start)
    }
}
