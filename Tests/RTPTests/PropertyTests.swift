import NIOCore
import Testing

@testable import RTP

@Suite("Property tests: serialize → parse → equal, mutations never crash")
struct PropertyTests {
    static func randomElements(_ rng: inout SplitMix64, twoByte: Bool) -> [RTPHeaderExtensionElement] {
        (0..<rng.int(0...6)).map { _ in
            if twoByte {
                return RTPHeaderExtensionElement(id: UInt8(rng.int(1...255)), data: rng.bytes(rng.int(0...20)))
            }
            return RTPHeaderExtensionElement(id: UInt8(rng.int(1...14)), data: rng.bytes(rng.int(1...16)))
        }
    }

    static func randomRTP(_ rng: inout SplitMix64) -> (RTPHeaderFields, [UInt8]) {
        var extensions: RTPHeaderExtensionBlock?
        switch rng.int(0...3) {
        case 0: extensions = nil
        case 1: extensions = .oneByte(randomElements(&rng, twoByte: false))
        case 2: extensions = .twoByte(appBits: UInt8(rng.int(0...15)), randomElements(&rng, twoByte: true))
        default: extensions = .opaque(profile: 0x0123, data: rng.bytes(rng.int(0...3) * 4))
        }
        let fields = RTPHeaderFields(
            marker: rng.bool(),
            payloadType: UInt8(rng.int(0...127)),
            sequenceNumber: UInt16(rng.int(0...65535)),
            timestamp: UInt32.random(in: .min ... .max, using: &rng),
            ssrc: UInt32.random(in: .min ... .max, using: &rng),
            csrcs: (0..<rng.int(0...15)).map { _ in UInt32.random(in: .min ... .max, using: &rng) },
            extensions: extensions,
            paddingLength: rng.bool() ? 0 : rng.int(1...255)
        )
        return (fields, rng.bytes(rng.int(0...200)))
    }

    @Test func randomRTPRoundTrips() throws {
        var rng = SplitMix64(seed: 0x5EED_0001)
        for _ in 0..<3000 {
            let (fields, payload) = Self.randomRTP(&rng)
            var out = ByteBuffer()
            try out.writeRTPPacket(fields, payload: payload)
            let packet = try RTPPacket(parsing: out)
            #expect(packet.headerFields == fields)
            #expect(bytes(packet.payload) == payload)
            #expect(packet.header.packetLength == out.readableBytes)
            if case .oneByte(let elements) = fields.extensions, let first = elements.first {
                #expect(packet.headerExtension(id: first.id).map(bytes) == first.data)
            }
            // Re-serializing the parsed fields gives the same bytes.
            var again = ByteBuffer()
            try again.writeRTPPacket(packet.headerFields, payload: packet.payload)
            #expect(bytes(again) == bytes(out))
        }
    }

    static func randomReport(_ rng: inout SplitMix64) -> RTCPReportBlock {
        RTCPReportBlock(
            ssrc: UInt32.random(in: .min ... .max, using: &rng),
            fractionLost: UInt8(rng.int(0...255)),
            cumulativeLost: Int32(rng.int(-0x80_0000...0x7F_FFFF)),
            extendedHighestSequenceNumber: UInt32.random(in: .min ... .max, using: &rng),
            jitter: UInt32.random(in: .min ... .max, using: &rng),
            lastSenderReport: UInt32.random(in: .min ... .max, using: &rng),
            delaySinceLastSenderReport: UInt32.random(in: .min ... .max, using: &rng)
        )
    }

    static func randomRTCP(_ rng: inout SplitMix64) -> RTCPPacket {
        func u32() -> UInt32 { UInt32.random(in: .min ... .max, using: &rng) }
        switch rng.int(0...10) {
        case 0:
            return .senderReport(
                RTCPSenderReport(
                    ssrc: u32(),
                    ntpTimestamp: UInt64.random(in: .min ... .max, using: &rng),
                    rtpTimestamp: u32(),
                    packetCount: u32(),
                    octetCount: u32(),
                    reports: (0..<rng.int(0...4)).map { _ in randomReport(&rng) },
                    profileExtension: rng.bytes(rng.int(0...2) * 4)
                )
            )
        case 1:
            return .receiverReport(
                RTCPReceiverReport(ssrc: u32(), reports: (0..<rng.int(0...31)).map { _ in randomReport(&rng) })
            )
        case 2:
            return .sourceDescription(
                RTCPSourceDescription(
                    chunks: (0..<rng.int(0...4)).map { _ in
                        .init(
                            ssrc: u32(),
                            items: (0..<rng.int(0...4)).map { _ in
                                .init(type: UInt8(rng.int(1...8)), value: rng.bytes(rng.int(0...40)))
                            }
                        )
                    }
                )
            )
        case 3:
            return .bye(
                RTCPBye(
                    sources: (0..<rng.int(0...5)).map { _ in u32() },
                    reason: rng.bool() ? nil : rng.bytes(rng.int(0...50))
                )
            )
        case 4:
            return .applicationDefined(
                RTCPApplicationDefined(
                    subtype: UInt8(rng.int(0...31)),
                    ssrc: u32(),
                    name: u32(),
                    data: rng.bytes(rng.int(0...3) * 4)
                )
            )
        case 5:
            return .genericNACK(
                RTCPGenericNACK(
                    senderSSRC: u32(),
                    mediaSSRC: u32(),
                    items: (0..<rng.int(1...5)).map { _ in
                        .init(packetID: UInt16(rng.int(0...65535)), lostBitmask: UInt16(rng.int(0...65535)))
                    }
                )
            )
        case 6:
            return .pictureLossIndication(RTCPPictureLossIndication(senderSSRC: u32(), mediaSSRC: u32()))
        case 7:
            return .fullIntraRequest(
                RTCPFullIntraRequest(
                    senderSSRC: u32(),
                    entries: (0..<rng.int(1...3)).map { _ in .init(ssrc: u32(), sequenceNumber: UInt8(rng.int(0...255)))
                    }
                )
            )
        case 8:
            return .receiverEstimatedMaximumBitrate(
                RTCPReceiverEstimatedMaximumBitrate(
                    senderSSRC: u32(),
                    exponent: UInt8(rng.int(0...63)),
                    mantissa: UInt32(rng.int(0...0x3_FFFF)),
                    ssrcs: (0..<rng.int(0...4)).map { _ in u32() }
                )
            )
        case 9:
            let packets: [Int16?] = (0..<rng.int(1...80)).map { _ in
                switch rng.int(0...5) {
                case 0: return nil
                case 1: return Int16.random(in: .min ... .max, using: &rng)
                default: return Int16(rng.int(0...255))
                }
            }
            return .transportCCFeedback(
                TransportCCFeedback(
                    senderSSRC: u32(),
                    mediaSSRC: u32(),
                    baseSequenceNumber: UInt16(rng.int(0...65535)),
                    referenceTime: Int32(rng.int(-0x80_0000...0x7F_FFFF)),
                    feedbackPacketCount: UInt8(rng.int(0...255)),
                    packets: packets
                )
            )
        default:
            // XR with random report-block bytes.
            var raw: [UInt8] = [0x80, 207, 0, 0]
            let words = rng.int(1...4)
            raw[3] = UInt8(words)
            raw += rng.bytes(words * 4)
            return .unknown(RTCPUnknownPacket(bytes: raw))
        }
    }

    @Test func randomRTCPCompoundsRoundTrip() throws {
        var rng = SplitMix64(seed: 0x5EED_0002)
        for _ in 0..<3000 {
            let packets = (0..<rng.int(1...5)).map { _ in Self.randomRTCP(&rng) }
            var out = ByteBuffer()
            try out.writeRTCPCompound(packets)
            let parsed = try RTCPPacket.parseCompound(out)
            #expect(parsed == packets)
            var again = ByteBuffer()
            try again.writeRTCPCompound(parsed)
            #expect(bytes(again) == bytes(out))
        }
    }

    /// Exercises every parser on `input`; only checks that nothing traps.
    static func exercise(_ input: [UInt8]) {
        let map = RTPHeaderExtensionMap(
            audioLevel: 1,
            absSendTime: 2,
            transportSequenceNumber: 3,
            mid: 4,
            rtpStreamID: 10,
            repairedRTPStreamID: 11
        )
        if let packet = try? RTPPacket(parsing: buffer(input)) {
            for element in packet.headerExtensions { _ = element.bytes }
            _ = try? packet.webRTCHeaderExtensions(using: map)
            _ = packet.headerFields
            let payload = packet.payload
            if let descriptor = try? VP8PayloadDescriptor(payload: payload) {
                _ = descriptor.isKeyframe(payload: payload)
            }
            if let toc = try? OpusTOC(payload: payload) { _ = try? toc.frameCount(payload: payload) }
            var out = ByteBuffer()
            _ = try? RTX.unwrap(packet, originalSSRC: 1, originalPayloadType: 96, into: &out)
            var copy = packet
            copy.rewriteHeader(ssrc: 1, sequenceNumber: 2, timestamp: 3, payloadType: 4, marker: true)
            var rewritten = ByteBuffer()
            if (try? rewritten.writeRTPPacket(packet.headerFields, payload: payload)) != nil {
                _ = try? RTPPacket(parsing: rewritten)
            }
        }
        var raw = buffer(input)
        _ = VP8PayloadDescriptor.rewrite(in: &raw, payloadStart: 0, pictureID: 1, tl0PictureIndex: 2)
        if let packets = try? RTCPPacket.parseCompound(buffer(input)) {
            var out = ByteBuffer()
            if (try? out.writeRTCPCompound(packets)) != nil { _ = try? RTCPPacket.parseCompound(out) }
            for packet in packets {
                if case .genericNACK(let nack) = packet { _ = nack.lostSequenceNumbers }
                if case .transportCCFeedback(let feedback) = packet { _ = feedback.packetResults }
            }
        }
    }

    @Test func randomMutationsNeverCrash() throws {
        var rng = SplitMix64(seed: 0x5EED_0003)
        for iteration in 0..<4000 {
            var input: [UInt8]
            if iteration % 2 == 0 {
                let (fields, payload) = Self.randomRTP(&rng)
                var out = ByteBuffer()
                try out.writeRTPPacket(fields, payload: payload)
                input = bytes(out)
            } else {
                var out = ByteBuffer()
                try out.writeRTCPCompound((0..<rng.int(1...3)).map { _ in Self.randomRTCP(&rng) })
                input = bytes(out)
            }
            for _ in 0..<rng.int(1...4) {
                guard !input.isEmpty else { break }
                let index = rng.int(0...(input.count - 1))
                switch rng.int(0...3) {
                case 0: input[index] = UInt8(rng.int(0...255))
                case 1: input[index] ^= 1 << UInt8(rng.int(0...7))
                case 2: input.removeLast(rng.int(0...min(8, input.count)))
                default: input.insert(UInt8(rng.int(0...255)), at: index)
                }
            }
            Self.exercise(input)
        }
        // Fully random short inputs too.
        for _ in 0..<4000 {
            Self.exercise(rng.bytes(rng.int(0...64)))
        }
    }
}
