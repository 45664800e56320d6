import Codecs
import NIOCore
import RTP
import Testing

/// One RTP packet as the tests move it: header fields plus the payload.
private struct SentPacket {
    var sequenceNumber: UInt16
    var timestamp: UInt32
    var marker: Bool
    var payload: ByteBuffer
}

@Suite("VP8 RTP packetizer and frame assembler (RFC 7741)")
struct VP8PacketizationTests {
    /// Encodes a few test-pattern frames at 176x144 (keyframes at 0 and `keyframeAt`).
    static func encodedFrames(count: Int, keyframeAt: Int = -1) throws -> [(bytes: [UInt8], isKeyframe: Bool)] {
        let encoder = try VP8Encoder(
            settings: VP8EncoderSettings(width: 176, height: 144, bitrateKbps: 400, frameDropThresholdPercent: 0))
        var source = TestPatternSource(width: 176, height: 144)
        var output: [UInt8] = []
        var frames: [(bytes: [UInt8], isKeyframe: Bool)] = []
        for index in 0..<count {
            let info = try #require(
                try encoder.encode(source.nextFrame(), timestamp: Int64(index * 3_000), forceKeyframe: index == keyframeAt,
                                   into: &output))
            frames.append((output, info.isKeyframe))
        }
        return frames
    }

    /// Packetizes frames with consecutive sequence numbers starting near the 16-bit wrap.
    private static func packetize(_ frames: [[UInt8]], mtu: Int) -> [SentPacket] {
        var packetizer = VP8Packetizer(maximumPayloadSize: mtu, firstPictureID: 0x7FFE)
        var sequence: UInt16 = 65_530
        var packets: [SentPacket] = []
        for (index, frame) in frames.enumerated() {
            for payload in packetizer.payloads(for: ByteBuffer(bytes: frame)) {
                let descriptor = try? VP8PayloadDescriptor(payload: payload)
                #expect(payload.readableBytes <= mtu)
                #expect(descriptor?.pictureIDIs15Bit == true)
                packets.append(SentPacket(sequenceNumber: sequence, timestamp: UInt32(index * 3_000), marker: false,
                                          payload: payload))
                sequence &+= 1
            }
            packets[packets.count - 1].marker = true
        }
        return packets
    }

    @Test("descriptors: S only on a frame's first packet, PictureID 15-bit and wrapping, balanced sizes")
    func packetizerLayout() {
        var packetizer = VP8Packetizer(maximumPayloadSize: 100, firstPictureID: 0x7FFF)
        let frame = ByteBuffer(bytes: (0..<250).map { UInt8(truncatingIfNeeded: $0) })
        var pieces: [(VP8PayloadDescriptor, Int, Bool)] = []
        let first = packetizer.packetize(frame: frame) { descriptor, piece, isLast in
            pieces.append((descriptor, piece.readableBytes, isLast))
        }
        #expect(first == 0x7FFF)
        #expect(packetizer.nextPictureID == 0)
        #expect(pieces.map(\.1) == [84, 83, 83])
        #expect(pieces.map(\.0.isStartOfPartition) == [true, false, false])
        #expect(pieces.map(\.2) == [false, false, true])
        let payloads = packetizer.payloads(for: frame)
        #expect(payloads.count == 3)
        // X=1 S=1 PID=0 | I=1 | M=1 PictureID=0
        #expect(payloads[0].getBytes(at: 0, length: 4) == [0x90, 0x80, 0x80, 0x00])
        #expect(payloads[1].getBytes(at: 0, length: 4) == [0x80, 0x80, 0x80, 0x00])
        #expect(packetizer.payloads(for: ByteBuffer()).isEmpty)
    }

    @Test("packetize → shuffle → assemble recovers every frame byte for byte, across the sequence wrap")
    func shuffledRoundTrip() throws {
        let frames = try Self.encodedFrames(count: 8, keyframeAt: 5)
        var packets = Self.packetize(frames.map(\.bytes), mtu: 300)
        #expect(packets.count > frames.count)
        var random = SplitMix64(seed: 7)
        packets.shuffle(using: &random)
        var assembler = VP8FrameAssembler()
        let now = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var received: [VP8FrameAssembler.Frame] = []
        for packet in packets {
            try assembler.insert(sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp,
                                 marker: packet.marker, payload: packet.payload, now: now)
            while let output = assembler.pollOutput() {
                guard case .frame(let frame) = output else {
                    Issue.record("unexpected \(output)")
                    continue
                }
                received.append(frame)
            }
        }
        #expect(received.count == frames.count)
        for (frame, original) in zip(received, frames) {
            #expect(Array(frame.data.readableBytesView) == original.bytes, "frame at \(frame.timestamp) differs")
            #expect(frame.isKeyframe == original.isKeyframe)
            #expect(frame.referencesIntact)
        }
        #expect(received.map(\.pictureID) == [0x7FFE, 0x7FFF, 0, 1, 2, 3, 4, 5])
        // The assembled frames decode.
        let decoder = try VP8Decoder()
        var picture = I420Frame(width: 2, height: 2)
        for frame in received {
            let info = try #require(try decoder.decode(Array(frame.data.readableBytesView), into: &picture))
            #expect(info.width == 176 && info.height == 144)
        }
    }

    @Test("a lost packet: later frames wait, then the gap is reported and references are broken until a keyframe")
    func lossReportsGap() throws {
        let frames = try Self.encodedFrames(count: 6, keyframeAt: 4)
        let packets = Self.packetize(frames.map(\.bytes), mtu: 200)
        // Drop the last packet of frame 1.
        let lostIndex = try #require(packets.indices.first { packets[$0].timestamp == 3_000 && packets[$0].marker })
        var assembler = VP8FrameAssembler(configuration: .init(maximumWait: .milliseconds(100)))
        let now = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var outputs: [VP8FrameAssembler.Output] = []
        for (index, packet) in packets.enumerated() where index != lostIndex {
            try assembler.insert(sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp,
                                 marker: packet.marker, payload: packet.payload, now: now)
            while let output = assembler.pollOutput() { outputs.append(output) }
        }
        #expect(outputs.count == 1)  // only frame 0; the rest waits for the hole to be repaired
        let deadline = try #require(assembler.nextDeadline())
        #expect(deadline == now + .milliseconds(100))
        assembler.handleTimeout(now: deadline - .milliseconds(1))
        #expect(assembler.pollOutput() == nil)
        assembler.handleTimeout(now: deadline)
        while let output = assembler.pollOutput() { outputs.append(output) }
        var delivered: [(UInt32, Bool, Bool)] = []
        var gaps = 0
        for output in outputs {
            switch output {
            case .frame(let frame): delivered.append((frame.timestamp, frame.isKeyframe, frame.referencesIntact))
            case .gap(let firstMissing, let count):
                gaps += 1
                // The given-up range holds the lost packet (and the received start of its frame).
                #expect(Int(UInt16(truncatingIfNeeded: 65_530 + lostIndex) &- firstMissing) < count)
                #expect(count <= 3)
            }
        }
        #expect(gaps == 1)
        #expect(delivered.map(\.0) == [0, 6_000, 9_000, 12_000, 15_000])
        #expect(delivered.map(\.1) == [true, false, false, true, false])
        #expect(delivered.map(\.2) == [true, false, false, true, true])
        #expect(assembler.nextDeadline() == nil)
    }

    @Test("duplicates, late packets and malformed payloads are ignored or rejected without trapping")
    func robustness() throws {
        var assembler = VP8FrameAssembler()
        let now = NIODeadline.uptimeNanoseconds(0)
        #expect(throws: RTPParseError.self) {
            try assembler.insert(sequenceNumber: 1, timestamp: 0, marker: true, payload: ByteBuffer(bytes: [0x80]), now: now)
        }
        let payload = ByteBuffer(bytes: [0x10, 0x00, 0x01, 0x02])  // S=1, no extension, a key-frame-looking byte
        try assembler.insert(sequenceNumber: 10, timestamp: 0, marker: true, payload: payload, now: now)
        guard case .frame(let frame) = assembler.pollOutput() else {
            Issue.record("no frame")
            return
        }
        #expect(Array(frame.data.readableBytesView) == [0x00, 0x01, 0x02])
        try assembler.insert(sequenceNumber: 10, timestamp: 0, marker: true, payload: payload, now: now)
        try assembler.insert(sequenceNumber: 9, timestamp: 0, marker: true, payload: payload, now: now)
        #expect(assembler.pollOutput() == nil)
        #expect(assembler.latePackets == 2)
        // A jump far beyond the window gives up what was pending and keeps working.
        try assembler.insert(sequenceNumber: 11, timestamp: 3_000, marker: false, payload: payload, now: now)
        try assembler.insert(sequenceNumber: 5_000, timestamp: 9_000, marker: true, payload: payload, now: now)
        var sawFrame = false
        for _ in 0..<4 {
            if case .frame(let frame) = assembler.pollOutput() { sawFrame = frame.timestamp == 9_000 }
        }
        #expect(sawFrame)
    }
}
