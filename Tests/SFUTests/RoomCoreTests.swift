import NIOCore
import RTP
import SFUCore
import ServerKit
import Testing

@Suite("RoomCore: membership, host actions, slots")
struct RoomCoreTests {
    func join(_ room: inout RoomCore, _ id: String, role: ParticipantRole = .participant) throws -> [RoomAction] {
        try room.join(id: id, displayName: id.prefix(1).uppercased() + id.dropFirst(), role: role, grants: .defaults(for: role)).get()
    }

    @Test("joined lists the others; the others hear of the newcomer; leaving is broadcast")
    func membership() throws {
        var room = RoomCore(meetingID: "m")
        _ = try join(&room, "a")
        let actions = try join(&room, "b")
        guard case .send(to: "b", .joined(_, _, let others, let slots, false, false)) = actions.first else {
            Issue.record("\(actions)")
            return
        }
        #expect(others.map(\.id) == ["a"])
        #expect(slots == RoomConfiguration().slots)
        #expect(actions.contains(.send(to: "a", .participantJoined(room.participants["b"]!.info))))
        #expect(room.leave("b", reason: "left") == [.send(to: "a", .participantLeft(participantID: "b", reason: "left"))])
    }

    @Test("a full or locked room refuses joins; hosts still enter a locked room; an ended one refuses everyone")
    func limits() throws {
        var configuration = RoomConfiguration()
        configuration.maximumParticipants = 2
        var room = RoomCore(meetingID: "m", configuration: configuration)
        _ = try join(&room, "host", role: .host)
        _ = try join(&room, "b")
        #expect(throws: SignalingError.self) { try join(&room, "c") }
        _ = room.leave("b", reason: "left")
        _ = room.handle(.host(action: .lock, participantID: nil, track: nil), from: "host", nowUnixSeconds: 0)
        let refused = room.join(id: "c", displayName: "C", role: .participant, grants: .defaults(for: .participant))
        #expect((try? refused.get()) == nil)
        if case .failure(let error) = refused { #expect(error.code == .roomLocked) }
        _ = try join(&room, "cohost", role: .coHost)
        let end = room.handle(.host(action: .end, participantID: nil, track: nil), from: "host", nowUnixSeconds: 0)
        #expect(end.contains(.disconnect("cohost", SignalingError(.meetingEnded, "Host ended the meeting"))))
        #expect(room.isEmpty && room.hasEnded)
        if case .failure(let error) = room.join(id: "d", displayName: "D", role: .host, grants: .defaults(for: .host)) {
            #expect(error.code == .meetingEnded)
        } else {
            Issue.record("joined an ended meeting")
        }
    }

    @Test("host actions need the moderate grant; mute-all mutes everyone else's microphone")
    func hostActions() throws {
        var room = RoomCore(meetingID: "m")
        _ = try join(&room, "host", role: .host)
        _ = try join(&room, "a")
        _ = try join(&room, "b", role: .guest)
        let denied = room.handle(.host(action: .mute, participantID: "a", track: nil), from: "b", nowUnixSeconds: 0)
        guard case .send(to: "b", .error(let error)) = denied.first else {
            Issue.record("\(denied)")
            return
        }
        #expect(error.code == .forbidden && denied.count == 1)
        let unknown = room.handle(.host(action: .remove, participantID: "nobody", track: nil), from: "host", nowUnixSeconds: 0)
        guard case .send(to: "host", .error(let missing)) = unknown.first else {
            Issue.record("\(unknown)")
            return
        }
        #expect(missing.code == .unknownParticipant)
        let all = room.handle(.host(action: .muteAll, participantID: nil, track: nil), from: "host", nowUnixSeconds: 0)
        #expect(all.contains(.send(to: "a", .mutedBy(participantID: "host", track: .microphone))))
        #expect(all.contains(.send(to: "b", .mutedBy(participantID: "host", track: .microphone))))
        #expect(room.participants["a"]?.muted == [.microphone] && room.participants["host"]?.muted == [])
    }

    @Test("publishing needs the grant")
    func publishGrants() throws {
        var room = RoomCore(meetingID: "m")
        var grants = MediaGrants.defaults(for: .guest)
        grants.publishScreen = false
        _ = try room.join(id: "g", displayName: "G", role: .guest, grants: grants).get()
        if case .failure(let error) = room.publish("g", tracks: [.microphone, .screen]) {
            #expect(error.code == .forbidden)
        } else {
            Issue.record("published a screen without the grant")
        }
        #expect(room.participants["g"]?.published == [])
        _ = try room.publish("g", tracks: [.microphone, .camera]).get()
        #expect(room.participants["g"]?.published == [.microphone, .camera])
    }

    @Test("slots: loudest audio, speakers' video first, sticky assignment, muted tracks leave their slot")
    func slots() throws {
        var configuration = RoomConfiguration()
        configuration.slots = SlotCounts(audio: 2, video: 2, screen: 1)
        var room = RoomCore(meetingID: "m", configuration: configuration)
        for id in ["s", "a", "b", "c"] {
            _ = try join(&room, id)
            _ = try room.publish(id, tracks: id == "s" ? [] : [.microphone, .camera]).get()
        }
        try room.setSlotCapacity("s", SlotCounts(audio: 2, video: 2, screen: 1)).get()
        let first = room.updateSlots()
        #expect(Set(first.filter { $0.kind == .video }.compactMap(\.publisher)) == ["a", "b"])  // earliest joiners
        // c speaks: it becomes dominant and takes an audio slot and a video slot.
        var now = 0.0
        for _ in 0..<5 {
            now += 0.2
            _ = room.updateAudioLevels(["a": -127, "b": -127, "c": -20], now: now)
        }
        #expect(room.speakers.dominant == "c")
        let changes = room.updateSlots()
        #expect(changes.contains { $0.kind == .video && $0.publisher == "c" }, "\(changes)")
        #expect(changes.contains { $0.kind == .audio && $0.publisher == "c" }, "\(changes)")
        #expect(room.assignments["s"]?[.video]?.contains("c") == true)
        // Nothing changes when nothing changed.
        #expect(room.updateSlots().isEmpty)
        // c mutes its camera: its video slot goes to the next best.
        _ = room.handle(.mute(track: .camera, muted: true), from: "c", nowUnixSeconds: 0)
        let afterMute = room.updateSlots()
        #expect(afterMute.contains { $0.kind == .video && $0.publisher != "c" }, "\(afterMute)")
        #expect(room.assignments["s"]?[.video]?.contains("c") == false)
        // A screen share takes the screen slot.
        _ = try room.publish("a", tracks: [.microphone, .camera, .screen]).get()
        #expect(room.updateSlots().contains(SlotChange(subscriber: "s", kind: .screen, index: 0, publisher: "a")))
    }
}

@Suite("SpeakerDetector: dominant speaker with hysteresis")
struct SpeakerDetectorTests {
    @Test("a louder challenger takes over only after holding the margin; silence releases")
    func hysteresis() {
        var detector = SpeakerDetector()
        var now = 0.0
        func step(_ levels: [String: Double], times: Int = 1) -> Bool {
            var changed = false
            for _ in 0..<times {
                now += 0.2
                changed = detector.update(levels: levels, now: now) || changed
            }
            return changed
        }
        #expect(step(["a": -20, "b": -127], times: 3))
        #expect(detector.dominant == "a")
        // b slightly louder: within the margin, a stays.
        #expect(!step(["a": -22, "b": -19], times: 10))
        #expect(detector.dominant == "a")
        // b much louder, but briefly: a stays.
        #expect(!step(["a": -30, "b": -10], times: 3))
        #expect(detector.dominant == "a")
        // b keeps it up for more than the hold time: b takes over.
        #expect(step(["a": -30, "b": -10], times: 6))
        #expect(detector.dominant == "b")
        // Everyone silent: b stays (the last speaker remains on screen).
        #expect(!step(["a": -127, "b": -127], times: 20))
        #expect(detector.dominant == "b")
        #expect(detector.speaking.isEmpty)
        // a speaks after b's silence: immediate switch.
        #expect(step(["a": -25, "b": -127], times: 3))
        #expect(detector.dominant == "a")
        let removed = detector.remove("a")
        #expect(removed)
    }
}

@Suite("SlotRewriter: one continuous stream from switching sources")
struct SlotRewriterTests {
    static let output = SlotOutput(ssrc: 0xABCD, payloadType: 96, clockRate: 90000, midExtensionID: 4, mid: "7",
        audioLevelExtensionID: nil, isVideo: true)

    /// A VP8 packet with a 15-bit picture id; `keyframe` sets S=1, PID=0 and P=0.
    func packet(ssrc: UInt32, sequence: UInt16, timestamp: UInt32, pictureID: UInt16, keyframe: Bool) throws -> RTPPacket {
        var buffer = ByteBuffer()
        let fields = RTPHeaderFields(marker: true, payloadType: 100, sequenceNumber: sequence, timestamp: timestamp,
            ssrc: ssrc, csrcs: [], extensions: .oneByte([RTPHeaderExtensionElement(id: 1, data: Array("0".utf8))]),
            paddingLength: 0)
        let payload: [UInt8] = [0x90 | (keyframe ? 0x10 : 0), 0x80, UInt8(0x80 | (pictureID >> 8)), UInt8(pictureID & 0xFF),
            keyframe ? 0x00 : 0x01, 1, 2, 3]
        try buffer.writeRTPPacket(fields, payload: payload)
        return try RTPPacket(parsing: buffer)
    }

    func rewrite(_ rewriter: inout SlotRewriter, _ packet: RTPPacket, now: Double) throws -> RTPPacket? {
        var buffer = ByteBuffer()
        guard rewriter.rewrite(packet, audioLevel: nil, isKeyframe: isVP8Keyframe(packet), now: now, into: &buffer) else {
            return nil
        }
        return try RTPPacket(parsing: buffer)
    }

    func pictureID(_ packet: RTPPacket) -> UInt16 {
        let start = packet.payloadRange.lowerBound
        let high = packet.bytes.getInteger(at: start + 2, as: UInt8.self) ?? 0
        let low = packet.bytes.getInteger(at: start + 3, as: UInt8.self) ?? 0
        return UInt16(high & 0x7F) << 8 | UInt16(low)
    }

    @Test("waits for a keyframe, then keeps SSRC, sequence, timestamp and picture id continuous across a switch")
    func switchIsSeamless() throws {
        var rewriter = SlotRewriter(output: Self.output, initialSequence: 65530, initialTimestamp: 1000)
        rewriter.switchSource(to: 1)
        #expect(rewriter.needsKeyframe)
        let early = try rewrite(&rewriter, packet(ssrc: 1, sequence: 10, timestamp: 500, pictureID: 5, keyframe: false), now: 0)
        #expect(early == nil)
        let first = try #require(try rewrite(&rewriter, packet(ssrc: 1, sequence: 11, timestamp: 3500, pictureID: 6, keyframe: true), now: 0.1))
        #expect(!rewriter.needsKeyframe)
        #expect(first.header.ssrc == 0xABCD && first.header.payloadType == 96)
        #expect(first.header.sequenceNumber == 65530 && first.header.timestamp == 1000)
        #expect(first.headerExtension(id: 4).flatMap { $0.getString(at: 0, length: $0.readableBytes) } == "7")
        #expect(first.headerExtension(id: 1) == nil, "the publisher's mid extension leaked")
        // Sequence wraps; picture id and timestamp follow the source's steps.
        let second = try #require(try rewrite(&rewriter, packet(ssrc: 1, sequence: 17, timestamp: 6500, pictureID: 7, keyframe: false), now: 0.13))
        #expect(second.header.sequenceNumber == 0 && second.header.timestamp == 4000 && pictureID(second) == pictureID(first) &+ 1)
        // Another source: nothing from it until its keyframe; the old source is no longer forwarded.
        rewriter.switchSource(to: 2)
        let old = try rewrite(&rewriter, packet(ssrc: 1, sequence: 18, timestamp: 9500, pictureID: 8, keyframe: false), now: 0.2)
        #expect(old == nil)
        let delta = try rewrite(&rewriter, packet(ssrc: 2, sequence: 900, timestamp: 77, pictureID: 300, keyframe: false), now: 0.2)
        #expect(delta == nil)
        let switched = try #require(try rewrite(&rewriter, packet(ssrc: 2, sequence: 901, timestamp: 3077, pictureID: 301, keyframe: true), now: 0.5))
        #expect(switched.header.ssrc == 0xABCD)
        #expect(switched.header.sequenceNumber == 1, "continues after the last written")
        #expect(switched.header.timestamp == 4000 + 33_300 || switched.header.timestamp == 4000 + 33_299,
            "advances by the 0.37 s elapsed at 90 kHz: \(switched.header.timestamp)")
        #expect(pictureID(switched) == pictureID(second) &+ 1)
        #expect(switched.payload.readableBytes == 8)
    }
}
