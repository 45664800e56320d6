import NIOCore

/// A reception report block (RFC 3550 §6.4.1), carried in SR and RR packets.
public struct RTCPReportBlock: Sendable, Hashable {
    /// The source this block reports on.
    public var ssrc: UInt32
    /// Fraction of packets lost since the previous report, as a fixed-point number with the binary point at
    /// the left edge (lost/expected × 256).
    public var fractionLost: UInt8
    /// Cumulative packets lost, a signed 24-bit value (-8388608...8388607; duplicates can make it negative).
    public var cumulativeLost: Int32
    /// Extended highest sequence number received (cycles << 16 | highest seq).
    public var extendedHighestSequenceNumber: UInt32
    /// Interarrival jitter in timestamp units (RFC 3550 §6.4.1, A.8).
    public var jitter: UInt32
    /// The middle 32 bits of the NTP timestamp of the last SR received from this source (LSR), 0 if none.
    public var lastSenderReport: UInt32
    /// Delay since that SR in units of 1/65536 s (DLSR), 0 if none.
    public var delaySinceLastSenderReport: UInt32

    public init(
        ssrc: UInt32,
        fractionLost: UInt8 = 0,
        cumulativeLost: Int32 = 0,
        extendedHighestSequenceNumber: UInt32 = 0,
        jitter: UInt32 = 0,
        lastSenderReport: UInt32 = 0,
        delaySinceLastSenderReport: UInt32 = 0
    ) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = Self.clampCumulativeLost(Int64(cumulativeLost))
        self.extendedHighestSequenceNumber = extendedHighestSequenceNumber
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    /// The size of a report block on the wire.
    public static let size = 24

    /// Clamps a loss count to the signed 24-bit range of the cumulative lost field (RFC 3550 §6.4.1, A.3).
    public static func clampCumulativeLost(_ value: Int64) -> Int32 {
        Int32(truncatingIfNeeded: min(max(value, -0x80_0000), 0x7F_FFFF))
    }

    init(reading reader: inout RTCPBodyReader) throws(RTCPParseError) {
        ssrc = try reader.read(UInt32.self)
        let lossWord = try reader.read(UInt32.self)
        fractionLost = UInt8(truncatingIfNeeded: lossWord >> 24)
        // Sign-extend the 24-bit cumulative loss.
        cumulativeLost = Int32(bitPattern: lossWord << 8) >> 8
        extendedHighestSequenceNumber = try reader.read(UInt32.self)
        jitter = try reader.read(UInt32.self)
        lastSenderReport = try reader.read(UInt32.self)
        delaySinceLastSenderReport = try reader.read(UInt32.self)
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(ssrc)
        let lost = UInt32(bitPattern: Self.clampCumulativeLost(Int64(cumulativeLost))) & 0x00FF_FFFF
        buffer.writeInteger(UInt32(fractionLost) << 24 | lost)
        buffer.writeInteger(extendedHighestSequenceNumber)
        buffer.writeInteger(jitter)
        buffer.writeInteger(lastSenderReport)
        buffer.writeInteger(delaySinceLastSenderReport)
    }
}

/// A sender report, packet type 200 (RFC 3550 §6.4.1).
public struct RTCPSenderReport: Sendable, Hashable {
    public var ssrc: UInt32
    /// The 64-bit NTP timestamp (seconds since 1900 in the high 32 bits, fraction in the low 32 bits).
    public var ntpTimestamp: UInt64
    /// The RTP timestamp corresponding to ``ntpTimestamp``.
    public var rtpTimestamp: UInt32
    /// Sender's packet count.
    public var packetCount: UInt32
    /// Sender's octet count (payload bytes).
    public var octetCount: UInt32
    /// Up to 31 reception report blocks.
    public var reports: [RTCPReportBlock]
    /// Profile-specific extension bytes after the report blocks (a multiple of 4), kept verbatim.
    public var profileExtension: [UInt8]

    public init(
        ssrc: UInt32,
        ntpTimestamp: UInt64,
        rtpTimestamp: UInt32,
        packetCount: UInt32,
        octetCount: UInt32,
        reports: [RTCPReportBlock] = [],
        profileExtension: [UInt8] = []
    ) {
        self.ssrc = ssrc
        self.ntpTimestamp = ntpTimestamp
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
        self.reports = reports
        self.profileExtension = profileExtension
    }

    /// The middle 32 bits of the NTP timestamp, which receivers echo as LSR (RFC 3550 §6.4.1).
    public var compactNTPTimestamp: UInt32 { UInt32(truncatingIfNeeded: ntpTimestamp >> 16) }

    init(view: RTCPPacketView) throws(RTCPParseError) {
        var reader = RTCPBodyReader(view)
        try reader.require(24 + Int(view.countOrFormat) * RTCPReportBlock.size)
        ssrc = try reader.read(UInt32.self)
        ntpTimestamp = try reader.read(UInt64.self)
        rtpTimestamp = try reader.read(UInt32.self)
        packetCount = try reader.read(UInt32.self)
        octetCount = try reader.read(UInt32.self)
        var reports: [RTCPReportBlock] = []
        reports.reserveCapacity(Int(view.countOrFormat))
        for _ in 0..<view.countOrFormat { reports.append(try RTCPReportBlock(reading: &reader)) }
        self.reports = reports
        profileExtension = reader.readRest()
    }

    /// Writes this packet (RFC 3550 §6.4.1).
    public func write(to buffer: inout ByteBuffer) throws(RTCPSerializationError) {
        guard reports.count <= 31 else { throw .countTooLarge(reports.count) }
        guard profileExtension.count % 4 == 0 else { throw .unalignedData(profileExtension.count) }
        let start = buffer.beginRTCPPacket(
            countOrFormat: UInt8(truncatingIfNeeded: reports.count),
            packetType: RTCPPacketType.senderReport
        )
        buffer.writeInteger(ssrc)
        buffer.writeInteger(ntpTimestamp)
        buffer.writeInteger(rtpTimestamp)
        buffer.writeInteger(packetCount)
        buffer.writeInteger(octetCount)
        for report in reports { report.write(to: &buffer) }
        buffer.writeBytes(profileExtension)
        try buffer.finishRTCPPacket(start: start)
    }
}

/// A receiver report, packet type 201 (RFC 3550 §6.4.2).
public struct RTCPReceiverReport: Sendable, Hashable {
    public var ssrc: UInt32
    /// Up to 31 reception report blocks.
    public var reports: [RTCPReportBlock]
    /// Profile-specific extension bytes (a multiple of 4), kept verbatim.
    public var profileExtension: [UInt8]

    public init(ssrc: UInt32, reports: [RTCPReportBlock] = [], profileExtension: [UInt8] = []) {
        self.ssrc = ssrc
        self.reports = reports
        self.profileExtension = profileExtension
    }

    init(view: RTCPPacketView) throws(RTCPParseError) {
        var reader = RTCPBodyReader(view)
        try reader.require(4 + Int(view.countOrFormat) * RTCPReportBlock.size)
        ssrc = try reader.read(UInt32.self)
        var reports: [RTCPReportBlock] = []
        reports.reserveCapacity(Int(view.countOrFormat))
        for _ in 0..<view.countOrFormat { reports.append(try RTCPReportBlock(reading: &reader)) }
        self.reports = reports
        profileExtension = reader.readRest()
    }

    /// Writes this packet (RFC 3550 §6.4.2).
    public func write(to buffer: inout ByteBuffer) throws(RTCPSerializationError) {
        guard reports.count <= 31 else { throw .countTooLarge(reports.count) }
        guard profileExtension.count % 4 == 0 else { throw .unalignedData(profileExtension.count) }
        let start = buffer.beginRTCPPacket(
            countOrFormat: UInt8(truncatingIfNeeded: reports.count),
            packetType: RTCPPacketType.receiverReport
        )
        buffer.writeInteger(ssrc)
        for report in reports { report.write(to: &buffer) }
        buffer.writeBytes(profileExtension)
        try buffer.finishRTCPPacket(start: start)
    }
}
