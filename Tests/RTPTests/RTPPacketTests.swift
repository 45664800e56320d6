import NIOCore
import Testing

@testable import RTP

@Suite("RTP packets (RFC 3550 §5.1, RFC 8285)")
struct RTPPacketTests {
    @Test func fixedHeaderFieldByField() throws {
        // V=2 P=0 X=0 CC=2, M=1 PT=96, seq 0x1234, ts 0xDEADBEEF, ssrc 0x01020304, 2 CSRCs, 3-byte payload.
        let packet = try RTPPacket(
            parsing: buffer(hex("82 e0 1234 deadbeef 01020304 0a0b0c0d 0e0f1011 aabbcc"))
        )
        #expect(packet.header.hasPadding == false)
        #expect(packet.header.hasExtension == false)
        #expect(packet.header.csrcCount == 2)
        #expect(packet.header.marker == true)
        #expect(packet.header.payloadType == 96)
        #expect(packet.header.sequenceNumber == 0x1234)
        #expect(packet.header.timestamp == 0xDEAD_BEEF)
        #expect(packet.header.ssrc == 0x0102_0304)
        #expect(packet.csrc(at: 0) == 0x0A0B_0C0D)
        #expect(packet.csrc(at: 1) == 0x0E0F_1011)
        #expect(packet.csrc(at: 2) == nil)
        #expect(packet.header.payloadOffset == 20)
        #expect(bytes(packet.payload) == [0xAA, 0xBB, 0xCC])
        #expect(packet.header.packetLength == 23)
    }

    @Test func paddingIsExcludedFromPayload() throws {
        let packet = try RTPPacket(parsing: buffer(hex("a0 00 0001 00000001 00000002 1122 000003")))
        #expect(packet.header.hasPadding)
        #expect(packet.header.paddingLength == 3)
        #expect(bytes(packet.payload) == [0x11, 0x22])
    }

    @Test func rfc8285OneByteExample() throws {
        // RFC 8285 §4.2 figure: id 1 L=0 (1 byte), id 2 L=1 (2 bytes), two padding bytes, id 3 L=3 (4 bytes).
        let extensionBlock = hex("bede 0003  10 aa  21 bbbb  00 00  33 cccccccc")
        let packet = try RTPPacket(
            parsing: buffer(hex("90 60 0001 00000000 00000001") + extensionBlock + [0x99])
        )
        #expect(packet.header.extensionForm == .oneByte)
        #expect(packet.header.extensionDataLength == 12)
        let elements = packet.headerExtensions.map { ($0.id, $0.bytes) }
        #expect(elements.count == 3)
        #expect(elements[0].0 == 1 && elements[0].1 == [0xAA])
        #expect(elements[1].0 == 2 && elements[1].1 == [0xBB, 0xBB])
        #expect(elements[2].0 == 3 && elements[2].1 == [0xCC, 0xCC, 0xCC, 0xCC])
        #expect(packet.headerExtension(id: 3).map(bytes) == [0xCC, 0xCC, 0xCC, 0xCC])
        #expect(packet.headerExtension(id: 4) == nil)
        #expect(bytes(packet.payload) == [0x99])
    }

    @Test func rfc8285TwoByteExample() throws {
        // RFC 8285 §4.3 figure: id 1 L=0, id 2 L=1, one padding byte, id 3 L=4.
        let extensionBlock = hex("1000 0003  01 00  02 01 bb  00  03 04 cccccccc")
        let packet = try RTPPacket(parsing: buffer(hex("90 60 0001 00000000 00000001") + extensionBlock))
        #expect(packet.header.extensionForm == .twoByte(appBits: 0))
        let elements = packet.headerExtensions.map { ($0.id, $0.bytes) }
        #expect(elements.count == 3)
        #expect(elements[0].0 == 1 && elements[0].1.isEmpty)
        #expect(elements[1].0 == 2 && elements[1].1 == [0xBB])
        #expect(elements[2].0 == 3 && elements[2].1 == [0xCC, 0xCC, 0xCC, 0xCC])
        #expect(packet.header.payloadLength == 0)
    }

    @Test func oneByteIDFifteenStopsProcessing() throws {
        let packet = try RTPPacket(parsing: buffer(hex("90 60 0001 00000000 00000001 bede 0001 10aa f0 00")))
        #expect(packet.headerExtensions.map(\.id) == [1])
    }

    @Test func payloadIsAZeroCopySlice() throws {
        var original = ByteBufferAllocator().buffer(capacity: 64)
        try original.writeRTPPacket(
            RTPHeaderFields(payloadType: 111, sequenceNumber: 7, timestamp: 960, ssrc: 42),
            payload: [1, 2, 3, 4]
        )
        let packet = try RTPPacket(parsing: original)
        let payload = packet.payload
        let sameStorage = original.withUnsafeReadableBytes { whole in
            payload.withUnsafeReadableBytes { part in
                part.baseAddress == whole.baseAddress.map { $0 + 12 }
            }
        }
        #expect(sameStorage)
    }

    @Test func typedWebRTCExtensionsRoundTrip() throws {
        let map = RTPHeaderExtensionMap(
            audioLevel: 1,
            absSendTime: 2,
            transportSequenceNumber: 3,
            mid: 4,
            rtpStreamID: 10,
            repairedRTPStreamID: 11
        )
        let fields = RTPHeaderFields(
            payloadType: 96,
            sequenceNumber: 1,
            timestamp: 2,
            ssrc: 3,
            extensions: .oneByte([
                .audioLevel(AudioLevel(voiceActivity: true, level: 42), id: 1),
                .absSendTime(AbsoluteSendTime(rawValue: 0x12_3456), id: 2),
                .transportSequenceNumber(0xBEEF, id: 3),
                .sdes("0", id: 4),
                .sdes("h", id: 10),
                .sdes("f", id: 11),
            ])
        )
        var out = ByteBuffer()
        try out.writeRTPPacket(fields, payload: [0xFF])
        let packet = try RTPPacket(parsing: out)
        let decoded = try packet.webRTCHeaderExtensions(using: map)
        #expect(decoded.audioLevel == AudioLevel(voiceActivity: true, level: 42))
        #expect(decoded.absSendTime?.rawValue == 0x12_3456)
        #expect(decoded.transportSequenceNumber == 0xBEEF)
        #expect(decoded.mid == "0")
        #expect(decoded.rtpStreamID == "h")
        #expect(decoded.repairedRTPStreamID == "f")
        #expect(try packet.audioLevel(id: 1)?.level == 42)
        #expect(try packet.transportSequenceNumber(id: 3) == 0xBEEF)
        #expect(try packet.absSendTime(id: nil) == nil)
        #expect(packet.headerFields == fields)
    }

    @Test func extensionWriterBuildsTheSameBlockAsFields() throws {
        var viaWriter = ByteBuffer()
        viaWriter.writeRTPFixedHeader(
            extension: true,
            marker: false,
            payloadType: 111,
            sequenceNumber: 1,
            timestamp: 2,
            ssrc: 3
        )
        let writer = RTPHeaderExtensionBlockWriter.begin(form: .oneByte, in: &viaWriter)
        try writer.appendAudioLevel(AudioLevel(voiceActivity: false, level: 127), id: 1, to: &viaWriter)
        try writer.appendTransportSequenceNumber(513, id: 3, to: &viaWriter)
        try writer.appendSDES("audio", id: 4, to: &viaWriter)
        try writer.finish(in: &viaWriter)

        var viaFields = ByteBuffer()
        try viaFields.writeRTPPacket(
            RTPHeaderFields(
                payloadType: 111,
                sequenceNumber: 1,
                timestamp: 2,
                ssrc: 3,
                extensions: .oneByte([
                    .audioLevel(AudioLevel(voiceActivity: false, level: 127), id: 1),
                    .transportSequenceNumber(513, id: 3),
                    .sdes("audio", id: 4),
                ])
            ),
            payload: [UInt8]()
        )
        #expect(bytes(viaWriter) == bytes(viaFields))
        #expect(viaWriter.readableBytes % 4 == 0)
    }

    @Test func absSendTimeFixedPoint() {
        // 1.5 s → seconds 1 << 18 | 0.5 × 2^18.
        let value = AbsoluteSendTime(nanoseconds: 1_500_000_000)
        #expect(value.rawValue == (1 << 18) | (1 << 17))
        #expect(value.nanoseconds == 1_500_000_000)
        // Wraps at 64 s.
        #expect(AbsoluteSendTime(nanoseconds: 65_000_000_000).rawValue == 1 << 18)
    }

    @Test func rewriteInPlace() throws {
        var packet = try RTPPacket(parsing: buffer(hex("90 60 0001 00000002 00000003 bede 0001 2100 05 00 aa")))
        packet.rewriteHeader(ssrc: 0xCAFE_BABE, sequenceNumber: 0xFFFF, timestamp: 9, payloadType: 100, marker: true)
        let overwritten = packet.overwriteHeaderExtension(id: 2, with: [0x12, 0x34])
        let wrongLength = packet.overwriteHeaderExtension(id: 2, with: [0x12])
        #expect(overwritten)
        #expect(!wrongLength)
        let reparsed = try RTPPacket(parsing: packet.bytes)
        #expect(reparsed.header.ssrc == 0xCAFE_BABE)
        #expect(reparsed.header.sequenceNumber == 0xFFFF)
        #expect(reparsed.header.timestamp == 9)
        #expect(reparsed.header.payloadType == 100)
        #expect(reparsed.header.marker)
        #expect(reparsed.headerExtension(id: 2).map(bytes) == [0x12, 0x34])
        #expect(bytes(reparsed.payload) == [0xAA])
        #expect(reparsed.header == packet.header)

        var raw = buffer(hex("80 60 0001 00000002 00000003"))
        let rewritten = raw.rewriteRTPHeader(packetStart: 0, sequenceNumber: 2)
        #expect(rewritten)
        #expect(raw.getInteger(at: 2, as: UInt16.self) == 2)
        let tooShort = raw.rewriteRTPHeader(packetStart: 1, sequenceNumber: 2)
        #expect(!tooShort)
    }

    static let malformed: [(String, [UInt8], RTPParseError)] = [
        ("empty", [], .truncatedFixedHeader(length: 0)),
        ("11 bytes", hex("80 60 0001 00000002 000000"), .truncatedFixedHeader(length: 11)),
        ("version 1", hex("40 60 0001 00000002 00000003"), .unsupportedVersion(1)),
        ("version 0", hex("00 60 0001 00000002 00000003"), .unsupportedVersion(0)),
        ("CSRC list cut", hex("82 60 0001 00000002 00000003 00000004"), .truncatedCSRCList(csrcCount: 2, available: 4)),
        ("extension header cut", hex("90 60 0001 00000002 00000003 bede"), .truncatedExtensionHeader),
        (
            "extension length too long", hex("90 60 0001 00000002 00000003 bede 0002 10aa0000"),
            .extensionLengthExceedsPacket(declaredBytes: 8, available: 4)
        ),
        (
            "one-byte element overrun", hex("90 60 0001 00000002 00000003 bede 0001 13 aabbcc"),
            .extensionElementOverrunsBlock(id: 1)
        ),
        (
            "two-byte element overrun", hex("90 60 0001 00000002 00000003 1000 0001 05 04 aabb"),
            .extensionElementOverrunsBlock(id: 5)
        ),
        (
            "two-byte element without length", hex("90 60 0001 00000002 00000003 1000 0001 000000 07"),
            .extensionElementOverrunsBlock(id: 7)
        ),
        ("padding zero", hex("a0 60 0001 00000002 00000003 aa00"), .invalidPaddingLength(padding: 0, available: 2)),
        ("padding too long", hex("a0 60 0001 00000002 00000003 aa05"), .invalidPaddingLength(padding: 5, available: 2)),
        ("padding without bytes", hex("a0 60 0001 00000002 00000003"), .invalidPaddingLength(padding: 0, available: 0)),
    ]

    @Test(arguments: 0..<malformed.count)
    func malformedInputs(_ index: Int) {
        let (name, input, expected) = Self.malformed[index]
        #expect(throws: expected, "\(name)") { try RTPPacket(parsing: buffer(input)) }
        do {
            _ = try RTPPacket(parsing: buffer(input))
        } catch {
            #expect(!"\(error)".isEmpty)
        }
    }

    @Test func malformedTypedExtensions() throws {
        let packet = try RTPPacket(parsing: buffer(hex("90 60 0001 00000002 00000003 bede 0001 11 aabb 00")))
        #expect(throws: RTPParseError.invalidExtensionLength(.audioLevel, length: 2)) {
            try packet.audioLevel(id: 1)
        }
        #expect(throws: RTPParseError.invalidExtensionLength(.absSendTime, length: 2)) {
            try packet.absSendTime(id: 1)
        }
        let short = try RTPPacket(parsing: buffer(hex("90 60 0001 00000002 00000003 bede 0001 30 aa 0000")))
        #expect(throws: RTPParseError.invalidExtensionLength(.transportSequenceNumber, length: 1)) {
            try short.transportSequenceNumber(id: 3)
        }
    }

    @Test func serializationErrors() {
        var out = ByteBuffer()
        #expect(throws: RTPSerializationError.tooManyCSRCs(16)) {
            try out.writeRTPPacket(
                RTPHeaderFields(
                    payloadType: 1,
                    sequenceNumber: 1,
                    timestamp: 1,
                    ssrc: 1,
                    csrcs: Array(repeating: 1, count: 16)
                ),
                payload: [UInt8]()
            )
        }
        #expect(throws: RTPSerializationError.invalidOneByteElement(id: 15, length: 1)) {
            try out.writeRTPPacket(
                RTPHeaderFields(
                    payloadType: 1,
                    sequenceNumber: 1,
                    timestamp: 1,
                    ssrc: 1,
                    extensions: .oneByte([.init(id: 15, data: [1])])
                ),
                payload: [UInt8]()
            )
        }
        #expect(throws: RTPSerializationError.invalidPaddingLength(256)) {
            try out.writeRTPPacket(
                RTPHeaderFields(payloadType: 1, sequenceNumber: 1, timestamp: 1, ssrc: 1, paddingLength: 256),
                payload: [UInt8]()
            )
        }
        #expect(out.readableBytes == 0)
    }
}
