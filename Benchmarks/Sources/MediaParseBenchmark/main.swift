// Parse cost per RTP packet, per RTCP compound, per STUN message and per SDP, on real packets captured from
// Chromium and aiortc (Fixtures/packets, Fixtures/sdp), printed beside references measured in the same run:
// a memcpy of the same bytes (the floor) and libsrtp2's AEAD-AES-128-GCM protect of the same RTP packets
// (what an SFU pays per packet per subscriber anyway). Build in release: `make bench`.
import CSRTPReference
import Foundation
import NIOCore
import RTP
import SDP
import STUN

let fixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

func hexLines(_ name: String) -> [[UInt8]] {
    guard let text = try? String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8) else {
        print("missing fixture \(name)")
        exit(1)
    }
    return text.split(separator: "\n").compactMap { line -> [UInt8]? in
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { return nil }
        var bytes: [UInt8] = []
        var index = trimmed.startIndex
        while let next = trimmed.index(index, offsetBy: 2, limitedBy: trimmed.endIndex), index < trimmed.endIndex {
            guard let byte = UInt8(trimmed[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}

func buffers(_ packets: [[UInt8]]) -> [ByteBuffer] {
    packets.map { ByteBuffer(bytes: $0) }
}

/// Runs `body` over every item, in rounds of about 0.2 s, and returns the best nanoseconds per item.
@inline(never) @MainActor
func measure<Item>(_ items: [Item], _ body: (Item) -> UInt64) -> (nanoseconds: Double, checksum: UInt64) {
    var checksum: UInt64 = 0
    var repetitions = 1
    let clock = ContinuousClock()
    // Calibrate.
    while true {
        let elapsed = clock.measure {
            for _ in 0..<repetitions { for item in items { checksum &+= body(item) } }
        }
        if elapsed > .milliseconds(50) || repetitions > 1 << 24 { break }
        repetitions *= 2
    }
    repetitions = max(1, repetitions * 4)
    var best = Double.infinity
    for _ in 0..<5 {
        let elapsed = clock.measure {
            for _ in 0..<repetitions { for item in items { checksum &+= body(item) } }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        best = min(best, seconds * 1e9 / Double(repetitions * items.count))
    }
    return (best, checksum)
}

var rows: [(String, Int, Double)] = []
var sink: UInt64 = 0
@MainActor func record(_ name: String, count: Int, _ result: (nanoseconds: Double, checksum: UInt64)) {
    rows.append((name, count, result.nanoseconds))
    sink &+= result.checksum
}

// MARK: RTP
let rtpPackets = hexLines("packets/chromium-rtp-video.hex") + hexLines("packets/chromium-rtp-audio.hex")
    + hexLines("packets/chromium-rtp-simulcast.hex")
let rtpBuffers = buffers(rtpPackets)
record("RTP parse (header, CSRC, extension block; payload not copied)", count: rtpBuffers.count, measure(rtpBuffers) { buffer in
    guard let packet = try? RTPPacket(parsing: buffer) else { return 0 }
    return UInt64(packet.header.ssrc) &+ UInt64(packet.header.sequenceNumber) &+ UInt64(packet.header.payloadLength)
})
record("RTP parse + mid/twcc-seq extension lookup", count: rtpBuffers.count, measure(rtpBuffers) { buffer in
    guard let packet = try? RTPPacket(parsing: buffer) else { return 0 }
    return UInt64(packet.headerExtensionRange(id: 4)?.count ?? 0) &+ UInt64(packet.headerExtensionRange(id: 3)?.count ?? 0)
})
var rewriteBuffers = rtpBuffers
record("RTP rewrite SSRC/seq/timestamp in place", count: rtpBuffers.count, measure(Array(rewriteBuffers.indices)) { index in
    rewriteBuffers[index].rewriteRTPHeader(packetStart: rewriteBuffers[index].readerIndex, ssrc: 0x1234_5678, sequenceNumber: UInt16(truncatingIfNeeded: index), timestamp: 90_000)
    return UInt64(rewriteBuffers[index].readableBytes)
})

// MARK: RTCP
let rtcpBuffers = buffers(hexLines("packets/chromium-rtcp.hex") + hexLines("packets/aiortc-rtcp.hex"))
record("RTCP compound walk (RTCPCompoundReader, no allocation)", count: rtcpBuffers.count, measure(rtcpBuffers) { buffer in
    var reader = RTCPCompoundReader(buffer)
    var total: UInt64 = 0
    while let view = try? reader.next() { total &+= UInt64(view.packetType) &+ UInt64(view.senderSSRC ?? 0) }
    return total
})
record("RTCP compound parse to typed packets (SR RR SDES NACK TWCC REMB …)", count: rtcpBuffers.count, measure(rtcpBuffers) { buffer in
    guard let packets = try? RTCPPacket.parseCompound(buffer) else { return 0 }
    return UInt64(packets.count)
})

// MARK: STUN
let stunPackets = hexLines("packets/chromium-stun.hex")
let stunBuffers = buffers(stunPackets)
record("STUN parse (all attributes, FINGERPRINT checked)", count: stunBuffers.count, measure(stunBuffers) { buffer in
    guard let message = try? STUNMessage(parsing: buffer) else { return 0 }
    return UInt64(message.attributes.count)
})
let iceKey = STUNIntegrityKey.shortTerm(password: "VzOH5KtQTeJHZ3nwz8VWoU")
let aiortcBound = stunBuffers.filter { (try? STUNMessage.verifyIntegrity(of: $0, key: iceKey)) != nil }
record("STUN parse + MESSAGE-INTEGRITY (HMAC-SHA1) verify", count: aiortcBound.count, measure(aiortcBound) { buffer in
    guard let message = try? STUNMessage(parsing: buffer, integrityKey: iceKey) else { return 0 }
    return UInt64(message.attributes.count)
})

// MARK: SDP
let sdpTexts = ["chromium-offer-audio-video.sdp", "chromium-offer-simulcast.sdp", "aiortc-offer-audio-video.sdp"].compactMap {
    try? String(contentsOf: fixtures.appendingPathComponent("sdp/" + $0), encoding: .utf8)
}
record("SDP parse (real offers)", count: sdpTexts.count, measure(sdpTexts) { text in
    guard let description = try? SessionDescription.parse(text) else { return 0 }
    return UInt64(description.media.count)
})

// MARK: References
let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048 + Int(SRTP_MAX_TRAILER_LEN), alignment: 16)
defer { scratch.deallocate() }
record("reference: memcpy of the same RTP bytes", count: rtpPackets.count, measure(rtpPackets) { packet in
    packet.withUnsafeBytes { source in scratch.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: source.count) }
    return UInt64(scratch[0])
})
guard srtp_init() == srtp_err_status_ok else { print("srtp_init failed"); exit(1) }
var policy = srtp_policy_t()
srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
policy.ssrc.type = ssrc_any_outbound
policy.window_size = 1024
policy.allow_repeat_tx = 1
var key = [UInt8](repeating: 0x42, count: Int(SRTP_AES_GCM_128_KEY_LEN_WSALT))
var session: srtp_t?
key.withUnsafeMutableBufferPointer { policy.key = $0.baseAddress; _ = srtp_create(&session, &policy) }
record("reference: libsrtp2 AEAD-AES-128-GCM protect of the same RTP packets", count: rtpPackets.count, measure(rtpPackets) { packet in
    packet.withUnsafeBytes { source in scratch.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: source.count) }
    var length = Int32(packet.count)
    _ = srtp_protect(session, scratch.baseAddress!, &length)
    return UInt64(length)
})
srtp_dealloc(session)

// MARK: Report
print("Media parse microbenchmark — best of 5 rounds, release build, fixtures from Chromium/aiortc captures")
print(String(repeating: "-", count: 100))
for (name, count, nanoseconds) in rows {
    let label = name.padding(toLength: 78, withPad: " ", startingAt: 0)
    let figure = nanoseconds >= 10_000 ? String(format: "%9.1f µs", nanoseconds / 1000) : String(format: "%9.1f ns", nanoseconds)
    print("\(label)\(figure)   (\(count) items)")
}
print(String(repeating: "-", count: 100))
print("checksum \(sink)")
