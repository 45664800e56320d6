/// The CRC-32 of Ogg pages (RFC 3533 §6): polynomial 0x04C11DB7, initial value 0, no reflection, no final XOR,
/// computed over the whole page with the checksum field set to zero.
enum OggCRC32 {
    static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index) << 24
        for _ in 0..<8 { value = value & 0x8000_0000 != 0 ? (value << 1) ^ 0x04C1_1DB7 : value << 1 }
        return value
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { update(0, with: $0) }
    }

    /// Continues `crc` over `bytes`. Works on raw memory so that unoptimised (fuzzing) builds stay fast too.
    static func update(_ crc: UInt32, with bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = crc
        table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = (crc << 8) ^ table[Int(((crc >> 24) ^ UInt32(byte)) & 0xFF)] }
        }
        return crc
    }

    /// The CRC of the page at `start..<end` of `bytes` with its checksum field (bytes 22..<26) taken as zero.
    /// The caller guarantees `start + 26 <= end <= bytes.count`.
    static func pageChecksum(_ bytes: [UInt8], start: Int, end: Int) -> UInt32 {
        bytes.withUnsafeBytes { raw in
            var crc = update(0, with: UnsafeRawBufferPointer(rebasing: raw[start..<(start + 22)]))
            withUnsafeBytes(of: UInt32(0)) { zero in crc = update(crc, with: zero) }
            return update(crc, with: UnsafeRawBufferPointer(rebasing: raw[(start + 26)..<end]))
        }
    }
}

/// One Ogg page (RFC 3533 §6): a 27-byte header (`OggS`, version 0, flags, granule position, stream serial number,
/// page sequence number, CRC-32, segment count), the lacing values, then the data.
public struct OggPage: Sendable, Hashable {
    /// header_type 0x01: the page's first packet continues one from the previous page.
    public var isContinuation: Bool
    /// header_type 0x02: the first page of a logical stream.
    public var isBeginningOfStream: Bool
    /// header_type 0x04: the last page of a logical stream.
    public var isEndOfStream: Bool
    /// For Opus: the sample count (48 kHz) at the end of the last packet completed on this page (RFC 7845 §4);
    /// -1 when no packet ends on the page.
    public var granulePosition: Int64
    public var serialNumber: UInt32
    public var sequenceNumber: UInt32
    /// Lacing values: each packet is a run of 255s ended by a value below 255 (RFC 3533 §6).
    public var segmentTable: [UInt8]
    public var data: [UInt8]

    public init(
        isContinuation: Bool, isBeginningOfStream: Bool, isEndOfStream: Bool, granulePosition: Int64,
        serialNumber: UInt32, sequenceNumber: UInt32, segmentTable: [UInt8], data: [UInt8]
    ) {
        self.isContinuation = isContinuation
        self.isBeginningOfStream = isBeginningOfStream
        self.isEndOfStream = isEndOfStream
        self.granulePosition = granulePosition
        self.serialNumber = serialNumber
        self.sequenceNumber = sequenceNumber
        self.segmentTable = segmentTable
        self.data = data
    }

    /// Serializes the page with its CRC-32.
    public func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(27 + segmentTable.count + data.count)
        bytes.appendASCII("OggS")
        bytes.append(0)
        var flags: UInt8 = 0
        if isContinuation { flags |= 0x01 }
        if isBeginningOfStream { flags |= 0x02 }
        if isEndOfStream { flags |= 0x04 }
        bytes.append(flags)
        bytes.appendLittleEndian(granulePosition)
        bytes.appendLittleEndian(serialNumber)
        bytes.appendLittleEndian(sequenceNumber)
        bytes.appendLittleEndian(UInt32(0))
        bytes.append(UInt8(clamping: segmentTable.count))
        bytes.append(contentsOf: segmentTable)
        bytes.append(contentsOf: data)
        bytes.setLittleEndian(OggCRC32.checksum(bytes), at: 22)
        return bytes
    }

    /// Parses the page starting at `offset` of `bytes`, checking the capture pattern, version and CRC-32.
    /// - Returns: the page and the offset just after it.
    public static func parse(_ bytes: [UInt8], at offset: Int) throws(CodecError) -> (page: OggPage, end: Int) {
        guard offset >= 0, offset <= bytes.count else {
            throw .malformed(format: "Ogg", offset: offset, reason: "page offset is outside the data")
        }
        var reader = LittleEndianReader(bytes, format: "Ogg", offset: offset)
        guard Array(try reader.read(4)) == Array("OggS".utf8) else {
            throw .malformed(format: "Ogg", offset: offset, reason: "capture pattern is not OggS")
        }
        let version = try reader.readUInt8()
        guard version == 0 else {
            throw .malformed(format: "Ogg", offset: offset + 4, reason: "stream structure version \(version) is not 0")
        }
        let flags = try reader.readUInt8()
        let granule = Int64(bitPattern: try reader.readUInt64())
        let serial = try reader.readUInt32()
        let sequence = try reader.readUInt32()
        let checksum = try reader.readUInt32()
        let segmentCount = Int(try reader.readUInt8())
        let table = Array(try reader.read(segmentCount))
        let dataSize = table.reduce(0) { $0 + Int($1) }
        let data = Array(try reader.read(dataSize))
        guard OggCRC32.pageChecksum(bytes, start: offset, end: reader.offset) == checksum else {
            throw .oggChecksumMismatch(pageSequence: sequence, offset: offset)
        }
        let page = OggPage(
            isContinuation: flags & 0x01 != 0, isBeginningOfStream: flags & 0x02 != 0,
            isEndOfStream: flags & 0x04 != 0, granulePosition: granule, serialNumber: serial,
            sequenceNumber: sequence, segmentTable: table, data: data)
        return (page, reader.offset)
    }
}
