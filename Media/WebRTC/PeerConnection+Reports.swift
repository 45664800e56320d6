import NIOCore
import RTP

/// Counters of one SSRC we send, for its sender reports (RFC 3550 §6.4.1).
struct SentStreamCounters {
    var packets: UInt32 = 0
    var octets: UInt32 = 0
    var lastRTPTimestamp: UInt32 = 0
    var lastSendTime: NIODeadline
    var clockRate: UInt32
}

/// Reception state of one SSRC we receive, for report blocks (RFC 3550 §6.4.1, §A.3, §A.8).
struct ReceivedStreamState {
    var statistics: ReceiveStatistics
    /// The middle 32 bits of the NTP timestamp of the peer's last SR for this SSRC (LSR), and when it arrived.
    var lastSenderReport: UInt32 = 0
    var lastSenderReportArrival: NIODeadline?
}

// RTCP sender and receiver reports (RFC 3550 §6.4).
//
// Interval: a fixed 1 s, randomized to [0.5, 1.5] s (RFC 3550 §6.3.5), as libwebrtc does for video, rather than
// the §6.2 computation from 5 % of the session bandwidth: with one sender and one receiver per connection the §6.2
// interval is dominated by its 5 s minimum (or 360/kbps s reduced minimum), which is too slow for the RTT and loss
// estimates WebRTC senders base their bitrate on, and RTCP is a small fraction of media bandwidth at 1 s.
// Each report is a compound (RFC 3550 §6.1): an SR per SSRC we sent on since the connection started (the first
// carrying the report blocks), or one RR when we send nothing, then SDES with our CNAME.
//
// NTP timestamps are the monotonic clock (`NIODeadline`) in NTP format: receivers use them only to echo LSR for
// round-trip time and to relate audio and video of one sender, for which one consistent clock suffices.
extension PeerConnection {
    /// The report interval before randomization.
    static let reportInterval = TimeAmount.seconds(1)
    /// At most this many received SSRCs are tracked (a peer cannot grow the table without bound).
    static let maximumReportedStreams = 31

    /// Records a packet we are about to protect and send (header fields read in place).
    func countSentRTP(_ packet: ByteBuffer, now: NIODeadline) {
        let start = packet.readerIndex
        guard let first = packet.getInteger(at: start, as: UInt8.self),
            let secondByte = packet.getInteger(at: start + 1, as: UInt8.self),
            let timestamp = packet.getInteger(at: start + 4, as: UInt32.self),
            let ssrc = packet.getInteger(at: start + 8, as: UInt32.self)
        else { return }
        var headerLength = 12 + 4 * Int(first & 0x0F)
        if first & 0x10 != 0, let words = packet.getInteger(at: start + headerLength + 2, as: UInt16.self) {
            headerLength += 4 + 4 * Int(words)
        }
        let payloadOctets = UInt32(clamping: max(0, packet.readableBytes - headerLength))
        if sentCounters[ssrc] == nil {
            guard sentCounters.count < 8 else { return }
            let clockRate = clockRateByPayloadType[secondByte & 0x7F] ?? 90_000
            sentCounters[ssrc] = SentStreamCounters(lastSendTime: now, clockRate: clockRate)
        }
        sentCounters[ssrc]?.packets &+= 1
        sentCounters[ssrc]?.octets &+= payloadOctets
        sentCounters[ssrc]?.lastRTPTimestamp = timestamp
        sentCounters[ssrc]?.lastSendTime = now
    }

    /// Records a received (decrypted, RTX-restored) packet for the report blocks.
    func countReceivedRTP(_ packet: RTPPacket, now: NIODeadline) {
        let ssrc = packet.header.ssrc
        if receivedStreams[ssrc] == nil {
            guard receivedStreams.count < Self.maximumReportedStreams else { return }
            let clockRate = clockRateByPayloadType[packet.header.payloadType] ?? 90_000
            receivedStreams[ssrc] = ReceivedStreamState(statistics: ReceiveStatistics(clockRate: clockRate))
        }
        _ = receivedStreams[ssrc]?.statistics.record(
            sequenceNumber: packet.header.sequenceNumber, timestamp: packet.header.timestamp, arrival: now)
    }

    /// Remembers the peer's sender reports (for LSR/DLSR) and counts keyframe requests.
    func noteReceivedRTCP(_ packet: RTCPPacket, now: NIODeadline) {
        switch packet {
        case .senderReport(let report):
            guard receivedStreams[report.ssrc] != nil else { return }
            receivedStreams[report.ssrc]?.lastSenderReport = report.compactNTPTimestamp
            receivedStreams[report.ssrc]?.lastSenderReportArrival = now
        case .pictureLossIndication, .fullIntraRequest:
            keyframeRequestsReceived += 1
        default:
            break
        }
    }

    /// The monotonic time in NTP format (RFC 3550 §4: seconds in the high 32 bits, fraction in the low).
    static func ntpTimestamp(_ time: NIODeadline) -> UInt64 {
        let nanoseconds = UInt64(max(0, time.uptimeNanoseconds))
        let seconds = nanoseconds / 1_000_000_000
        let fraction = ((nanoseconds % 1_000_000_000) << 32) / 1_000_000_000
        return seconds << 32 | fraction
    }

    /// The next report time: the interval times a factor in [0.5, 1.5) (RFC 3550 §6.3.5).
    func scheduleNextReport(after now: NIODeadline) {
        ssrcSource &+= 0x9E37_79B9_7F4A_7C15
        let factor = 0.5 + Double(ssrcSource >> 11) / Double(1 << 53)
        nextReportTime = now + .nanoseconds(Int64(Double(Self.reportInterval.nanoseconds) * factor))
    }

    /// Sends the report compound if it is due.
    func sendDueReports(now: NIODeadline) {
        guard isMediaReady, let due = nextReportTime, due <= now else { return }
        scheduleNextReport(after: now)
        var blocks: [RTCPReportBlock] = []
        for ssrc in receivedStreams.keys.sorted() {
            guard var state = receivedStreams[ssrc] else { continue }
            var delay: UInt32 = 0
            if let arrival = state.lastSenderReportArrival {
                // DLSR in units of 1/65536 s (RFC 3550 §6.4.1).
                delay = UInt32(clamping: (now - arrival).nanoseconds * 65_536 / 1_000_000_000)
            }
            blocks.append(
                state.statistics.makeReportBlock(
                    ssrc: ssrc, lastSenderReport: state.lastSenderReport, delaySinceLastSenderReport: delay))
            receivedStreams[ssrc] = state
        }
        var packets: [RTCPPacket] = []
        let ntp = Self.ntpTimestamp(now)
        for ssrc in sentCounters.keys.sorted() {
            guard let counters = sentCounters[ssrc] else { continue }
            let elapsed = max(0, (now - counters.lastSendTime).nanoseconds)
            let advance = UInt32(truncatingIfNeeded: elapsed * Int64(counters.clockRate) / 1_000_000_000)
            packets.append(
                .senderReport(
                    RTCPSenderReport(
                        ssrc: ssrc, ntpTimestamp: ntp, rtpTimestamp: counters.lastRTPTimestamp &+ advance,
                        packetCount: counters.packets, octetCount: counters.octets,
                        reports: packets.isEmpty ? blocks : [])))
        }
        let reporter = sentCounters.keys.sorted().first ?? negotiatedMedia.first?.localSSRC ?? 1
        if packets.isEmpty {
            packets.append(.receiverReport(RTCPReceiverReport(ssrc: reporter, reports: blocks)))
        }
        let cname = RTCPSourceDescription.Item(type: RTCPSourceDescription.Item.cname, text: configuration.canonicalName)
        let chunks = (sentCounters.isEmpty ? [reporter] : sentCounters.keys.sorted()).map {
            RTCPSourceDescription.Chunk(ssrc: $0, items: [cname])
        }
        packets.append(.sourceDescription(RTCPSourceDescription(chunks: chunks)))
        do {
            try sendRTCP(packets, now: now)
            reportsSent += 1
        } catch {
            return
        }
    }
}
