/// Bounds-checked little-endian reads over a byte array, for the container readers: every read either returns a
/// value or throws ``CodecError/truncated(format:offset:needed:)`` naming the format and offset — never traps.
struct LittleEndianReader {
    let bytes: [UInt8]
    let format: String
    private(set) var offset: Int

    init(_ bytes: [UInt8], format: String, offset: Int = 0) {
        self.bytes = bytes
        self.format = format
        self.offset = offset
    }

    var remaining: Int { max(0, bytes.count - offset) }

    func require(_ count: Int) throws(CodecError) {
        guard count >= 0, remaining >= count else {
            throw .truncated(format: format, offset: bytes.count, needed: count - remaining)
        }
    }

    mutating func skip(_ count: Int) throws(CodecError) {
        try require(count)
        offset += count
    }

    mutating func read(_ count: Int) throws(CodecError) -> ArraySlice<UInt8> {
        try require(count)
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func readUInt8() throws(CodecError) -> UInt8 {
        try require(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readUInt16() throws(CodecError) -> UInt16 {
        try require(2)
        defer { offset += 2 }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    mutating func readUInt32() throws(CodecError) -> UInt32 {
        try require(4)
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[offset + index]) << (8 * index) }
        offset += 4
        return value
    }

    mutating func readUInt64() throws(CodecError) -> UInt64 {
        try require(8)
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[offset + index]) << (8 * index) }
        offset += 8
        return value
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        var value = value.littleEndian
        Swift.withUnsafeBytes(of: &value) { append(contentsOf: $0) }
    }

    mutating func setLittleEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        var value = value.littleEndian
        Swift.withUnsafeBytes(of: &value) { raw in
            for (index, byte) in raw.enumerated() where offset + index < count { self[offset + index] = byte }
        }
    }

    mutating func appendASCII(_ text: String) {
        append(contentsOf: text.utf8)
    }
}
