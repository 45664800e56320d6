import NIOCore

/// A source description packet, type 202 (RFC 3550 §6.5): chunks of items per SSRC/CSRC.
public struct RTCPSourceDescription: Sendable, Hashable {
    /// One SDES item: a type and up to 255 bytes of value (UTF-8 text for the standard types).
    public struct Item: Sendable, Hashable {
        public var type: UInt8
        public var value: [UInt8]

        public init(type: UInt8, value: [UInt8]) {
            self.type = type
            self.value = value
        }

        /// An item with a text value.
        public init(type: UInt8, text: String) {
            self.init(type: type, value: Array(text.utf8))
        }

        /// The value decoded as UTF-8.
        public var text: String { String(decoding: value, as: UTF8.self) }

        /// Canonical end-point identifier (RFC 3550 §6.5.1).
        public static let cname: UInt8 = 1
        public static let name: UInt8 = 2
        public static let email: UInt8 = 3
        public static let phone: UInt8 = 4
        public static let location: UInt8 = 5
        public static let tool: UInt8 = 6
        public static let note: UInt8 = 7
        /// Private extensions (RFC 3550 §6.5.8): the value holds prefix length, prefix and value.
        public static let priv: UInt8 = 8
    }

    /// The items describing one source.
    public struct Chunk: Sendable, Hashable {
        public var ssrc: UInt32
        public var items: [Item]

        public init(ssrc: UInt32, items: [Item]) {
            self.ssrc = ssrc
            self.items = items
        }

        /// The CNAME item's text, if present.
        public var cname: String? { items.first(where: { $0.type == Item.cname })?.text }
    }

    /// Up to 31 chunks.
    public var chunks: [Chunk]

    public init(chunks: [Chunk]) { self.chunks = chunks }

    init(view: RTCPPacketView) throws(RTCPParseError) {
        var reader = RTCPBodyReader(view)
        let bodyStart = view.bodyRange.lowerBound
        var chunks: [Chunk] = []
        chunks.reserveCapacity(Int(view.countOrFormat))
        for _ in 0..<view.countOrFormat {
            guard reader.remaining >= 4 else { throw .malformedSourceDescription }
            let ssrc = try reader.read(UInt32.self)
            var items: [Item] = []
            while true {
                guard reader.remaining >= 1 else { throw .malformedSourceDescription }
                let type = try reader.read(UInt8.self)
                if type == 0 {
                    // Null item ends the list; skip padding to the next 32-bit boundary.
                    let misalignment = (reader.index - bodyStart) % 4
                    if misalignment != 0 {
                        let skip = 4 - misalignment
                        guard skip <= reader.remaining else { throw .malformedSourceDescription }
                        reader.index += skip
                    }
                    break
                }
                guard reader.remaining >= 1 else { throw .malformedSourceDescription }
                let length = Int(try reader.read(UInt8.self))
                guard length <= reader.remaining else { throw .malformedSourceDescription }
                items.append(Item(type: type, value: try reader.readBytes(length)))
            }
            chunks.append(Chunk(ssrc: ssrc, items: items))
        }
        self.chunks = chunks
    }

    /// Writes this packet: each chunk's items end with one to four null bytes up to a 32-bit boundary
    /// (RFC 3550 §6.5).
    public func write(to buffer: inout ByteBuffer) throws(RTCPSerializationError) {
        guard chunks.count <= 31 else { throw .countTooLarge(chunks.count) }
        for chunk in chunks {
            for item in chunk.items where item.value.count > 255 { throw .textTooLong(item.value.count) }
        }
        let start = buffer.beginRTCPPacket(
            countOrFormat: UInt8(truncatingIfNeeded: chunks.count),
            packetType: RTCPPacketType.sourceDescription
        )
        for chunk in chunks {
            buffer.writeInteger(chunk.ssrc)
            var written = 0
            for item in chunk.items {
                buffer.writeInteger(item.type)
                buffer.writeInteger(UInt8(truncatingIfNeeded: item.value.count))
                buffer.writeBytes(item.value)
                written += 2 + item.value.count
            }
            buffer.writeRepeatingByte(0, count: 4 - written % 4)
        }
        try buffer.finishRTCPPacket(start: start)
    }
}
