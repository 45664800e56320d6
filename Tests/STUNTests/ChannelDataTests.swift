import NIOCore
import STUN
import Testing

/// ChannelData framing (RFC 8656 §12.4–12.5) and first-byte demultiplexing (RFC 7983).
struct ChannelDataTests {
    @Test func datagramRoundTripWithAndWithoutPadding() throws {
        let message = ChannelData(channelNumber: 0x4001, payload: ByteBuffer(bytes: Array("hello".utf8)))
        let unpadded = try message.serialized(padding: .none)
        #expect(unpadded.bytes == [0x40, 0x01, 0x00, 0x05] + Array("hello".utf8))
        let padded = try message.serialized(padding: .toFourBytes)
        #expect(padded.bytes == [0x40, 0x01, 0x00, 0x05] + Array("hello".utf8) + [0, 0, 0])
        #expect(try ChannelData(parsingDatagram: unpadded) == message)
        #expect(try ChannelData(parsingDatagram: padded) == message)
        #expect(try ChannelData(parsingDatagram: padded.bytes) == message)
    }

    @Test func acceptsTheWholeRFC5766ChannelRange() throws {
        for channel: UInt16 in [0x4000, 0x4FFF, 0x5000, 0x7FFF] {
            let bytes: [UInt8] = [UInt8(channel >> 8), UInt8(channel & 0xFF), 0, 0]
            #expect(try ChannelData(parsingDatagram: bytes).channelNumber == channel)
        }
        #expect(ChannelData.rfc8656ChannelNumbers.contains(0x4FFF))
        #expect(!ChannelData.rfc8656ChannelNumbers.contains(0x5000))
    }

    @Test func emptyPayload() throws {
        let message = ChannelData(channelNumber: 0x4000, payload: ByteBuffer())
        #expect(try message.serialized(padding: .toFourBytes).bytes == [0x40, 0x00, 0x00, 0x00])
        #expect(try ChannelData(parsingDatagram: [0x40, 0x00, 0x00, 0x00]) == message)
    }

    @Test func streamParsingReportsWhatIsMissing() throws {
        let first = try ChannelData(channelNumber: 0x4002, payload: ByteBuffer(bytes: [1, 2, 3, 4, 5]))
            .serialized(padding: .toFourBytes)
        #expect(first.readableBytes == 12)
        // Fed one byte at a time: "need more" until all 12 bytes are there.
        for count in 0..<12 {
            let partial = ByteBuffer(bytes: first.bytes.prefix(count))
            let expectedNeed = count < 4 ? 4 : 12
            #expect(try ChannelData.parse(stream: partial) == .needMoreBytes(totalNeeded: expectedNeed))
        }
        var stream = first
        stream.writeBytes([0x40, 0x03, 0x00, 0x01, 0xAA, 0, 0, 0, 0x40])
        guard case .frame(let message, let consumed) = try ChannelData.parse(stream: stream) else {
            Issue.record("expected a frame")
            return
        }
        #expect(consumed == 12)
        #expect(message.payload.bytes == [1, 2, 3, 4, 5])
        stream.moveReaderIndex(forwardBy: consumed)
        guard case .frame(let second, let secondConsumed) = try ChannelData.parse(stream: stream) else {
            Issue.record("expected a second frame")
            return
        }
        #expect(second.channelNumber == 0x4003 && second.payload.bytes == [0xAA] && secondConsumed == 8)
        stream.moveReaderIndex(forwardBy: secondConsumed)
        #expect(try ChannelData.parse(stream: stream) == .needMoreBytes(totalNeeded: 4))
    }

    @Test func streamFramingSeparatesSTUNAndChannelData() throws {
        let stun = try STUNMessage(method: .refresh, messageClass: .request, attributes: [.lifetime(600)]).serialized()
        let channel = try ChannelData(channelNumber: 0x7FFF, payload: ByteBuffer(bytes: [9])).serialized(padding: .toFourBytes)
        var stream = ByteBuffer()
        stream.writeImmutableBuffer(channel)
        stream.writeImmutableBuffer(stun)
        stream.writeImmutableBuffer(stun.getSlice(at: 0, length: 10) ?? ByteBuffer())
        #expect(try STUNStreamFraming.nextFrame(in: stream) == .channelData(length: 8))
        stream.moveReaderIndex(forwardBy: 8)
        #expect(try STUNStreamFraming.nextFrame(in: stream) == .stunMessage(length: stun.readableBytes))
        stream.moveReaderIndex(forwardBy: stun.readableBytes)
        #expect(try STUNStreamFraming.nextFrame(in: stream) == .needMoreBytes(totalNeeded: 20))
        #expect(try STUNStreamFraming.nextFrame(in: ByteBuffer()) == .needMoreBytes(totalNeeded: 1))
        #expect(throws: STUNParseError.notSTUN(firstByte: 0x16)) {
            try STUNStreamFraming.nextFrame(in: ByteBuffer(bytes: [0x16, 0x03, 0x01]))
        }
        #expect(throws: STUNParseError.badMagicCookie(0)) {
            try STUNStreamFraming.nextFrame(in: ByteBuffer(bytes: Array(repeating: 0, count: 20)))
        }
    }

    @Test func demultiplexingByFirstByte() {
        #expect(MultiplexedPacketKind(firstByte: 0) == .stun)
        #expect(MultiplexedPacketKind(firstByte: 3) == .stun)
        #expect(MultiplexedPacketKind(firstByte: 4) == .unknown)
        #expect(MultiplexedPacketKind(firstByte: 17) == .zrtp)
        #expect(MultiplexedPacketKind(firstByte: 22) == .dtls)
        #expect(MultiplexedPacketKind(firstByte: 64) == .channelData)
        #expect(MultiplexedPacketKind(firstByte: 79) == .channelData)
        #expect(MultiplexedPacketKind(firstByte: 80) == .unknown)
        #expect(MultiplexedPacketKind(firstByte: 0x80) == .rtpOrRTCP)
        #expect(MultiplexedPacketKind(firstByte: 191) == .rtpOrRTCP)
        #expect(MultiplexedPacketKind(firstByte: 192) == .unknown)
        #expect(MultiplexedPacketKind(of: ByteBuffer()) == .unknown)
        #expect(MultiplexedPacketKind.turnServerKind(ofFirstByte: 0x7F) == .channelData)
        #expect(MultiplexedPacketKind.turnServerKind(ofFirstByte: 0x80) == .unknown)
    }

    @Test func tooLongPayloadIsRejected() {
        var buffer = ByteBuffer()
        #expect(throws: STUNEncodeError.channelDataTooLong(65_536)) {
            try ChannelData(channelNumber: 0x4000, payload: ByteBuffer(bytes: Array(repeating: 0, count: 65_536)))
                .write(into: &buffer, padding: .none)
        }
        #expect(buffer.readableBytes == 0)
    }
}
