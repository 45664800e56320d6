import NIOCore

/// Reception statistics for one RTP source, as RFC 3550 Appendix A computes them: sequence number tracking
/// with restart detection (§A.1), expected and lost packets with the fraction lost per report interval (§A.3),
/// and interarrival jitter (§A.8). Sans-IO: the arrival time is passed in.
public struct ReceiveStatistics: Sendable, Hashable {
    /// A jump of less than this many sequence numbers ahead is in-order progress (RFC 3550 §A.1).
    public static let maxDropout: UInt16 = 3000
    /// A jump of less than this many sequence numbers back is a reordered or duplicate packet (RFC 3550 §A.1).
    public static let maxMisorder: UInt16 = 100

    /// The media clock rate in Hz (e.g. 48000 for Opus, 90000 for video), used to express arrival times in
    /// timestamp units for jitter.
    public let clockRate: UInt32

    private var started = false
    private var maxSequence: UInt16 = 0
    private var cycles: UInt64 = 0
    private var baseSequence: UInt64 = 0
    private var badSequence: UInt32 = 0x1_0001
    /// Packets accepted (duplicates included, as in RFC 3550 §A.3).
    public private(set) var packetsReceived: UInt64 = 0
    private var expectedPrior: UInt64 = 0
    private var receivedPrior: UInt64 = 0
    private var lastTransit: UInt32?
    /// Jitter scaled by 16, as in the integer form of RFC 3550 §A.8.
    private var jitterScaled: Int64 = 0

    public init(clockRate: UInt32) {
        self.clockRate = clockRate
    }

    /// Records one received packet.
    /// - Parameters:
    ///   - sequenceNumber: the packet's RTP sequence number.
    ///   - timestamp: the packet's RTP timestamp.
    ///   - arrival: when it arrived (any monotonic clock; only differences matter).
    /// - Returns: false when the packet was a large sequence jump not yet confirmed by a second packet
    ///   (RFC 3550 §A.1); it is then not counted.
    @discardableResult
    public mutating func record(sequenceNumber: UInt16, timestamp: UInt32, arrival: NIODeadline) -> Bool {
        guard started else {
            restart(at: sequenceNumber)
            started = true
            packetsReceived = 1
            updateJitter(timestamp: timestamp, arrival: arrival)
            return true
        }
        let delta = sequenceNumber &- maxSequence
        if delta < Self.maxDropout {
            // In order, with a permissible gap.
            if sequenceNumber < maxSequence { cycles &+= 0x1_0000 }
            maxSequence = sequenceNumber
        } else if delta <= UInt16.max - Self.maxMisorder {
            // A very large jump: accept only if the next packet follows it (the source restarted).
            if UInt32(sequenceNumber) == badSequence {
                restart(at: sequenceNumber)
                lastTransit = nil
            } else {
                badSequence = UInt32(sequenceNumber &+ 1)
                return false
            }
        }
        // Otherwise: a duplicate or reordered packet, counted but not moving the maximum.
        packetsReceived &+= 1
        updateJitter(timestamp: timestamp, arrival: arrival)
        return true
    }

    private mutating func restart(at sequenceNumber: UInt16) {
        baseSequence = UInt64(sequenceNumber)
        maxSequence = sequenceNumber
        badSequence = 0x1_0001
        cycles = 0
        packetsReceived = 0
        receivedPrior = 0
        expectedPrior = 0
    }

    /// RFC 3550 §A.8: J += (|D| - J) / 16, with D the change in transit time, in timestamp units.
    private mutating func updateJitter(timestamp: UInt32, arrival: NIODeadline) {
        let nanoseconds = arrival.uptimeNanoseconds
        let rate = UInt64(clockRate)
        let arrivalUnits =
            (nanoseconds / 1_000_000_000) &* rate &+ (nanoseconds % 1_000_000_000) &* rate / 1_000_000_000
        let transit = UInt32(truncatingIfNeeded: arrivalUnits) &- timestamp
        if let lastTransit {
            let difference = Int64(Int32(bitPattern: transit &- lastTransit)).magnitude
            jitterScaled &+= Int64(difference) &- ((jitterScaled &+ 8) >> 4)
        }
        lastTransit = transit
    }

    /// The extended highest sequence number received: cycles × 65536 + highest (RFC 3550 §A.1).
    public var extendedHighestSequenceNumber: UInt64 { cycles &+ UInt64(maxSequence) }

    /// Packets expected: extended highest - base + 1 (RFC 3550 §A.3); 0 before any packet.
    public var packetsExpected: UInt64 {
        started ? extendedHighestSequenceNumber &- baseSequence &+ 1 : 0
    }

    /// Cumulative packets lost: expected - received, negative when duplicates outnumber losses (RFC 3550 §A.3).
    public var cumulativeLost: Int64 {
        Int64(truncatingIfNeeded: packetsExpected) &- Int64(truncatingIfNeeded: packetsReceived)
    }

    /// The interarrival jitter in timestamp units (RFC 3550 §A.8: the scaled estimate divided by 16).
    public var jitter: UInt32 { UInt32(clamping: jitterScaled >> 4) }

    /// Builds a report block and starts a new report interval (RFC 3550 §A.3): the fraction lost covers the
    /// packets since the previous call; the cumulative loss is clamped to the field's signed 24-bit range.
    public mutating func makeReportBlock(
        ssrc: UInt32,
        lastSenderReport: UInt32 = 0,
        delaySinceLastSenderReport: UInt32 = 0
    ) -> RTCPReportBlock {
        let expected = packetsExpected
        let expectedInterval = Int64(truncatingIfNeeded: expected &- expectedPrior)
        expectedPrior = expected
        let receivedInterval = Int64(truncatingIfNeeded: packetsReceived &- receivedPrior)
        receivedPrior = packetsReceived
        let lostInterval = expectedInterval &- receivedInterval
        var fraction: UInt8 = 0
        if expectedInterval > 0, lostInterval > 0 {
            fraction = UInt8(clamping: (lostInterval << 8) / expectedInterval)
        }
        return RTCPReportBlock(
            ssrc: ssrc,
            fractionLost: fraction,
            cumulativeLost: RTCPReportBlock.clampCumulativeLost(cumulativeLost),
            extendedHighestSequenceNumber: UInt32(truncatingIfNeeded: extendedHighestSequenceNumber),
            jitter: jitter,
            lastSenderReport: lastSenderReport,
            delaySinceLastSenderReport: delaySinceLastSenderReport
        )
    }
}
