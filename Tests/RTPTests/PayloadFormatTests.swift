import NIOCore
import Testing

@testable import RTP

@Suite("RTX (RFC 4588), VP8 (RFC 7741), Opus (RFC 7587)")
struct PayloadFormatTests {
    @Test func vp8DescriptorAllExtensions() throws {
        // X=1 N=1 S=1 PID=0; I L T K; M=1 picture id 0x1234; TL0PICIDX 0x56; TID=2 Y=1 KEYIDX=5; VP8 header 0x10.
        let payload = buffer(hex("b0 f0 9234 56 a5 10 0000"))
        let descriptor = try VP8PayloadDescriptor(payload: payload)
        #expect(descriptor.isNonReference)
        #expect(descriptor.isStartOfPartition)
        #expect(descriptor.partitionIndex == 0)
        #expect(descriptor.pictureID == 0x1234)
        #expect(descriptor.pictureIDIs15Bit)
        #expect(descriptor.tl0PictureIndex == 0x56)
        #expect(descriptor.temporalLayerID == 2)
        #expect(descriptor.layerSync)
        #expect(descriptor.keyIndex == 5)
        #expect(descriptor.size == 6)
        #expect(descriptor.isKeyframe(payload: payload))
        var out = ByteBuffer()
        descriptor.write(to: &out)
        #expect(bytes(out) == Array(hex("b0 f0 9234 56 a5")))
    }

    @Test func vp8SevenBitPictureIDAndKeyframeRule() throws {
        let keyframe = buffer(hex("90 80 05 70 00 9d012a"))  // S=1 PID=0, I=1 7-bit id 5, VP8 frame tag P bit 0
        let descriptor = try VP8PayloadDescriptor(payload: keyframe)
        #expect(descriptor.pictureID == 5)
        #expect(!descriptor.pictureIDIs15Bit)
        #expect(VP8PayloadDescriptor.isKeyframe(payload: keyframe))
        #expect(!VP8PayloadDescriptor.isKeyframe(payload: buffer(hex("90 80 05 9d"))))  // P bit set: interframe
        #expect(!VP8PayloadDescriptor.isKeyframe(payload: buffer(hex("90 80 05 01"))))  // P bit set: interframe
        #expect(!VP8PayloadDescriptor.isKeyframe(payload: buffer(hex("80 80 05 00"))))  // S=0
        #expect(!VP8PayloadDescriptor.isKeyframe(payload: buffer(hex("11 00"))))  // PID=1
        #expect(VP8PayloadDescriptor.isKeyframe(payload: buffer(hex("10 00"))))  // no extensions
    }

    @Test func vp8MalformedDescriptors() {
        for input in ["", "80", "80 80", "80 80 80", "80 40", "80 20", "10"] {
            #expect(throws: RTPParseError.truncatedVP8PayloadDescriptor, "\(input)") {
                try VP8PayloadDescriptor(payload: buffer(hex(input)))
            }
        }
    }

    @Test func vp8RewriteInPlaceAndLayerSwitch() throws {
        var packet = buffer(hex("90 c0 8010 20 9d"))  // 15-bit id 16, TL0 32
        let rewrote = VP8PayloadDescriptor.rewrite(
            in: &packet,
            payloadStart: 0,
            pictureID: 0x7FFF,
            tl0PictureIndex: 200
        )
        #expect(rewrote)
        let rewritten = try VP8PayloadDescriptor(payload: packet)
        #expect(rewritten.pictureID == 0x7FFF)
        #expect(rewritten.tl0PictureIndex == 200)
        var noTL0 = buffer(hex("90 80 05 00"))
        let rewroteMissing = VP8PayloadDescriptor.rewrite(in: &noTL0, payloadStart: 0, tl0PictureIndex: 1)
        #expect(!rewroteMissing)

        var rewriter = VP8PictureIDRewriter()
        // Layer A: ids 100, 101; TL0 10, 11.
        func step(_ picture: UInt16, _ tl0: UInt8, _ switching: Bool = false) -> [Int] {
            let mapped = rewriter.map(pictureID: picture, tl0PictureIndex: tl0, switchingSource: switching)
            return [Int(mapped.pictureID ?? 0xFFFF), Int(mapped.tl0PictureIndex ?? 0)]
        }
        #expect(step(100, 10) == [100, 10])
        #expect(step(101, 11) == [101, 11])
        // Switch to layer B whose numbering is elsewhere: output continues at 102 / 12.
        #expect(step(32000, 250, true) == [102, 12])
        #expect(step(32001, 251) == [103, 13])
        // Wraps modulo 2^15 and 2^8: B's 0 follows B's 32767.
        #expect(step(32767, 252) == [(32767 + 870) & 0x7FFF, 14])
        #expect(step(0, 253) == [870, 15])
    }

    @Test func opusTOC() throws {
        // config 31 (CELT FB 20 ms), stereo, code 3 with 4 frames.
        let payload = buffer([0xFF, 0x04, 0xAA])
        let toc = try OpusTOC(payload: payload)
        #expect(toc.configuration == 31)
        #expect(toc.isStereo)
        #expect(toc.frameCountCode == 3)
        #expect(toc.mode == .celt)
        #expect(toc.bandwidth == .fullband)
        #expect(toc.frameDurationMicroseconds == 20_000)
        #expect(try toc.frameCount(payload: payload) == 4)
        // config 15 (hybrid FB 20 ms), mono, 1 frame: 0x78 (WebRTC's usual TOC).
        let common = OpusTOC(byte: 0x78)
        #expect(common.configuration == 15)
        #expect(common.mode == .hybrid)
        #expect(common.frameDurationMicroseconds == 20_000)
        #expect(!common.isStereo)
        #expect(try common.frameCount(payload: buffer([0x78])) == 1)
        #expect(OpusTOC(byte: 3 << 3).frameDurationMicroseconds == 60_000)
        #expect(OpusTOC(byte: 16 << 3).frameDurationMicroseconds == 2_500)
        #expect(throws: RTPParseError.truncatedOpusPayload) { try OpusTOC(payload: ByteBuffer()) }
        #expect(throws: RTPParseError.truncatedOpusPayload) {
            try OpusTOC(byte: 0x03).frameCount(payload: buffer([0x03]))
        }
    }

    @Test func rtxWrapAndUnwrap() throws {
        var original = ByteBuffer()
        try original.writeRTPPacket(
            RTPHeaderFields(
                marker: true,
                payloadType: 96,
                sequenceNumber: 1000,
                timestamp: 90000,
                ssrc: 0xAAAA,
                extensions: .oneByte([.transportSequenceNumber(7, id: 3)]),
                paddingLength: 4
            ),
            payload: [1, 2, 3]
        )
        let originalPacket = try RTPPacket(parsing: original)
        var rtx = ByteBuffer()
        RTX.wrap(originalPacket, rtxSSRC: 0xBBBB, rtxSequenceNumber: 5, rtxPayloadType: 97, into: &rtx)
        let rtxPacket = try RTPPacket(parsing: rtx)
        #expect(rtxPacket.header.ssrc == 0xBBBB)
        #expect(rtxPacket.header.sequenceNumber == 5)
        #expect(rtxPacket.header.payloadType == 97)
        #expect(rtxPacket.header.marker)
        #expect(!rtxPacket.header.hasPadding)
        #expect(try RTX.originalSequenceNumber(of: rtxPacket) == 1000)
        #expect(bytes(rtxPacket.payload) == [0x03, 0xE8, 1, 2, 3])

        var restored = ByteBuffer()
        try RTX.unwrap(rtxPacket, originalSSRC: 0xAAAA, originalPayloadType: 96, into: &restored)
        let restoredPacket = try RTPPacket(parsing: restored)
        var expectedFields = originalPacket.headerFields
        expectedFields.paddingLength = 0
        #expect(restoredPacket.headerFields == expectedFields)
        #expect(bytes(restoredPacket.payload) == [1, 2, 3])

        let probe = try RTPPacket(parsing: buffer(hex("a0 61 0001 00000000 0000bbbb 00 00 00 04")))
        #expect(throws: RTPParseError.truncatedRTXPayload(length: 0)) { try RTX.originalSequenceNumber(of: probe) }
    }
}
