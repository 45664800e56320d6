import DTLS
import ICE
import NIOCore
import RTP
import SDP
import SFUCore
import ServerKit
import WebRTC
import WebRTCDriver

/// Where a participant's signaling messages go: the WebSocket's outbound queue (thread-safe, never blocks the
/// media loop).
struct SignalingSink: Sendable {
    let continuation: AsyncStream<SignalingOutput>.Continuation

    func send(_ message: ServerMessage) { continuation.yield(.text(message.encoded())) }

    /// Sends the error and closes the connection.
    func close(with error: SignalingError?) {
        if let error { continuation.yield(.text(ServerMessage.error(error).encoded())) }
        continuation.yield(.close)
        continuation.finish()
    }
}

/// What the signaling connection writes.
enum SignalingOutput: Sendable {
    case text(String)
    case close
}

/// One subscribe slot of a member: its mid, what it carries and the rewriter that makes one stream of it.
final class SubscribeSlot {
    let mid: String
    let kind: SlotKind
    var publisher: String?
    var rewriter: SlotRewriter

    init(mid: String, kind: SlotKind, rewriter: SlotRewriter) {
        self.mid = mid
        self.kind = kind
        self.rewriter = rewriter
    }
}

/// A participant's connections on this server.
final class RoomMember {
    let id: String
    let sessionID: Int
    let sink: SignalingSink
    var publish: HostedPeerConnection?
    var subscribe: HostedPeerConnection?
    /// Publish-PC section mid → the track it carries.
    var publishTracks: [String: TrackKind] = [:]
    /// The SSRC each published track arrives with (learned from the first packet).
    var sourceSSRC: [TrackKind: UInt32] = [:]
    /// The publish PC's audio-level extension id (RFC 6464) and the local SSRC per mid (sender of our PLIs).
    var audioLevelExtensionID: UInt8?
    var publishLocalSSRC: [TrackKind: UInt32] = [:]
    var slots: [SlotKind: [SubscribeSlot]] = [:]
    var slotBySSRC: [UInt32: SubscribeSlot] = [:]
    /// RFC 6464 levels of the current interval.
    var levelSum = 0
    var levelCount = 0
    /// When a keyframe was last requested per track (monotonic seconds).
    var lastKeyframeRequest: [TrackKind: Double] = [:]
    var firSequence: UInt8 = 0

    init(id: String, sessionID: Int, sink: SignalingSink) {
        self.id = id
        self.sessionID = sessionID
        self.sink = sink
    }
}

/// A slot a publisher's track is forwarded to.
struct ForwardTarget {
    unowned let member: RoomMember
    unowned let slot: SubscribeSlot
}

/// One meeting's room on this server: the sans-IO ``RoomCore`` plus the members' PeerConnections and the
/// forwarding from publishers to subscribers' slots. Confined to the media event loop.
final class SFURoom {
    var core: RoomCore
    var members: [String: RoomMember] = [:]
    /// Publisher → track → the slots it is forwarded to (rebuilt when slots change).
    var targets: [String: [TrackKind: [ForwardTarget]]] = [:]
    unowned let engine: SFUEngine
    let certificate: DTLSCertificate
    let allocator = ByteBufferAllocator()

    init(meetingID: String, configuration: RoomConfiguration, engine: SFUEngine, certificate: DTLSCertificate) {
        core = RoomCore(meetingID: meetingID, configuration: configuration)
        self.engine = engine
        self.certificate = certificate
    }

    var transport: UDPMediaTransport { engine.transport }

    // MARK: Membership

    func join(_ claims: JoinClaims, sessionID: Int, sink: SignalingSink) -> Bool {
        switch core.join(id: claims.participantID, displayName: claims.displayName, role: claims.role,
            grants: claims.grants)
        {
        case .failure(let error):
            sink.close(with: error)
            return false
        case .success(let actions):
            if let old = members[claims.participantID] {
                teardown(old)
                old.sink.close(with: SignalingError(.replaced, "you joined this meeting again from another connection"))
            }
            members[claims.participantID] = RoomMember(id: claims.participantID, sessionID: sessionID, sink: sink)
            perform(actions)
            return true
        }
    }

    /// The signaling connection of `sessionID` ended.
    func disconnected(participant: String, sessionID: Int) {
        guard let member = members[participant], member.sessionID == sessionID else { return }
        teardown(member)
        members[participant] = nil
        perform(core.leave(participant, reason: "left"))
        applySlots()
    }

    func teardown(_ member: RoomMember) {
        if let publish = member.publish { transport.remove(publish) }
        if let subscribe = member.subscribe { transport.remove(subscribe) }
        member.publish = nil
        member.subscribe = nil
        member.slots = [:]
        member.slotBySSRC = [:]
        rebuildTargets()
    }

    func perform(_ actions: [RoomAction]) {
        for action in actions {
            switch action {
            case .send(let to, let message):
                members[to]?.sink.send(message)
            case .disconnect(let id, let error):
                if let member = members.removeValue(forKey: id) {
                    teardown(member)
                    member.sink.close(with: error)
                }
            }
        }
    }

    // MARK: Messages

    func handle(_ message: ClientMessage, from participant: String, sessionID: Int, nowUnixSeconds: Int64) {
        guard let member = members[participant], member.sessionID == sessionID else { return }
        switch message {
        case .publishOffer(let sdp, let tracks):
            publishOffer(member, sdp: sdp, tracks: tracks)
        case .subscribeOffer(let sdp, let slots):
            subscribeOffer(member, sdp: sdp, slots: slots)
        case .candidate(let pc, let line):
            guard let hosted = pc == .publish ? member.publish : member.subscribe, let line else { return }
            do {
                try hosted.core.addRemoteCandidate(try ICECandidate.parse(line), now: .now())
                transport.service(hosted)
            } catch {
                member.sink.send(.error(SignalingError(.invalidCandidate, "\(error)")))
            }
        default:
            perform(core.handle(message, from: participant, nowUnixSeconds: nowUnixSeconds))
            applySlots()
        }
        if core.hasEnded { engine.roomEnded(self) }
    }

    /// Creates a PeerConnection answering `sdp` (ICE lite: the client's checks find us, RFC 8445 §2.5).
    func answer(_ sdp: String, for member: RoomMember, onEvent: @escaping (PeerConnectionEvent) -> Void)
        -> (HostedPeerConnection, String)?
    {
        let description: SessionDescription
        do { description = try SessionDescription.parse(sdp) } catch {
            member.sink.send(.error(SignalingError(.invalidSDP, "the offer is not valid SDP: \(error)")))
            return nil
        }
        var configuration = PeerConnectionConfiguration()
        configuration.iceMode = .lite
        // 256 packets per slot is ~4 s of 320p video, ~1 s of 720p: enough to answer NACKs within a round trip,
        // and a quarter of the default memory per subscriber slot (a 200-person meeting has ~2000 slots).
        configuration.retransmissionHistory = 256
        var generator = SystemRandomNumberGenerator()
        let core = PeerConnection(configuration: configuration, certificate: certificate, using: &generator)
        let hosted = transport.host(core, onEvent: onEvent)
        do {
            try core.setRemoteDescription(description, now: .now())
            let answer = try core.createAnswer().serialize()
            transport.service(hosted)
            return (hosted, answer)
        } catch {
            transport.remove(hosted)
            member.sink.send(.error(SignalingError(.invalidSDP, "cannot answer the offer: \(error)")))
            return nil
        }
    }

    func publishOffer(_ member: RoomMember, sdp: String, tracks requested: [String: TrackKind]) {
        guard member.publish == nil else {
            member.sink.send(.error(SignalingError(.invalidSDP,
                "the publish connection is already negotiated; reconnect to publish other tracks")))
            return
        }
        guard let offer = try? SessionDescription.parse(sdp) else {
            member.sink.send(.error(SignalingError(.invalidSDP, "the publish offer is not valid SDP")))
            return
        }
        // Which section carries what: as the client says, else the first audio is the microphone, the first
        // video the camera and the second video the screen.
        var tracks: [String: TrackKind] = [:]
        var videoSeen = 0
        for section in offer.media where section.direction.sends {
            guard let mid = section.mid else { continue }
            if let kind = requested[mid] {
                guard kind.isAudio == (section.kind == .audio) else {
                    member.sink.send(.error(SignalingError(.invalidSDP, "section \(mid) is not \(kind.rawValue)")))
                    return
                }
                tracks[mid] = kind
            } else if section.kind == .audio, !tracks.values.contains(.microphone) {
                tracks[mid] = .microphone
            } else if section.kind == .video {
                videoSeen += 1
                if videoSeen == 1 { tracks[mid] = .camera } else if videoSeen == 2 { tracks[mid] = .screen }
            }
        }
        for track in Set(tracks.values) where !(core.participants[member.id]?.grants.allows(track) ?? false) {
            member.sink.send(.error(SignalingError(.forbidden,
                "your join token does not allow publishing \(track.rawValue)")))
            return
        }
        guard let (hosted, answer) = answer(sdp, for: member, onEvent: { [weak self, unowned member] event in
            self?.publishEvent(event, from: member)
        }) else { return }
        member.publish = hosted
        member.publishTracks = tracks
        for media in hosted.core.negotiatedMedia {
            if let track = tracks[media.mid] { member.publishLocalSSRC[track] = media.localSSRC }
            if media.kind == .audio, let id = media.extensionID(forURI: MediaCapabilities.audioLevelExtensionURI) {
                member.audioLevelExtensionID = id
            }
        }
        member.sink.send(.publishAnswer(sdp: answer))
        switch core.publish(member.id, tracks: Set(tracks.values)) {
        case .success(let actions): perform(actions)
        case .failure(let error): member.sink.send(.error(error))
        }
        applySlots()
    }

    func subscribeOffer(_ member: RoomMember, sdp: String, slots requested: [String: SlotKind]) {
        guard member.subscribe == nil else {
            member.sink.send(.error(SignalingError(.invalidSDP,
                "the subscribe connection is already negotiated; reconnect to change its slots")))
            return
        }
        guard let (hosted, answer) = answer(sdp, for: member, onEvent: { [weak self, unowned member] event in
            self?.subscribeEvent(event, from: member)
        }) else { return }
        let limits = core.configuration.slots
        var slots: [SlotKind: [SubscribeSlot]] = [.audio: [], .video: [], .screen: []]
        for media in hosted.core.negotiatedMedia {
            let kind: SlotKind
            if let asked = requested[media.mid] {
                kind = asked
            } else if media.kind == .audio {
                kind = .audio
            } else {
                kind = (slots[.video]?.count ?? 0) < limits.video ? .video : .screen
            }
            guard (kind == .audio) == (media.kind == .audio) else { continue }
            let limit = kind == .audio ? limits.audio : kind == .video ? limits.video : limits.screen
            guard (slots[kind]?.count ?? 0) < limit,
                let codec = media.codecs.first(where: { $0.name.lowercased() != "rtx" })
            else { continue }
            let output = SlotOutput(ssrc: media.localSSRC, payloadType: codec.payloadType,
                clockRate: UInt32(codec.clockRate), midExtensionID: media.extensionID(forURI: MediaCapabilities.midExtensionURI),
                mid: media.mid, audioLevelExtensionID: media.extensionID(forURI: MediaCapabilities.audioLevelExtensionURI),
                isVideo: media.kind == .video)
            let slot = SubscribeSlot(mid: media.mid, kind: kind, rewriter: SlotRewriter(output: output,
                initialSequence: UInt16.random(in: 0...UInt16.max), initialTimestamp: UInt32.random(in: 0...UInt32.max)))
            slots[kind, default: []].append(slot)
            member.slotBySSRC[media.localSSRC] = slot
        }
        let counts = SlotCounts(audio: slots[.audio]?.count ?? 0, video: slots[.video]?.count ?? 0,
            screen: slots[.screen]?.count ?? 0)
        if case .failure(let error) = core.setSlotCapacity(member.id, counts) {
            transport.remove(hosted)
            member.sink.send(.error(error))
            return
        }
        member.subscribe = hosted
        member.slots = slots
        member.sink.send(.subscribeAnswer(sdp: answer))
        let all = [SlotKind.audio, .video, .screen].flatMap { slots[$0] ?? [] }
        member.sink.send(.slots(all.map { SlotAssignment(mid: $0.mid, kind: $0.kind, participantID: nil, track: nil) }))
        applySlots()
    }

    // MARK: Slots

    /// Recomputes the slots, points the rewriters at their new sources and tells the subscribers.
    func applySlots() {
        let changes = core.updateSlots()
        guard !changes.isEmpty else { return }
        var changed: [String: [SlotAssignment]] = [:]
        for change in changes {
            guard let member = members[change.subscriber], let slots = member.slots[change.kind],
                change.index < slots.count
            else { continue }
            let slot = slots[change.index]
            let track = change.kind.trackKind
            slot.publisher = change.publisher
            slot.rewriter.switchSource(to: change.publisher.flatMap { members[$0]?.sourceSSRC[track] })
            changed[member.id, default: []].append(SlotAssignment(mid: slot.mid, kind: slot.kind,
                participantID: change.publisher, track: change.publisher == nil ? nil : track))
            if let publisher = change.publisher, track != .microphone { requestKeyframe(publisher, track) }
        }
        rebuildTargets()
        for (id, assignments) in changed { members[id]?.sink.send(.slots(assignments)) }
    }

    func rebuildTargets() {
        var rebuilt: [String: [TrackKind: [ForwardTarget]]] = [:]
        for member in members.values where member.subscribe != nil {
            for slots in member.slots.values {
                for slot in slots {
                    guard let publisher = slot.publisher else { continue }
                    rebuilt[publisher, default: [:]][slot.kind.trackKind, default: []]
                        .append(ForwardTarget(member: member, slot: slot))
                }
            }
        }
        targets = rebuilt
    }

    // MARK: Media

    func publishEvent(_ event: PeerConnectionEvent, from member: RoomMember) {
        switch event {
        case .rtpReceived(let packet, let mid):
            guard let mid, let track = member.publishTracks[mid] else { return }
            forward(packet, track: track, from: member)
        case .failed, .closed:
            break
        default:
            break
        }
    }

    func subscribeEvent(_ event: PeerConnectionEvent, from member: RoomMember) {
        guard case .rtcpReceived(let packets) = event else { return }
        for packet in packets {
            let mediaSSRC: UInt32
            switch packet {
            case .pictureLossIndication(let pli): mediaSSRC = pli.mediaSSRC
            case .fullIntraRequest(let fir):
                guard let first = fir.entries.first else { continue }
                mediaSSRC = first.ssrc
            default: continue
            }
            guard let slot = member.slotBySSRC[mediaSSRC], let publisher = slot.publisher else { continue }
            engine.metrics.keyframeRequestsFromSubscribers += 1
            requestKeyframe(publisher, slot.kind.trackKind)
        }
    }

    /// The hot path: one packet from a publisher, rewritten into every slot that carries its track.
    func forward(_ packet: RTPPacket, track: TrackKind, from member: RoomMember) {
        let ssrc = packet.header.ssrc
        engine.metrics.packetsIn += 1
        engine.metrics.bytesIn += packet.bytes.readableBytes
        if member.sourceSSRC[track] != ssrc {
            guard member.sourceSSRC[track] == nil else { return }  // One stream per track (no simulcast yet).
            member.sourceSSRC[track] = ssrc
            for target in targets[member.id]?[track] ?? [] { target.slot.rewriter.switchSource(to: ssrc) }
        }
        var level: UInt8?
        if track == .microphone, let id = member.audioLevelExtensionID,
            let range = packet.headerExtensionRange(id: id), let byte = packet.bytes.getInteger(at: range.lowerBound, as: UInt8.self)
        {
            level = byte & 0x7F
            member.levelSum += Int(byte & 0x7F)
            member.levelCount += 1
        }
        guard let forwardTargets = targets[member.id]?[track], !forwardTargets.isEmpty else { return }
        let keyframe = track != .microphone && isVP8Keyframe(packet)
        let now = engine.monotonicSeconds()
        for target in forwardTargets {
            guard let subscribe = target.member.subscribe, subscribe.core.isMediaReady else { continue }
            var buffer = allocator.buffer(capacity: packet.bytes.readableBytes + 48)
            guard target.slot.rewriter.rewrite(packet, audioLevel: level, isKeyframe: keyframe, now: now, into: &buffer)
            else {
                if target.slot.rewriter.needsKeyframe { requestKeyframe(member.id, track) }
                continue
            }
            let length = buffer.readableBytes
            do {
                try subscribe.core.sendRTP(buffer, now: .now())
                engine.metrics.packetsOut += 1
                engine.metrics.bytesOut += length
            } catch {
                engine.metrics.sendFailures += 1
            }
            transport.serviceDeferringFlush(subscribe)
        }
    }

    /// Asks `publisher` for a keyframe of `track` (PLI, RFC 4585 §6.3.1), at most once per second per stream.
    func requestKeyframe(_ publisher: String, _ track: TrackKind) {
        guard let member = members[publisher], let publish = member.publish, publish.core.isMediaReady,
            let mediaSSRC = member.sourceSSRC[track]
        else { return }
        let now = engine.monotonicSeconds()
        if let last = member.lastKeyframeRequest[track], now - last < 1 { return }
        member.lastKeyframeRequest[track] = now
        let sender = member.publishLocalSSRC[track] ?? 1
        do {
            try publish.core.sendRTCP([.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: sender,
                mediaSSRC: mediaSSRC))], now: .now())
            engine.metrics.keyframeRequestsToPublishers += 1
        } catch {}
        transport.service(publish)
    }

    /// Every ~200 ms: speaker detection from the interval's audio levels, then slots; and keyframes still missing.
    func tick(now: Double) {
        var levels: [String: Double] = [:]
        for member in members.values where member.publishTracks.values.contains(.microphone) {
            levels[member.id] = member.levelCount > 0 ? -Double(member.levelSum) / Double(member.levelCount) : -127
            member.levelSum = 0
            member.levelCount = 0
        }
        if !levels.isEmpty { perform(core.updateAudioLevels(levels, now: now)) }
        applySlots()
        for member in members.values {
            for slots in member.slots.values {
                for slot in slots where slot.rewriter.needsKeyframe {
                    if let publisher = slot.publisher { requestKeyframe(publisher, slot.kind.trackKind) }
                }
            }
        }
    }

    /// Closes everyone (meeting ended or server shutting down).
    func closeAll(with error: SignalingError) {
        for member in members.values {
            teardown(member)
            member.sink.close(with: error)
        }
        members.removeAll()
    }
}
