import NIOCore
import Testing

@testable import RTP

@Suite("Unwrapping and receive statistics (RFC 3550 A.1, A.3, A.8)")
struct StatisticsTests {
    @Test func sequenceNumbersUnwrapAcrossZero() {
        var unwrapper = SequenceNumberUnwrapper()
        #expect(unwrapper.unwrap(65533) == 65533)
        #expect(unwrapper.unwrap(65535) == 65535)
        #expect(unwrapper.unwrap(0) == 65536)
        #expect(unwrapper.unwrap(65534) == 65534)  // reordered, from before the wrap
        #expect(unwrapper.unwrap(2) == 65538)
        #expect(unwrapper.unwrapped(40000) == 40000)  // nearest value is backwards, in the first cycle
        var cycles = SequenceNumberUnwrapper()
        var last: Int64 = 0
        for step in 0..<300_000 {
            last = cycles.unwrap(UInt16(truncatingIfNeeded: step * 7))
        }
        #expect(last == Int64(299_999 * 7))
    }

    @Test func timestampsUnwrapAcrossZero() {
        var unwrapper = TimestampUnwrapper()
        #expect(unwrapper.unwrap(0xFFFF_FF00) == 0xFFFF_FF00)
        #expect(unwrapper.unwrap(0x100) == 0x1_0000_0100)
        #expect(unwrapper.unwrap(0xFFFF_FFF0) == 0xFFFF_FFF0)
    }

    /// Arrival at `milliseconds` after an arbitrary epoch.
    static func at(_ milliseconds: Int64) -> NIODeadline {
        NIODeadline.uptimeNanoseconds(UInt64(1_000_000_000 + milliseconds * 1_000_000))
    }

    @Test func jitterPerA8OnASyntheticSchedule() {
        // Clock 8000 Hz: 20 ms packets advance the timestamp by 160. Arrivals (ms): 0, 20, 45, 60, 80.
        // Arrival in timestamp units: 0, 160, 360, 480, 640 (plus a constant); transit deltas D:
        // p2: (160-160)=0, p3: (360-320)=40 → |D|=40, p4: (480-480)-(40) = -40 → 40, p5: 0-0 = 0.
        // Integer A.8 (J scaled by 16): J += |D| - ((J + 8) >> 4)
        //   p2: 0;  p3: 0 + 40 - 0 = 40;  p4: 40 + 40 - ((48) >> 4 = 3) = 77;  p5: 77 + 0 - ((85) >> 4 = 5) = 72.
        // Reported jitter = 72 >> 4 = 4 (the float form gives 0 → 2.5 → 4.84 → 4.54).
        var stats = ReceiveStatistics(clockRate: 8000)
        let schedule: [(UInt16, UInt32, Int64)] = [(1, 0, 0), (2, 160, 20), (3, 320, 45), (4, 480, 60), (5, 640, 80)]
        for (seq, ts, ms) in schedule {
            stats.record(sequenceNumber: seq, timestamp: ts, arrival: Self.at(ms))
        }
        #expect(stats.jitter == 4)
    }

    @Test func lossPerA3() {
        var stats = ReceiveStatistics(clockRate: 90000)
        // Receive 1...10 except 4 and 7, then a reordered 4.
        for seq: UInt16 in [1, 2, 3, 5, 6, 8, 9, 10] {
            stats.record(sequenceNumber: seq, timestamp: 0, arrival: Self.at(Int64(seq)))
        }
        #expect(stats.packetsExpected == 10)
        #expect(stats.packetsReceived == 8)
        #expect(stats.cumulativeLost == 2)
        let first = stats.makeReportBlock(ssrc: 9)
        #expect(first.fractionLost == UInt8((2 << 8) / 10))  // 51
        #expect(first.cumulativeLost == 2)
        #expect(first.extendedHighestSequenceNumber == 10)
        // Next interval: 11...20 all received plus the late 4 → more received than expected in the interval.
        stats.record(sequenceNumber: 4, timestamp: 0, arrival: Self.at(11))
        for seq: UInt16 in 11...20 { stats.record(sequenceNumber: seq, timestamp: 0, arrival: Self.at(Int64(seq))) }
        let second = stats.makeReportBlock(ssrc: 9)
        #expect(second.fractionLost == 0)
        #expect(second.cumulativeLost == 1)
        // Duplicates push cumulative loss negative.
        stats.record(sequenceNumber: 20, timestamp: 0, arrival: Self.at(30))
        stats.record(sequenceNumber: 20, timestamp: 0, arrival: Self.at(31))
        #expect(stats.cumulativeLost == -1)
    }

    @Test func wrapCountsCyclesAndBigJumpNeedsConfirmation() {
        var stats = ReceiveStatistics(clockRate: 48000)
        for seq: UInt16 in [65534, 65535, 0, 1] { stats.record(sequenceNumber: seq, timestamp: 0, arrival: Self.at(0)) }
        #expect(stats.extendedHighestSequenceNumber == 65536 + 1)
        #expect(stats.packetsExpected == 4)
        #expect(stats.cumulativeLost == 0)
        // A jump of 20000: ignored once, accepted as a restart when the next packet follows it.
        let jumped = stats.record(sequenceNumber: 20000, timestamp: 0, arrival: Self.at(1))
        #expect(!jumped)
        #expect(stats.packetsReceived == 4)
        let confirmed = stats.record(sequenceNumber: 20001, timestamp: 0, arrival: Self.at(2))
        #expect(confirmed)
        #expect(stats.packetsReceived == 1)
        #expect(stats.packetsExpected == 1)
    }

    @Test func cumulativeLossClampsTo24Bits() {
        #expect(RTCPReportBlock.clampCumulativeLost(10_000_000) == 0x7F_FFFF)
        #expect(RTCPReportBlock.clampCumulativeLost(-10_000_000) == -0x80_0000)
        let block = RTCPReportBlock(ssrc: 1, cumulativeLost: .min)
        #expect(block.cumulativeLost == -0x80_0000)
    }
}
