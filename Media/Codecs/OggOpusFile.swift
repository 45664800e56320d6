/// The identification header of an Ogg Opus stream (RFC 7845 §5.1), the first packet, alone on the first page.
public struct OpusHead: Sendable, Hashable {
    /// 1 or 2 (channel mapping family 0, the only one we read and write).
    public var channels: Int
    /// Samples (48 kHz) to discard from the decoder's output at the start: the encoder's look-ahead.
    public var preSkip: UInt16
    /// The sample rate of the encoder's input, informational.
    public var inputSampleRate: UInt32
    /// Gain to apply on output, Q7.8 dB.
    public var outputGain: Int16

    /// libopus's look-ahead at 48 kHz with the default settings (`OPUS_GET_LOOKAHEAD` answers 312).
    public static let libopusPreSkip: UInt16 = 312

    public init(channels: Int, preSkip: UInt16 = OpusHead.libopusPreSkip, inputSampleRate: UInt32 = 48_000,
                outputGain: Int16 = 0) {
        self.channels = channels
        self.preSkip = preSkip
        self.inputSampleRate = inputSampleRate
        self.outputGain = outputGain
    }

    func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendASCII("OpusHead")
        bytes.append(1)
        bytes.append(UInt8(clamping: channels))
        bytes.appendLittleEndian(preSkip)
        bytes.appendLittleEndian(inputSampleRate)
        bytes.appendLittleEndian(outputGain)
        bytes.append(0)
        return bytes
    }

    init(parsing packet: [UInt8], offset: Int) throws(CodecError) {
        var reader = LittleEndianReader(packet, format: "Ogg Opus")
        guard packet.starts(with: Array("OpusHead".utf8)) else {
            throw .malformed(format: "Ogg Opus", offset: offset, reason: "first packet is not OpusHead (RFC 7845 §5.1)")
        }
        try reader.skip(8)
        let version = try reader.readUInt8()
        guard version >> 4 == 0 else {
            throw .unsupported(format: "Ogg Opus", reason: "OpusHead major version \(version >> 4)")
        }
        channels = Int(try reader.readUInt8())
        preSkip = try reader.readUInt16()
        inputSampleRate = try reader.readUInt32()
        outputGain = Int16(bitPattern: try reader.readUInt16())
        let family = try reader.readUInt8()
        guard family == 0 else {
            throw .unsupported(format: "Ogg Opus", reason: "channel mapping family \(family) (only 0 is read)")
        }
        guard channels == 1 || channels == 2 else {
            throw .malformed(format: "Ogg Opus", offset: offset + 9,
                             reason: "mapping family 0 needs 1 or 2 channels, not \(channels)")
        }
    }
}

/// The comment header of an Ogg Opus stream (RFC 7845 §5.2): vendor string and `NAME=value` comments.
public struct OpusTags: Sendable, Hashable {
    public var vendor: String
    public var comments: [String]

    public init(vendor: String = "Meeting", comments: [String] = []) {
        self.vendor = vendor
        self.comments = comments
    }

    func serialized() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendASCII("OpusTags")
        bytes.appendLittleEndian(UInt32(vendor.utf8.count))
        bytes.appendASCII(vendor)
        bytes.appendLittleEndian(UInt32(comments.count))
        for comment in comments {
            bytes.appendLittleEndian(UInt32(comment.utf8.count))
            bytes.appendASCII(comment)
        }
        return bytes
    }

    init(parsing packet: [UInt8], offset: Int) throws(CodecError) {
        guard packet.starts(with: Array("OpusTags".utf8)) else {
            throw .malformed(format: "Ogg Opus", offset: offset, reason: "second packet is not OpusTags (RFC 7845 §5.2)")
        }
        var reader = LittleEndianReader(packet, format: "Ogg Opus", offset: 8)
        let vendorLength = Int(try reader.readUInt32())
        vendor = String(decoding: try reader.read(vendorLength), as: UTF8.self)
        let count = Int(try reader.readUInt32())
        // Each comment needs at least its 4-byte length: bound the count by what the packet can hold.
        guard count <= reader.remaining / 4 else {
            throw .truncated(format: "Ogg Opus", offset: offset + packet.count, needed: count * 4 - reader.remaining)
        }
        comments = []
        for _ in 0..<count {
            let length = Int(try reader.readUInt32())
            comments.append(String(decoding: try reader.read(length), as: UTF8.self))
        }
    }
}

/// Writes an Ogg Opus stream (RFC 7845 on RFC 3533) into memory: OpusHead on the first page (BOS), OpusTags on the
/// second, then audio packets, a page per second of audio, each page's granule position the 48 kHz sample count
/// at the end of its last packet; ``finish()`` writes the last page with EOS. Used to record received Opus without
/// re-encoding and to make fixture clips.
public struct OggOpusWriter: Sendable {
    /// Pages written so far.
    public private(set) var bytes: [UInt8] = []
    public let serialNumber: UInt32
    private var sequenceNumber: UInt32 = 0
    private var granulePosition: Int64 = 0
    private var pendingSegments: [UInt8] = []
    private var pendingData: [UInt8] = []
    private var pendingSamples = 0
    private var finished = false

    /// Samples (48 kHz) of audio per page before it is flushed.
    public static let samplesPerPage = 48_000

    public init(head: OpusHead, tags: OpusTags = OpusTags(), serialNumber: UInt32 = 0x4D45_4554) {
        self.serialNumber = serialNumber
        writePage(packetSegments: Self.lacing(head.serialized().count), data: head.serialized(), granule: 0,
                  beginning: true, end: false)
        let tags = tags.serialized()
        writePage(packetSegments: Self.lacing(tags.count), data: tags, granule: 0, beginning: false, end: false)
    }

    /// Appends one Opus packet lasting `samplesPerChannel` samples at 48 kHz (960 for 20 ms).
    /// - Throws: ``CodecError/invalidConfiguration(_:)`` for a packet that cannot be laced into one page
    ///   (> 255 × 255 − 1 bytes; Opus packets are at most 1275 × 6 bytes) or after ``finish()``.
    public mutating func append(packet: some Collection<UInt8>, samplesPerChannel: Int = OpusFormat.samplesPerFrame)
        throws(CodecError)
    {
        guard !finished else { throw .invalidConfiguration("Ogg Opus stream already finished") }
        let lacing = Self.lacing(packet.count)
        guard lacing.count <= 255 else {
            throw .invalidConfiguration("Opus packet of \(packet.count) bytes is too large for an Ogg page")
        }
        if pendingSegments.count + lacing.count > 255 { flush(end: false) }
        pendingSegments.append(contentsOf: lacing)
        pendingData.append(contentsOf: packet)
        granulePosition += Int64(samplesPerChannel)
        pendingSamples += samplesPerChannel
        if pendingSamples >= Self.samplesPerPage { flush(end: false) }
    }

    /// Writes the last page with the EOS flag (an empty one if no packet is pending).
    public mutating func finish() {
        guard !finished else { return }
        flush(end: true)
        finished = true
    }

    /// Takes the bytes written so far, for streaming to a file.
    public mutating func takeBytes() -> [UInt8] {
        defer { bytes.removeAll(keepingCapacity: true) }
        return bytes
    }

    private mutating func flush(end: Bool) {
        guard !pendingSegments.isEmpty || end else { return }
        writePage(packetSegments: pendingSegments, data: pendingData, granule: granulePosition, beginning: false,
                  end: end)
        pendingSegments.removeAll(keepingCapacity: true)
        pendingData.removeAll(keepingCapacity: true)
        pendingSamples = 0
    }

    private mutating func writePage(packetSegments: [UInt8], data: [UInt8], granule: Int64, beginning: Bool, end: Bool) {
        let page = OggPage(
            isContinuation: false, isBeginningOfStream: beginning, isEndOfStream: end, granulePosition: granule,
            serialNumber: serialNumber, sequenceNumber: sequenceNumber, segmentTable: packetSegments, data: data)
        bytes.append(contentsOf: page.serialized())
        sequenceNumber &+= 1
    }

    /// RFC 3533 §6 lacing: 255 for each full 255 bytes, then the remainder (0 if the size is a multiple of 255).
    static func lacing(_ size: Int) -> [UInt8] {
        Array(repeating: 255, count: size / 255) + [UInt8(size % 255)]
    }
}

/// An Ogg Opus stream read from memory (RFC 7845): its headers and audio packets.
public struct OggOpusFile: Sendable, Hashable {
    public var head: OpusHead
    public var tags: OpusTags
    /// The audio packets in order.
    public var packets: [[UInt8]]
    /// The granule position of the last page: 48 kHz samples decoded from the stream, pre-skip included.
    public var finalGranulePosition: Int64
    /// Whether the last page carried the EOS flag (a recording cut short lacks it).
    public var hasEndOfStream: Bool

    /// Playback length in 48 kHz samples: the final granule position minus pre-skip (RFC 7845 §4).
    public var durationSamples: Int64 { max(0, finalGranulePosition - Int64(head.preSkip)) }

    /// Parses a whole single-stream Ogg Opus file.
    /// - Throws: a ``CodecError`` naming the offset for a bad page (capture pattern, version, CRC-32, truncation),
    ///   a page from another logical stream, a page sequence gap, a continuation that does not continue anything,
    ///   or missing/malformed OpusHead and OpusTags.
    public init(bytes: [UInt8]) throws(CodecError) {
        var offset = 0
        var serial: UInt32?
        var expectedSequence: UInt32 = 0
        var packets: [[UInt8]] = []
        var packetOffsets: [Int] = []
        var current: [UInt8]?
        var lastGranule: Int64 = 0
        var endOfStream = false
        while offset < bytes.count {
            guard !endOfStream else {
                throw .unsupported(format: "Ogg", reason: "data after the end of stream at byte \(offset) (chained streams)")
            }
            let (page, end) = try OggPage.parse(bytes, at: offset)
            if let serial {
                guard page.serialNumber == serial else {
                    throw .unsupported(format: "Ogg", reason: "a second logical stream (serial \(page.serialNumber))")
                }
                guard page.sequenceNumber == expectedSequence else {
                    throw .malformed(format: "Ogg", offset: offset,
                                     reason: "page sequence \(page.sequenceNumber) where \(expectedSequence) was expected")
                }
            } else {
                guard page.isBeginningOfStream else {
                    throw .malformed(format: "Ogg", offset: offset, reason: "first page lacks the beginning-of-stream flag")
                }
                serial = page.serialNumber
                expectedSequence = page.sequenceNumber
            }
            expectedSequence = page.sequenceNumber &+ 1
            if page.isContinuation != (current != nil) {
                throw .malformed(format: "Ogg", offset: offset,
                                 reason: page.isContinuation ? "continued page with no packet to continue"
                                     : "packet left unfinished by the previous page")
            }
            var dataOffset = 0
            for lacing in page.segmentTable {
                let length = Int(lacing)
                // Take the unfinished packet out of `current` so that appending does not copy it per segment.
                if current == nil { packetOffsets.append(offset) }
                var packet = current.take() ?? []
                packet.append(contentsOf: page.data[dataOffset..<(dataOffset + length)])
                dataOffset += length
                if lacing < 255 {
                    packets.append(packet)
                    current = nil
                } else {
                    current = packet
                }
            }
            if page.granulePosition != -1 { lastGranule = page.granulePosition }
            endOfStream = page.isEndOfStream
            offset = end
        }
        guard packets.count >= 2 else {
            throw .truncated(format: "Ogg Opus", offset: bytes.count, needed: 1)
        }
        head = try OpusHead(parsing: packets[0], offset: packetOffsets[0])
        tags = try OpusTags(parsing: packets[1], offset: packetOffsets[1])
        self.packets = Array(packets.dropFirst(2))
        finalGranulePosition = lastGranule
        hasEndOfStream = endOfStream
    }
}
