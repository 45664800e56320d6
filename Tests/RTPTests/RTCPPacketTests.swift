import NIOCore
import Testing

@testable import RTP

@Suite("RTCP packets (RFC 3550 §6, RFC 4585, RFC 5104, REMB, transport-cc)")
struct RTCPPacketTests {
    static func roundTrip(_ packets: [RTCPPacket]) throws -> [RTCPPacket] {
        var out = ByteBuffer()
        try out.writeRTCPCompound(packets)
        let parsed = try RTCPPacket.parseCompound(out)
        var again = ByteBuffer()
        try again.writeRTCPCompound(parsed)
        #expect(bytes(again) == bytes(out))
        return parsed
    }

    static let report = RTCPReportBlock(
        ssrc: 0x1111_1111,
        fractionLost: 64,
        cumulativeLost: -3,
        extendedHighestSequenceNumber: 0x0001_0005,
        jitter: 77,
        lastSenderReport: 0x1234_5678,
        delaySinceLastSenderReport: 0x0001_0000
    )

    @Test func senderReportFieldByField() throws {
        let input = hex(
            """
            81 c8 000c  00000001  e0b1c2d3 a1b2c3d4  00003e80  0000000a  00000640
            11111111 40 fffffd 00010005 0000004d 12345678 00010000
            """
        )
        let packets = try RTCPPacket.parseCompound(buffer(input))
        guard case .senderReport(let sr) = packets.first else {
            Issue.record("not an SR: \(packets)")
            return
        }
        #expect(sr.ssrc == 1)
        #expect(sr.ntpTimestamp == 0xE0B1_C2D3_A1B2_C3D4)
        #expect(sr.compactNTPTimestamp == 0xC2D3_A1B2)
        #expect(sr.rtpTimestamp == 16000)
        #expect(sr.packetCount == 10)
        #expect(sr.octetCount == 1600)
        #expect(sr.reports == [Self.report])
        var out = ByteBuffer()
        try out.writeRTCPCompound(packets)
        #expect(bytes(out) == input)
    }

    @Test func everyTypeRoundTrips() throws {
        let packets: [RTCPPacket] = [
            .senderReport(
                RTCPSenderReport(
                    ssrc: 1,
                    ntpTimestamp: 2,
                    rtpTimestamp: 3,
                    packetCount: 4,
                    octetCount: 5,
                    reports: [Self.report]
                )
            ),
            .receiverReport(
                RTCPReceiverReport(ssrc: 9, reports: [Self.report, Self.report], profileExtension: [1, 2, 3, 4])
            ),
            .receiverReport(RTCPReceiverReport(ssrc: 9)),
            .sourceDescription(
                RTCPSourceDescription(chunks: [
                    .init(ssrc: 1, items: [.init(type: RTCPSourceDescription.Item.cname, text: "user@example")]),
                    .init(ssrc: 2, items: [.init(type: 1, text: "abc"), .init(type: 6, text: "tool")]),
                    .init(ssrc: 3, items: []),
                ])
            ),
            .bye(RTCPBye(sources: [1, 2], reason: "shutting down")),
            .bye(RTCPBye(sources: [3])),
            .applicationDefined(RTCPApplicationDefined(subtype: 3, ssrc: 7, name: "TEST", data: [1, 2, 3, 4])),
            .genericNACK(RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: [10, 11, 26, 27, 100])),
            .pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 2)),
            .fullIntraRequest(RTCPFullIntraRequest(senderSSRC: 1, entries: [.init(ssrc: 5, sequenceNumber: 9)])),
            .receiverEstimatedMaximumBitrate(
                RTCPReceiverEstimatedMaximumBitrate(senderSSRC: 1, bitrate: 1_500_000, ssrcs: [0xAAAA, 0xBBBB])
            ),
            .transportCCFeedback(
                TransportCCFeedback(
                    senderSSRC: 1,
                    mediaSSRC: 2,
                    baseSequenceNumber: 65530,
                    referenceTime: -5,
                    feedbackPacketCount: 3,
                    packets: [4, nil, 300, -2, 0, nil, nil, 255]
                )
            ),
            .unknown(RTCPUnknownPacket(bytes: hex("80 cf 0002 00000001 04000000"))),
        ]
        let parsed = try Self.roundTrip(packets)
        #expect(parsed == packets)
    }

    @Test func sdesPaddingAndCNAME() throws {
        // One chunk, CNAME "ab": ssrc + 01 02 'a' 'b' + 00 (null) + 3 pad → 12-byte body.
        let input = hex("81 ca 0003 00000005 0102 6162 00000000")
        let packets = try RTCPPacket.parseCompound(buffer(input))
        guard case .sourceDescription(let sdes) = packets.first else {
            Issue.record("not SDES")
            return
        }
        #expect(sdes.chunks.first?.cname == "ab")
        var out = ByteBuffer()
        try out.writeRTCPCompound(packets)
        #expect(bytes(out) == input)
    }

    @Test func byeReason() throws {
        let input = hex("81 cb 0003 00000005 04 62796521 000000")
        guard case .bye(let bye) = try RTCPPacket.parseCompound(buffer(input)).first else {
            Issue.record("not BYE")
            return
        }
        #expect(bye.sources == [5])
        #expect(bye.reasonText == "bye!")
    }

    @Test func nackExpansionAndConstruction() throws {
        // PID 100, BLP 0b1000_0000_0000_0101 → 100, 101, 103, 116.
        let input = hex("81 cd 0003 00000001 00000002 0064 8005")
        guard case .genericNACK(let nack) = try RTCPPacket.parseCompound(buffer(input)).first else {
            Issue.record("not NACK")
            return
        }
        #expect(nack.lostSequenceNumbers == [100, 101, 103, 116])
        let rebuilt = RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: [100, 101, 103, 116])
        #expect(rebuilt.items == [.init(packetID: 100, lostBitmask: 0x8005)])
        // Across the wrap: 65534, 65535, 0, 1 share one item; 17 after the PID starts a new one.
        let wrapped = RTCPGenericNACK(
            senderSSRC: 1,
            mediaSSRC: 2,
            lostSequenceNumbers: [65534, 65535, 0, 1, 14, 17, 40]
        )
        #expect(
            wrapped.items == [.init(packetID: 65534, lostBitmask: 0x8007), .init(packetID: 17), .init(packetID: 40)]
        )
        #expect(wrapped.lostSequenceNumbers == [65534, 65535, 0, 1, 14, 17, 40])
    }

    @Test func pliAndFIRFieldByField() throws {
        let input = hex("81 ce 0002 00000001 00000002  84 ce 0004 00000001 00000000 00000009 07000000")
        let packets = try RTCPPacket.parseCompound(buffer(input))
        #expect(
            packets == [
                .pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 2)),
                .fullIntraRequest(
                    RTCPFullIntraRequest(senderSSRC: 1, mediaSSRC: 0, entries: [.init(ssrc: 9, sequenceNumber: 7)])
                ),
            ]
        )
    }

    @Test func rembExponentMantissa() throws {
        // draft-alvestrand-rmcat-remb: "REMB", 1 SSRC, exp 2, mantissa 0x3_0D40 (200000) → 800000 bps.
        let input = hex("8f ce 0005 00000001 00000000 52454d42 010b0d40 12345678")
        guard case .receiverEstimatedMaximumBitrate(let remb) = try RTCPPacket.parseCompound(buffer(input)).first else {
            Issue.record("not REMB")
            return
        }
        #expect(remb.exponent == 2)
        #expect(remb.mantissa == 0x3_0D40)
        #expect(remb.bitrate == 800_000)
        #expect(remb.ssrcs == [0x1234_5678])
        #expect(RTCPReceiverEstimatedMaximumBitrate(senderSSRC: 1, bitrate: 800_000, ssrcs: []).mantissa == 200_000)
        #expect(
            RTCPReceiverEstimatedMaximumBitrate(senderSSRC: 1, exponent: 63, mantissa: 0x3_FFFF, ssrcs: []).bitrate
                == .max
        )
    }

    @Test func transportCCDraftChunkExamples() throws {
        // draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1.3: run of 221 "not received".
        let run = try TransportCCFeedback.PacketChunk(rawValue: 0b0_00_0000011011101)
        #expect(run == .runLength(.notReceived, length: 221))
        // §3.1.4 example: 1-bit vector |1|0|0 1 1 1 1 1 0 0 0 1 1 1 0 0|.
        let vector = try TransportCCFeedback.PacketChunk(rawValue: 0b1_0_01111100011100)
        let statuses = (0..<14).compactMap { vector.status(at: $0) }
        #expect(statuses.map(\.rawValue) == [0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0])
        // 2-bit vector |1|1|00 01 10 00 00 00 01| is "not received, small, large, ...".
        let two = try TransportCCFeedback.PacketChunk(rawValue: 0b1_1_00011000000001)
        #expect((0..<7).compactMap { two.status(at: $0)?.rawValue } == [0, 1, 2, 0, 0, 0, 1])
        #expect(throws: RTCPParseError.transportCCReservedSymbol) {
            try TransportCCFeedback.PacketChunk(rawValue: 0b0_11_0000000000001)
        }
    }

    @Test func transportCCHandBuiltPacket() throws {
        // Base seq 5, 4 statuses: received small (delta 4 = 1 ms), not received, received large (delta 1000),
        // received small (delta 0); reference time 0x000102 × 64 ms, fb count 7.
        // Chunk: 2-bit vector 01 00 10 01 00 00 00 → 0xC000 | 0b01001001000000 = 0xD240.
        // Deltas: 04, 03e8, 00 → 4 bytes; body 16 + 2 + 4 = 22 → 2 bytes padding with P bit.
        let input = hex("af cd 0006 00000001 00000002 0005 0004 00010207 d240 04 03e8 00 0002")
        let packets = try RTCPPacket.parseCompound(buffer(input))
        guard case .transportCCFeedback(let feedback) = packets.first else {
            Issue.record("not TWCC: \(packets)")
            return
        }
        #expect(feedback.baseSequenceNumber == 5)
        #expect(feedback.packetStatusCount == 4)
        #expect(feedback.referenceTime == 0x102)
        #expect(feedback.referenceTimeMicroseconds == 0x102 * 64_000)
        #expect(feedback.feedbackPacketCount == 7)
        #expect(feedback.receiveDeltas == [4, 1000, 0])
        #expect(
            feedback.packetResults == [
                .init(sequenceNumber: 5, receiveDelta: 4), .init(sequenceNumber: 6, receiveDelta: nil),
                .init(sequenceNumber: 7, receiveDelta: 1000), .init(sequenceNumber: 8, receiveDelta: 0),
            ]
        )
        var out = ByteBuffer()
        try out.writeRTCPCompound(packets)
        #expect(bytes(out) == input)
    }

    @Test func transportCCEncoderChoosesValidChunks() throws {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<300 {
            let count = rng.int(1...400)
            var packets: [Int16?] = []
            for _ in 0..<count {
                switch rng.int(0...9) {
                case 0...2: packets.append(nil)
                case 3: packets.append(Int16.random(in: .min ... .max, using: &rng))
                default: packets.append(Int16(rng.int(0...255)))
                }
            }
            let feedback = TransportCCFeedback(
                senderSSRC: 1,
                mediaSSRC: 2,
                baseSequenceNumber: UInt16(rng.int(0...65535)),
                referenceTime: Int32(rng.int(-0x80_0000...0x7F_FFFF)),
                feedbackPacketCount: UInt8(rng.int(0...255)),
                packets: packets
            )
            #expect(feedback.packetResults.map(\.receiveDelta) == packets)
            let parsed = try Self.roundTrip([.transportCCFeedback(feedback)])
            #expect(parsed == [.transportCCFeedback(feedback)])
        }
        // A long run uses run-length chunks.
        let long = TransportCCFeedback(
            senderSSRC: 1,
            mediaSSRC: 2,
            baseSequenceNumber: 0,
            referenceTime: 0,
            feedbackPacketCount: 0,
            packets: Array(repeating: 1, count: 1000)
        )
        #expect(long.chunks == [.runLength(.receivedSmallDelta, length: 1000)])
    }

    static let malformed: [(String, [UInt8], RTCPParseError)] = [
        ("empty", [], .truncatedHeader(available: 0)),
        ("3 bytes", hex("80 c9 00"), .truncatedHeader(available: 3)),
        ("version 1", hex("41 c9 0001 00000001"), .unsupportedVersion(1)),
        (
            "length too long", hex("80 c9 0005 00000001"),
            .lengthExceedsBuffer(packetType: 201, declared: 24, available: 8)
        ),
        ("padding zero", hex("a0 c9 0001 00000000"), .invalidPadding(packetType: 201, padding: 0, bodyLength: 4)),
        ("padding too long", hex("a0 c9 0001 00000009"), .invalidPadding(packetType: 201, padding: 9, bodyLength: 4)),
        ("RR missing block", hex("81 c9 0001 00000001"), .truncatedBody(packetType: 201, needed: 28, available: 4)),
        ("SR too short", hex("80 c8 0001 00000001"), .truncatedBody(packetType: 200, needed: 24, available: 4)),
        ("SDES item overrun", hex("81 ca 0002 00000001 0109 6162"), .malformedSourceDescription),
        ("SDES missing terminator", hex("81 ca 0002 00000001 01026162"), .malformedSourceDescription),
        ("BYE reason overrun", hex("81 cb 0002 00000001 09616263"), .malformedByeReason),
        (
            "NACK without items", hex("81 cd 0002 00000001 00000002"),
            .invalidFeedbackLength(packetType: 205, format: 1, length: 0)
        ),
        (
            "PLI with FCI", hex("81 ce 0003 00000001 00000002 00000000"),
            .invalidFeedbackLength(packetType: 206, format: 1, length: 4)
        ),
        (
            "FIR half entry", hex("84 ce 0003 00000001 00000000 00000009"),
            .invalidFeedbackLength(packetType: 206, format: 4, length: 4)
        ),
        (
            "REMB count mismatch", hex("8f ce 0005 00000001 00000000 52454d42 020b0d40 12345678"),
            .rembSSRCCountMismatch(declared: 2, available: 1)
        ),
        (
            "TWCC chunks cut", hex("8f cd 0004 00000001 00000002 0000 0020 00000001"),
            .transportCCTruncatedChunks(statusCount: 32, covered: 0)
        ),
        (
            "TWCC deltas cut", hex("8f cd 0005 00000001 00000002 0000 0003 00000001 2003 0102"),
            .transportCCTruncatedDeltas(expected: 3, decoded: 2)
        ),
        ("TWCC reserved", hex("8f cd 0005 00000001 00000002 0000 0003 00000001 6003 0000"), .transportCCReservedSymbol),
        (
            "TWCC trailing", hex("8f cd 0006 00000001 00000002 0000 0001 00000001 2001 0100 00000000"),
            .transportCCTrailingBytes(5)
        ),
        (
            "second packet cut", hex("80 c9 0001 00000001 80 c9 0001"),
            .lengthExceedsBuffer(packetType: 201, declared: 8, available: 4)
        ),
        ("second header cut", hex("80 c9 0001 00000001 80 c9 00"), .truncatedHeader(available: 3)),
    ]

    @Test(arguments: 0..<malformed.count)
    func malformedInputs(_ index: Int) {
        let (name, input, expected) = Self.malformed[index]
        #expect(throws: expected, "\(name)") { try RTCPPacket.parseCompound(buffer(input)) }
    }

    @Test func unknownTypesAreKeptVerbatim() throws {
        // XR (207) and a TMMBR (205/3) pass through byte for byte, padding included.
        let input = hex("80 cf 0002 00000001 04000000  a3 cd 0003 00000001 00000002 00000004")
        let packets = try RTCPPacket.parseCompound(buffer(input))
        #expect(packets.count == 2)
        var out = ByteBuffer()
        try out.writeRTCPCompound(packets)
        #expect(bytes(out) == input)
    }

    @Test func compoundReaderViews() throws {
        var reader = RTCPCompoundReader(buffer(hex("81 ce 0002 00000001 00000002  80 c9 0001 00000003")))
        let first = try reader.next()
        #expect(first?.packetType == 206)
        #expect(first?.countOrFormat == 1)
        #expect(first?.senderSSRC == 1)
        #expect(first?.mediaSSRC == 2)
        let second = try reader.next()
        #expect(second?.packetType == 201)
        #expect(second?.senderSSRC == 3)
        #expect(try reader.next() == nil)
    }

    @Test func rtcpMuxDemultiplexing() {
        #expect(RTCPPacketType.isRTCP(buffer(hex("80 c8 0006"))))
        #expect(RTCPPacketType.isRTCP(buffer(hex("8f cd 0004"))))
        #expect(!RTCPPacketType.isRTCP(buffer(hex("80 60 0001"))))  // RTP PT 96
        #expect(!RTCPPacketType.isRTCP(buffer(hex("80 e0 0001"))))  // RTP PT 96 with marker
        #expect(!RTCPPacketType.isRTCP(buffer(hex("00 01 0000"))))  // STUN
        #expect(!RTCPPacketType.isRTCP(buffer([0x80])))
    }

    @Test func serializationErrors() {
        var out = ByteBuffer()
        #expect(throws: RTCPSerializationError.emptyFeedback) {
            try out.writeRTCPCompound([.genericNACK(RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 2, items: []))])
        }
        #expect(throws: RTCPSerializationError.unalignedData(3)) {
            try out.writeRTCPCompound([
                .applicationDefined(RTCPApplicationDefined(subtype: 0, ssrc: 1, name: 0, data: [1, 2, 3]))
            ])
        }
        #expect(throws: RTCPSerializationError.transportCCInconsistent) {
            let bad = TransportCCFeedback(
                senderSSRC: 1,
                mediaSSRC: 2,
                baseSequenceNumber: 0,
                packetStatusCount: 3,
                referenceTime: 0,
                feedbackPacketCount: 0,
                chunks: [.runLength(.receivedSmallDelta, length: 3)],
                receiveDeltas: [1]
            )
            try out.writeRTCPCompound([.transportCCFeedback(bad)])
        }
        #expect(out.readableBytes == 0)
    }
}
