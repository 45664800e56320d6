import NIOCore

/// Reassembles VP8 frames from RTP packets on the receive side (RFC 7741 §4): collects a frame's packets by
/// sequence number from the one that starts it (S = 1, PID = 0 in the ``VP8PayloadDescriptor``) up to the one with
/// the marker bit, all with the same RTP timestamp, and hands out the frame with the descriptors stripped.
///
/// A sans-IO state machine: ``insert(sequenceNumber:timestamp:marker:payload:now:)`` feeds packets in any order,
/// ``pollOutput()`` returns what is ready, ``nextDeadline()`` / ``handleTimeout(now:)`` drive the wait for missing
/// packets. Frames come out in sequence order. A complete frame that sits behind an incomplete older one waits
/// (NACK may still repair the older one, and reordering may still deliver it) until ``Configuration/maximumWait``
/// passes or the window fills; then the missing range is reported as a ``Output/gap(firstMissing:count:)`` and frames after it carry
/// `referencesIntact == false` until a keyframe arrives — the cue to send a PLI (RFC 4585 §6.3.1).
///
/// Storage is a fixed ring of ``Configuration/capacity`` packet slots allocated once; inserting a packet stores a
/// slice of its buffer (no copy). Only assembling a frame allocates (one buffer per frame).
public struct VP8FrameAssembler: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Packets held at most, and the widest span of sequence numbers waited over.
        public var capacity: Int
        /// How long a complete frame waits for an older incomplete one before the older one is given up.
        public var maximumWait: TimeAmount

        public init(capacity: Int = 512, maximumWait: TimeAmount = .milliseconds(150)) {
            self.capacity = max(8, capacity)
            self.maximumWait = maximumWait
        }
    }

    /// One reassembled frame.
    public struct Frame: Sendable {
        /// The encoded VP8 frame (RFC 6386), descriptors removed.
        public var data: ByteBuffer
        /// The RTP timestamp shared by the frame's packets (90 kHz).
        public var timestamp: UInt32
        /// The PictureID from the first packet's descriptor, if present.
        public var pictureID: UInt16?
        /// A keyframe, per the VP8 payload header of the first packet (RFC 7741 §4.3).
        public var isKeyframe: Bool
        /// The RTP sequence number of the frame's first packet.
        public var firstSequenceNumber: UInt16
        /// How many packets carried the frame.
        public var packetCount: Int
        /// False when a frame was lost since the last keyframe: decoding this delta frame would show artifacts, the
        /// receiver should request a keyframe.
        public var referencesIntact: Bool
    }

    /// What the assembler reports.
    public enum Output: Sendable {
        /// A complete frame, in order.
        case frame(Frame)
        /// `count` sequence numbers from `firstMissing` (wrapping at 2^16) were given up: the frames they carried
        /// are lost. Request a keyframe unless one follows.
        case gap(firstMissing: UInt16, count: Int)
    }

    private struct Slot: Sendable {
        var sequenceNumber: Int64 = -1
        var timestamp: UInt32 = 0
        var marker = false
        var startsFrame = false
        var isKeyframe = false
        var pictureID: UInt16?
        var piece = ByteBuffer()
    }

    public let configuration: Configuration
    private var slots: [Slot]
    private var unwrapper = SequenceNumberUnwrapper()
    private var nextExpected: Int64?
    private var highestReceived: Int64 = -1
    private var emittedAny = false
    private var referencesIntact = false
    private var waitingSince: NIODeadline?
    private var firstPacketAt: NIODeadline?
    private var outputs: [Output] = []
    private var outputHead = 0
    private let allocator: ByteBufferAllocator

    /// Packets ignored because they arrived after their frame was emitted or given up, or twice.
    public private(set) var latePackets = 0

    public init(configuration: Configuration = Configuration(), allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.configuration = configuration
        self.slots = Array(repeating: Slot(), count: configuration.capacity)
        self.allocator = allocator
        self.outputs.reserveCapacity(8)
    }

    /// Feeds one received VP8 RTP packet (its header fields and payload).
    /// - Throws: ``RTPParseError/truncatedVP8PayloadDescriptor`` for a payload whose descriptor does not parse; the
    ///   packet is then ignored and the assembler's state is unchanged.
    public mutating func insert(
        sequenceNumber: UInt16,
        timestamp: UInt32,
        marker: Bool,
        payload: ByteBuffer,
        now: NIODeadline
    ) throws(RTPParseError) {
        let descriptor = try VP8PayloadDescriptor(payload: payload)
        // Offset by 2^32 so that packets reordered before the first one never get negative numbers; the low 16
        // bits stay the wire value.
        let extended = unwrapper.unwrap(sequenceNumber) + (1 << 32)
        let capacity = Int64(configuration.capacity)
        if let expected = nextExpected {
            if extended < expected {
                // Before anything was emitted, reordering at the start may reveal an earlier first packet.
                guard !emittedAny, expected - extended < capacity / 2 else {
                    latePackets += 1
                    return
                }
                nextExpected = extended
            }
        } else {
            nextExpected = extended
        }
        guard let expected = nextExpected else { return }
        if extended - expected >= capacity {
            // The window is full: give up the oldest packets so that this one fits, up to the first frame start
            // still held (or this packet).
            var newStart = extended - capacity + 1
            while newStart < extended, slot(newStart)?.startsFrame != true { newStart += 1 }
            skip(to: newStart)
            waitingSince = nil
        }
        let index = slotIndex(extended)
        if slots[index].sequenceNumber == extended {
            latePackets += 1
            return
        }
        let pieceStart = payload.readerIndex + descriptor.size
        slots[index] = Slot(
            sequenceNumber: extended,
            timestamp: timestamp,
            marker: marker,
            startsFrame: descriptor.isStartOfPartition && descriptor.partitionIndex == 0,
            isKeyframe: descriptor.isKeyframe(payload: payload),
            pictureID: descriptor.pictureID,
            piece: payload.getSlice(at: pieceStart, length: payload.writerIndex - pieceStart) ?? ByteBuffer())
        highestReceived = max(highestReceived, extended)
        if firstPacketAt == nil { firstPacketAt = now }
        drain(now: now)
    }

    /// The next output, or nil when nothing is ready.
    public mutating func pollOutput() -> Output? {
        guard outputHead < outputs.count else {
            if !outputs.isEmpty {
                outputs.removeAll(keepingCapacity: true)
                outputHead = 0
            }
            return nil
        }
        let output = outputs[outputHead]
        outputHead += 1
        return output
    }

    /// When ``handleTimeout(now:)`` should be called: a complete frame is waiting for an older incomplete one.
    public func nextDeadline() -> NIODeadline? {
        if !emittedAny, let firstPacketAt { return firstPacketAt + configuration.maximumWait }
        return waitingSince.map { $0 + configuration.maximumWait }
    }

    /// Gives up missing packets whose wait has expired.
    public mutating func handleTimeout(now: NIODeadline) {
        drain(now: now)
    }

    // MARK: - Assembly

    private func slotIndex(_ sequenceNumber: Int64) -> Int {
        let capacity = Int64(configuration.capacity)
        return Int(((sequenceNumber % capacity) + capacity) % capacity)
    }

    private func slot(_ sequenceNumber: Int64) -> Slot? {
        let slot = slots[slotIndex(sequenceNumber)]
        return slot.sequenceNumber == sequenceNumber ? slot : nil
    }

    /// If a complete frame starts at `start`, the sequence number of its last packet.
    private func completeFrame(startingAt start: Int64) -> Int64? {
        guard let first = slot(start), first.startsFrame else { return nil }
        var current = start
        while current <= highestReceived, current - start < Int64(configuration.capacity) {
            guard let packet = slot(current), packet.timestamp == first.timestamp else { return nil }
            if current != start, packet.startsFrame { return nil }
            if packet.marker { return current }
            current += 1
        }
        return nil
    }

    private mutating func drain(now: NIODeadline) {
        // Each pass emits a frame or skips a gap, both of which advance nextExpected; bounded by the window.
        for _ in 0...configuration.capacity {
            guard let expected = nextExpected, expected <= highestReceived else { return }
            if let end = completeFrame(startingAt: expected) {
                // At the start of a stream, packets of earlier frames may still arrive out of order: a delta
                // frame waits maximumWait from the first packet before it may become the first frame out.
                if !emittedAny, slot(expected)?.isKeyframe != true, let firstPacketAt,
                    now < firstPacketAt + configuration.maximumWait
                {
                    return
                }
                emit(from: expected, to: end)
                waitingSince = nil
                continue
            }
            // Blocked. At the start of a stream the hole may be packets still on their way: wait.
            if !emittedAny, let firstPacketAt, now < firstPacketAt + configuration.maximumWait { return }
            // Find the first complete frame after the hole; if none, nothing can be released yet.
            var candidate = expected + 1
            var firstComplete: Int64?
            while candidate <= highestReceived {
                if let first = slot(candidate), first.startsFrame, completeFrame(startingAt: candidate) != nil {
                    firstComplete = candidate
                    break
                }
                candidate += 1
            }
            guard let firstComplete else {
                waitingSince = nil
                return
            }
            let waitStart = waitingSince ?? now
            waitingSince = waitStart
            // NACK gets maximumWait to repair the hole (however the packets after it are reordered).
            guard now >= waitStart + configuration.maximumWait else { return }
            skip(to: firstComplete)
            waitingSince = nil
        }
    }

    /// Gives up every sequence number below `target`, reporting the range as a gap.
    private mutating func skip(to target: Int64) {
        guard let expected = nextExpected, target > expected else { return }
        var current = expected
        while current < target, current - expected < Int64(configuration.capacity) {
            let index = slotIndex(current)
            if slots[index].sequenceNumber == current { slots[index] = Slot() }
            current += 1
        }
        outputs.append(.gap(firstMissing: UInt16(truncatingIfNeeded: expected), count: Int(target - expected)))
        referencesIntact = false
        nextExpected = target
    }

    private mutating func emit(from start: Int64, to end: Int64) {
        var size = 0
        for sequenceNumber in start...end { size += slot(sequenceNumber)?.piece.readableBytes ?? 0 }
        var data = allocator.buffer(capacity: size)
        guard let first = slot(start) else { return }
        for sequenceNumber in start...end {
            let index = slotIndex(sequenceNumber)
            data.writeImmutableBuffer(slots[index].piece)
            slots[index] = Slot()
        }
        if first.isKeyframe { referencesIntact = true }
        outputs.append(
            .frame(
                Frame(
                    data: data, timestamp: first.timestamp, pictureID: first.pictureID, isKeyframe: first.isKeyframe,
                    firstSequenceNumber: UInt16(truncatingIfNeeded: start), packetCount: Int(end - start + 1),
                    referencesIntact: referencesIntact)))
        emittedAny = true
        nextExpected = end + 1
    }
}
