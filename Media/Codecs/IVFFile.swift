/// The 32-byte header of an IVF file (the libvpx test container; layout as written by `vpxenc` and read by
/// FFmpeg): `DKIF`, version 0, header size 32, FourCC, width, height, time base (rate / scale), frame count.
public struct IVFHeader: Sendable, Hashable {
    /// The codec FourCC, "VP80" for VP8.
    public var fourCC: String
    public var width: Int
    public var height: Int
    /// Time base denominator: timestamps count 1/`timebaseRate` × `timebaseScale` seconds.
    public var timebaseRate: UInt32
    /// Time base numerator.
    public var timebaseScale: UInt32
    /// Frames in the file as the header states it (writers patch it at the end; readers do not rely on it).
    public var frameCount: UInt32

    public init(fourCC: String = "VP80", width: Int, height: Int, timebaseRate: UInt32 = 90_000,
                timebaseScale: UInt32 = 1, frameCount: UInt32 = 0) {
        self.fourCC = fourCC
        self.width = width
        self.height = height
        self.timebaseRate = timebaseRate
        self.timebaseScale = timebaseScale
        self.frameCount = frameCount
    }

    static let size = 32
}

/// One frame of an IVF file.
public struct IVFFrame: Sendable, Hashable {
    /// The presentation timestamp in the file's time base.
    public var timestamp: UInt64
    /// The encoded frame (for VP8, RFC 6386 bitstream).
    public var data: [UInt8]

    public init(timestamp: UInt64, data: [UInt8]) {
        self.timestamp = timestamp
        self.data = data
    }
}

/// Writes an IVF file into memory: the header first, then a 12-byte header (size, timestamp) before each frame.
/// ``finish()`` patches the frame count. Used for recordings (`meetclient join --record`) and fixture clips.
public struct IVFWriter: Sendable {
    /// The file so far.
    public private(set) var bytes: [UInt8] = []
    public private(set) var frameCount: UInt32 = 0
    private var headerTaken = false

    public init(header: IVFHeader) {
        bytes.reserveCapacity(4_096)
        bytes.appendASCII("DKIF")
        bytes.appendLittleEndian(UInt16(0))
        bytes.appendLittleEndian(UInt16(IVFHeader.size))
        var fourCC = Array(header.fourCC.utf8.prefix(4))
        while fourCC.count < 4 { fourCC.append(0x20) }
        bytes.append(contentsOf: fourCC)
        bytes.appendLittleEndian(UInt16(clamping: header.width))
        bytes.appendLittleEndian(UInt16(clamping: header.height))
        bytes.appendLittleEndian(header.timebaseRate)
        bytes.appendLittleEndian(header.timebaseScale)
        bytes.appendLittleEndian(UInt32(0))
        bytes.appendLittleEndian(UInt32(0))
    }

    /// Appends one frame.
    public mutating func append(frame: some Collection<UInt8>, timestamp: UInt64) {
        bytes.appendLittleEndian(UInt32(clamping: frame.count))
        bytes.appendLittleEndian(timestamp)
        bytes.append(contentsOf: frame)
        frameCount += 1
        if !headerTaken { bytes.setLittleEndian(frameCount, at: 24) }
    }

    /// Takes the bytes written so far (for streaming to a file), keeping the frame count. The header's frame count
    /// in already-taken bytes is not patched afterwards.
    public mutating func takeBytes() -> [UInt8] {
        defer {
            bytes.removeAll(keepingCapacity: true)
            headerTaken = true
        }
        return bytes
    }
}

/// Reads an IVF file from memory. Malformed input gives a ``CodecError`` with the offset, never a trap.
public struct IVFReader: Sendable {
    public let header: IVFHeader
    private let bytes: [UInt8]
    private var offset: Int

    /// Parses the header.
    /// - Throws: ``CodecError/truncated(format:offset:needed:)`` or ``CodecError/malformed(format:offset:reason:)``
    ///   for a missing `DKIF` signature, a version other than 0 or a header length below 32.
    public init(bytes: [UInt8]) throws(CodecError) {
        var reader = LittleEndianReader(bytes, format: "IVF")
        guard Array(try reader.read(4)) == Array("DKIF".utf8) else {
            throw .malformed(format: "IVF", offset: 0, reason: "signature is not DKIF")
        }
        let version = try reader.readUInt16()
        guard version == 0 else { throw .malformed(format: "IVF", offset: 4, reason: "version \(version) is not 0") }
        let headerSize = Int(try reader.readUInt16())
        guard headerSize >= IVFHeader.size else {
            throw .malformed(format: "IVF", offset: 6, reason: "header length \(headerSize) is below 32")
        }
        let fourCC = String(decoding: try reader.read(4), as: UTF8.self)
        let width = Int(try reader.readUInt16())
        let height = Int(try reader.readUInt16())
        let rate = try reader.readUInt32()
        let scale = try reader.readUInt32()
        let count = try reader.readUInt32()
        _ = try reader.readUInt32()
        try reader.skip(headerSize - IVFHeader.size)
        header = IVFHeader(fourCC: fourCC, width: width, height: height, timebaseRate: rate, timebaseScale: scale,
                           frameCount: count)
        self.bytes = bytes
        offset = reader.offset
    }

    /// The next frame, or nil at the end of the file.
    /// - Throws: ``CodecError/truncated(format:offset:needed:)`` when a frame header or its data is cut short.
    public mutating func nextFrame() throws(CodecError) -> IVFFrame? {
        guard offset < bytes.count else { return nil }
        var reader = LittleEndianReader(bytes, format: "IVF", offset: offset)
        let size = Int(try reader.readUInt32())
        let timestamp = try reader.readUInt64()
        let data = Array(try reader.read(size))
        offset = reader.offset
        return IVFFrame(timestamp: timestamp, data: data)
    }

    /// Every remaining frame.
    public mutating func readAllFrames() throws(CodecError) -> [IVFFrame] {
        var frames: [IVFFrame] = []
        while let frame = try nextFrame() { frames.append(frame) }
        return frames
    }
}
