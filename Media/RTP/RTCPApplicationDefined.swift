import NIOCore

/// An application-defined packet, type 204 (RFC 3550 §6.7).
public struct RTCPApplicationDefined: Sendable, Hashable {
    /// The 5-bit subtype.
    public var subtype: UInt8
    public var ssrc: UInt32
    /// The four ASCII characters of the name, big-endian.
    public var name: UInt32
    /// Application-dependent data, a multiple of 4 bytes.
    public var data: [UInt8]

    public init(subtype: UInt8, ssrc: UInt32, name: UInt32, data: [UInt8] = []) {
        self.subtype = subtype
        self.ssrc = ssrc
        self.name = name
        self.data = data
    }

    /// A packet whose name is given as four ASCII characters; extra characters are dropped and missing ones
    /// are spaces.
    public init(subtype: UInt8, ssrc: UInt32, name text: String, data: [UInt8] = []) {
        var name: UInt32 = 0
        var bytes = Array(text.utf8.prefix(4))
        while bytes.count < 4 { bytes.append(0x20) }
        for byte in bytes { name = name << 8 | UInt32(byte) }
        self.init(subtype: subtype, ssrc: ssrc, name: name, data: data)
    }

    /// The name as text.
    public var nameText: String {
        String(decoding: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: name >> $0) }, as: UTF8.self)
    }

    init(view: RTCPPacketView) throws(RTCPParseError) {
        var reader = RTCPBodyReader(view)
        try reader.require(8)
        subtype = view.countOrFormat
        ssrc = try reader.read(UInt32.self)
        name = try reader.read(UInt32.self)
        data = reader.readRest()
    }

    /// Writes this packet (RFC 3550 §6.7).
    public func write(to buffer: inout ByteBuffer) throws(RTCPSerializationError) {
        guard subtype <= 31 else { throw .subtypeOutOfRange(subtype) }
        guard data.count % 4 == 0 else { throw .unalignedData(data.count) }
        let start = buffer.beginRTCPPacket(countOrFormat: subtype, packetType: RTCPPacketType.applicationDefined)
        buffer.writeInteger(ssrc)
        buffer.writeInteger(name)
        buffer.writeBytes(data)
        try buffer.finishRTCPPacket(start: start)
    }
}
