import NIOCore

/// Transport-wide congestion control feedback: transport-layer feedback (PT 205) format 15
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).
///
/// Reports, for a range of transport-wide sequence numbers starting at ``baseSequenceNumber``, whether each
/// packet arrived and the arrival time deltas, as a list of packet status chunks followed by receive deltas.
/// The chunks are kept as received so a parsed packet re-serializes byte for byte; ``packetResults`` expands them.
public struct TransportCCFeedback: Sendable, Hashable {
    /// The feedback format number.
    public static let format: UInt8 = 15
    /// Receive deltas count in units of 250 µs (§3.1.5).
    public static let deltaTickMicroseconds: Int64 = 250
    /// The reference time counts in units of 64 ms (§3.1).
    public static let referenceTimeTickMicroseconds: Int64 = 64_000

    /// A packet status symbol (§3.1.1).
    public enum Status: UInt8, Sendable, Hashable {
        /// 00: packet not received.
        case notReceived = 0
        /// 01: packet received, small (1-byte, 0...63.75 ms) delta.
        case receivedSmallDelta = 1
        /// 10: packet received, large or negative (2-byte signed) delta.
        case receivedLargeDelta = 2
    }

    /// A packet status chunk (§3.1.3, §3.1.4).
    public enum PacketChunk: Sendable, Hashable {
        /// A run of `length` (0...8191) packets with the same status.
        case runLength(Status, length: UInt16)
        /// A 1-bit status vector: 14 symbols, most significant first; 0 = not received, 1 = small delta.
        case oneBitVector(bits: UInt16)
        /// A 2-bit status vector: 7 symbols of 2 bits, most significant first.
        case twoBitVector(bits: UInt16)

        /// The number of statuses the chunk can describe.
        public var capacity: Int {
            switch self {
            case .runLength(_, let length): return Int(length)
            case .oneBitVector: return 14
            case .twoBitVector: return 7
            }
        }

        /// The status at position `index` (0-based) of the chunk, nil past its capacity or for the reserved
        /// symbol 11.
        public func status(at index: Int) -> Status? {
            guard index >= 0, index < capacity else { return nil }
            switch self {
            case .runLength(let status, _):
                return status
            case .oneBitVector(let bits):
                return (bits >> (13 - index)) & 1 == 1 ? .receivedSmallDelta : .notReceived
            case .twoBitVector(let bits):
                return Status(rawValue: UInt8(truncatingIfNeeded: (bits >> (12 - 2 * index)) & 0x3))
            }
        }

        /// The 16-bit wire value.
        public var rawValue: UInt16 {
            switch self {
            case .runLength(let status, let length): return UInt16(status.rawValue) << 13 | (length & 0x1FFF)
            case .oneBitVector(let bits): return 0x8000 | (bits & 0x3FFF)
            case .twoBitVector(let bits): return 0xC000 | (bits & 0x3FFF)
            }
        }

        /// Decodes a 16-bit chunk.
        /// - Throws: ``RTCPParseError/transportCCReservedSymbol`` for a run of, or a vector holding, symbol 11.
        public init(rawValue: UInt16) throws(RTCPParseError) {
            if rawValue & 0x8000 == 0 {
                guard let status = Status(rawValue: UInt8(truncatingIfNeeded: (rawValue >> 13) & 0x3)) else {
                    throw .transportCCReservedSymbol
                }
                self = .runLength(status, length: rawValue & 0x1FFF)
            } else if rawValue & 0x4000 == 0 {
                self = .oneBitVector(bits: rawValue & 0x3FFF)
            } else {
                self = .twoBitVector(bits: rawValue & 0x3FFF)
            }
        }
    }

    /// One reported packet: its transport-wide sequence number and, when received, its receive delta in 250 µs
    /// ticks relative to the previous received packet (the first relative to the reference time).
    public struct PacketResult: Sendable, Hashable {
        public var sequenceNumber: UInt16
        public var receiveDelta: Int16?

        public init(sequenceNumber: UInt16, receiveDelta: Int16?) {
            self.sequenceNumber = sequenceNumber
            self.receiveDelta = receiveDelta
        }
    }

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    /// The transport-wide sequence number of the first packet reported.
    public var baseSequenceNumber: UInt16
    /// How many packets (received or not) the feedback covers.
    public var packetStatusCount: UInt16
    /// Signed 24-bit reference time in multiples of 64 ms.
    public var referenceTime: Int32
    /// Incremented for each feedback packet sent, to detect lost feedback.
    public var feedbackPacketCount: UInt8
    /// The packet status chunks as on the wire.
    public var chunks: [PacketChunk]
    /// One receive delta per received packet, in 250 µs ticks.
    public var receiveDeltas: [Int16]

    /// A feedback packet from its wire-level parts (no consistency check until ``write(to:)``).
    public init(
        senderSSRC: UInt32,
        mediaSSRC: UInt32,
        baseSequenceNumber: UInt16,
        packetStatusCount: UInt16,
        referenceTime: Int32,
        feedbackPacketCount: UInt8,
        chunks: [PacketChunk],
        receiveDeltas: [Int16]
    ) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.baseSequenceNumber = baseSequenceNumber
        self.packetStatusCount = packetStatusCount
        self.referenceTime = referenceTime
        self.feedbackPacketCount = feedbackPacketCount
        self.chunks = chunks
        self.receiveDeltas = receiveDeltas
    }

    /// Builds feedback for consecutive sequence numbers from `baseSequenceNumber`: `receiveDeltas[i]` is the
    /// delta of packet `base + i` in 250 µs ticks, or nil when it was not received. Chooses run-length chunks
    /// for runs, 1-bit vectors when no large delta is near, 2-bit vectors otherwise (§3.1.3, §3.1.4).
    /// At most 65535 packets are covered.
    public init(
        senderSSRC: UInt32,
        mediaSSRC: UInt32,
        baseSequenceNumber: UInt16,
        referenceTime: Int32,
        feedbackPacketCount: UInt8,
        packets: [Int16?]
    ) {
        let packets = packets.prefix(Int(UInt16.max))
        var statuses: [Status] = []
        statuses.reserveCapacity(packets.count)
        var deltas: [Int16] = []
        for delta in packets {
            guard let delta else {
                statuses.append(.notReceived)
                continue
            }
            statuses.append((0...255).contains(delta) ? .receivedSmallDelta : .receivedLargeDelta)
            deltas.append(delta)
        }
        self.init(
            senderSSRC: senderSSRC,
            mediaSSRC: mediaSSRC,
            baseSequenceNumber: baseSequenceNumber,
            packetStatusCount: UInt16(truncatingIfNeeded: statuses.count),
            referenceTime: referenceTime,
            feedbackPacketCount: feedbackPacketCount,
            chunks: Self.encodeChunks(statuses),
            receiveDeltas: deltas
        )
    }

    static func encodeChunks(_ statuses: [Status]) -> [PacketChunk] {
        var chunks: [PacketChunk] = []
        var index = 0
        let count = statuses.count
        while index < count {
            let first = statuses[index]
            var run = 1
            while index + run < count, run < 0x1FFF, statuses[index + run] == first { run += 1 }
            let window = statuses[index..<min(count, index + 14)]
            if run == count - index || run >= 14 {
                chunks.append(.runLength(first, length: UInt16(run)))
                index += run
            } else if !window.contains(.receivedLargeDelta) {
                var bits: UInt16 = 0
                for (offset, status) in window.enumerated() where status == .receivedSmallDelta {
                    bits |= 1 << (13 - offset)
                }
                chunks.append(.oneBitVector(bits: bits))
                index += window.count
            } else if run >= 7 {
                chunks.append(.runLength(first, length: UInt16(run)))
                index += run
            } else {
                var bits: UInt16 = 0
                let sevens = statuses[index..<min(count, index + 7)]
                for (offset, status) in sevens.enumerated() {
                    bits |= UInt16(status.rawValue) << (12 - 2 * offset)
                }
                chunks.append(.twoBitVector(bits: bits))
                index += sevens.count
            }
        }
        return chunks
    }

    /// Calls `body` with each of the ``packetStatusCount`` statuses in order, walking the chunks.
    /// - Returns: how many statuses the chunks covered (less than the count if they run short).
    @discardableResult
    public func forEachStatus(_ body: (Int, Status) throws -> Void) rethrows -> Int {
        try Self.walkStatuses(chunks: chunks, count: Int(packetStatusCount), body)
    }

    @discardableResult
    static func walkStatuses(chunks: [PacketChunk], count total: Int, _ body: (Int, Status) throws -> Void)
        rethrows -> Int
    {
        var produced = 0
        for chunk in chunks {
            var position = 0
            while produced < total, position < chunk.capacity {
                // A reserved symbol in a 2-bit vector (rejected by the parser) is reported as not received.
                try body(produced, chunk.status(at: position) ?? .notReceived)
                produced += 1
                position += 1
            }
            if produced >= total { break }
        }
        return produced
    }

    /// The per-packet results: sequence numbers from the base (wrapping) and their receive deltas.
    public var packetResults: [PacketResult] {
        var results: [PacketResult] = []
        results.reserveCapacity(Int(packetStatusCount))
        var deltaIndex = 0
        forEachStatus { index, status in
            let seq = baseSequenceNumber &+ UInt16(truncatingIfNeeded: index)
            if status == .notReceived || deltaIndex >= receiveDeltas.count {
                results.append(PacketResult(sequenceNumber: seq, receiveDelta: nil))
            } else {
                results.append(PacketResult(sequenceNumber: seq, receiveDelta: receiveDeltas[deltaIndex]))
                deltaIndex += 1
            }
        }
        return results
    }

    /// The reference time in microseconds.
    public var referenceTimeMicroseconds: Int64 { Int64(referenceTime) * Self.referenceTimeTickMicroseconds }

    init(view: RTCPPacketView) throws(RTCPParseError) {
        var reader = RTCPBodyReader(view)
        try reader.require(16)
        senderSSRC = try reader.read(UInt32.self)
        mediaSSRC = try reader.read(UInt32.self)
        baseSequenceNumber = try reader.read(UInt16.self)
        packetStatusCount = try reader.read(UInt16.self)
        let word = try reader.read(UInt32.self)
        referenceTime = Int32(bitPattern: word) >> 8
        feedbackPacketCount = UInt8(truncatingIfNeeded: word)

        let total = Int(packetStatusCount)
        var chunks: [PacketChunk] = []
        var covered = 0
        var smallCount = 0
        var largeCount = 0
        while covered < total {
            guard reader.remaining >= 2 else {
                throw .transportCCTruncatedChunks(statusCount: total, covered: covered)
            }
            let chunk = try PacketChunk(rawValue: try reader.read(UInt16.self))
            var position = 0
            while covered < total, position < chunk.capacity {
                switch chunk.status(at: position) {
                case .none: throw .transportCCReservedSymbol
                case .notReceived: break
                case .receivedSmallDelta: smallCount += 1
                case .receivedLargeDelta: largeCount += 1
                }
                covered += 1
                position += 1
            }
            chunks.append(chunk)
        }
        self.chunks = chunks

        var deltas: [Int16] = []
        deltas.reserveCapacity(smallCount + largeCount)
        var decoded = 0
        let expected = smallCount + largeCount
        func truncated() -> RTCPParseError { .transportCCTruncatedDeltas(expected: expected, decoded: decoded) }
        var failure: RTCPParseError?
        Self.walkStatuses(chunks: chunks, count: total) { _, status in
            guard failure == nil else { return }
            switch status {
            case .notReceived:
                return
            case .receivedSmallDelta:
                guard reader.remaining >= 1, let value = try? reader.read(UInt8.self) else {
                    failure = truncated()
                    return
                }
                deltas.append(Int16(value))
            case .receivedLargeDelta:
                guard reader.remaining >= 2, let value = try? reader.read(Int16.self) else {
                    failure = truncated()
                    return
                }
                deltas.append(value)
            }
            decoded += 1
        }
        if let failure { throw failure }
        self.receiveDeltas = deltas
        // Senders that do not set the P bit may zero-fill to a 32-bit boundary.
        guard reader.remaining < 4 else { throw .transportCCTrailingBytes(reader.remaining) }
    }

    /// Writes this packet. When the chunks and deltas do not end on a 32-bit boundary the packet is padded
    /// with the P bit set and the last byte holding the padding count, as libwebrtc does (RFC 3550 §6.4.1).
    /// - Throws: ``RTCPSerializationError`` when chunks, count and deltas disagree or a delta does not fit.
    public func write(to buffer: inout ByteBuffer) throws(RTCPSerializationError) {
        // Validate before writing anything.
        var statuses: [Status] = []
        statuses.reserveCapacity(Int(packetStatusCount))
        let covered = forEachStatus { _, status in statuses.append(status) }
        guard covered == Int(packetStatusCount) else { throw .transportCCInconsistent }
        var deltaIndex = 0
        var deltaBytes = 0
        for status in statuses where status != .notReceived {
            guard deltaIndex < receiveDeltas.count else { throw .transportCCInconsistent }
            let delta = receiveDeltas[deltaIndex]
            if status == .receivedSmallDelta {
                guard (0...255).contains(delta) else { throw .transportCCDeltaOutOfRange(delta) }
                deltaBytes += 1
            } else {
                deltaBytes += 2
            }
            deltaIndex += 1
        }
        guard deltaIndex == receiveDeltas.count else { throw .transportCCInconsistent }

        let bodyLength = 16 + chunks.count * 2 + deltaBytes
        let padding = (4 - bodyLength % 4) % 4
        let start = buffer.beginRTCPPacket(
            countOrFormat: Self.format,
            packetType: RTCPPacketType.transportFeedback,
            padding: padding > 0
        )
        buffer.writeInteger(senderSSRC)
        buffer.writeInteger(mediaSSRC)
        buffer.writeInteger(baseSequenceNumber)
        buffer.writeInteger(packetStatusCount)
        buffer.writeInteger(UInt32(bitPattern: referenceTime) << 8 | UInt32(feedbackPacketCount))
        for chunk in chunks { buffer.writeInteger(chunk.rawValue) }
        deltaIndex = 0
        for status in statuses where status != .notReceived {
            let delta = receiveDeltas[deltaIndex]
            if status == .receivedSmallDelta {
                buffer.writeInteger(UInt8(truncatingIfNeeded: delta))
            } else {
                buffer.writeInteger(delta)
            }
            deltaIndex += 1
        }
        if padding > 0 {
            buffer.writeRepeatingByte(0, count: padding - 1)
            buffer.writeInteger(UInt8(truncatingIfNeeded: padding))
        }
        try buffer.finishRTCPPacket(start: start)
    }
}
