/// A PCM16 WAV file (RIFF `WAVE` with a `fmt ` chunk of format 1 and a `data` chunk), read and written in memory.
/// Used for `meetclient join --audio-file` and to inspect decoded audio in other tools.
public struct WAVFile: Sendable, Hashable {
    public var sampleRate: Int
    public var channels: Int
    /// Interleaved samples.
    public var samples: [Int16]

    public init(sampleRate: Int = 48_000, channels: Int = 1, samples: [Int16]) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.samples = samples
    }

    /// The file's bytes: a 44-byte header and the samples, little-endian.
    public func serialized() -> [UInt8] {
        let dataSize = samples.count * 2
        var bytes: [UInt8] = []
        bytes.reserveCapacity(44 + dataSize)
        bytes.appendASCII("RIFF")
        bytes.appendLittleEndian(UInt32(clamping: 36 + dataSize))
        bytes.appendASCII("WAVEfmt ")
        bytes.appendLittleEndian(UInt32(16))
        bytes.appendLittleEndian(UInt16(1))
        bytes.appendLittleEndian(UInt16(clamping: channels))
        bytes.appendLittleEndian(UInt32(clamping: sampleRate))
        bytes.appendLittleEndian(UInt32(clamping: sampleRate * channels * 2))
        bytes.appendLittleEndian(UInt16(clamping: channels * 2))
        bytes.appendLittleEndian(UInt16(16))
        bytes.appendASCII("data")
        bytes.appendLittleEndian(UInt32(clamping: dataSize))
        for sample in samples { bytes.appendLittleEndian(sample) }
        return bytes
    }

    /// Parses a WAV file: walks the RIFF chunks (skipping unknown ones, honouring the pad byte of odd sizes), takes
    /// the first `fmt ` and `data` chunks.
    /// - Throws: ``CodecError/unsupported(format:reason:)`` for anything but 16-bit integer PCM (format 1, or
    ///   WAVE_FORMAT_EXTENSIBLE with the PCM sub-format); ``CodecError/malformed(format:offset:reason:)`` or
    ///   ``CodecError/truncated(format:offset:needed:)`` for broken structure.
    public init(bytes: [UInt8]) throws(CodecError) {
        var reader = LittleEndianReader(bytes, format: "WAV")
        guard Array(try reader.read(4)) == Array("RIFF".utf8) else {
            throw .malformed(format: "WAV", offset: 0, reason: "not a RIFF file")
        }
        _ = try reader.readUInt32()
        guard Array(try reader.read(4)) == Array("WAVE".utf8) else {
            throw .malformed(format: "WAV", offset: 8, reason: "RIFF form type is not WAVE")
        }
        var format: (channels: Int, rate: Int)?
        var data: ArraySlice<UInt8>?
        while reader.remaining >= 8, data == nil || format == nil {
            let chunkOffset = reader.offset
            let identifier = Array(try reader.read(4))
            let size = Int(try reader.readUInt32())
            // A data chunk may claim more than the file holds (streams written before their end): take what is there.
            let available = min(size, reader.remaining)
            if identifier == Array("fmt ".utf8) {
                guard size >= 16 else {
                    throw .malformed(format: "WAV", offset: chunkOffset, reason: "fmt chunk of \(size) bytes")
                }
                var fmt = LittleEndianReader(Array(try reader.read(size)), format: "WAV")
                let tag = try fmt.readUInt16()
                let channels = Int(try fmt.readUInt16())
                let rate = Int(try fmt.readUInt32())
                try fmt.skip(6)
                let bits = try fmt.readUInt16()
                var isPCM = tag == 1
                if tag == 0xFFFE, size >= 40 {
                    try fmt.skip(8)
                    isPCM = try fmt.readUInt16() == 1
                }
                guard isPCM, bits == 16 else {
                    throw .unsupported(format: "WAV", reason: "format tag \(tag) with \(bits) bits (only 16-bit PCM)")
                }
                guard channels > 0, rate > 0 else {
                    throw .malformed(format: "WAV", offset: chunkOffset, reason: "\(channels) channels at \(rate) Hz")
                }
                format = (channels, rate)
            } else if identifier == Array("data".utf8) {
                data = try reader.read(available)
            } else {
                try reader.skip(available)
            }
            if size % 2 == 1, reader.remaining > 0 { try reader.skip(1) }
        }
        guard let format else { throw .malformed(format: "WAV", offset: bytes.count, reason: "no fmt chunk") }
        guard let data else { throw .malformed(format: "WAV", offset: bytes.count, reason: "no data chunk") }
        sampleRate = format.rate
        channels = format.channels
        var samples: [Int16] = []
        samples.reserveCapacity(data.count / 2)
        var index = data.startIndex
        while index + 1 < data.endIndex {
            samples.append(Int16(bitPattern: UInt16(data[index]) | UInt16(data[index + 1]) << 8))
            index += 2
        }
        self.samples = samples
    }
}
