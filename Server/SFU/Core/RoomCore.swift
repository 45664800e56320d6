import ServerKit

/// Limits of one room.
public struct RoomConfiguration: Sendable, Hashable {
    /// Joins past this many participants are refused with ``SignalingErrorCode/roomFull``.
    public var maximumParticipants = 500
    /// The subscribe slots each client offers: loudest-N audio, last-N video, screens.
    public var slots = SlotCounts(audio: 3, video: 9, screen: 2)

    public init() {}
}

/// What the room asks its driver to do.
public enum RoomAction: Sendable, Hashable {
    /// Send a message to one participant.
    case send(to: String, ServerMessage)
    /// Send the error, then close the participant's signaling and media (it has left the room already).
    case disconnect(String, SignalingError)
}

/// A change of one subscribe slot: slot `index` of `kind` of `subscriber` now carries `publisher`'s track
/// (nil: empty).
public struct SlotChange: Sendable, Hashable {
    public var subscriber: String
    public var kind: SlotKind
    public var index: Int
    public var publisher: String?

    public init(subscriber: String, kind: SlotKind, index: Int, publisher: String?) {
        self.subscriber = subscriber
        self.kind = kind
        self.index = index
        self.publisher = publisher
    }
}

/// One participant as the room knows it.
public struct RoomParticipant: Sendable, Hashable {
    public var id: String
    public var displayName: String
    public var role: ParticipantRole
    public var grants: MediaGrants
    /// Join order (for stable last-N ordering).
    public var joinSequence: Int
    public var published: Set<TrackKind> = []
    public var muted: Set<TrackKind> = []
    public var handRaised = false
    /// When each track was published (screens are ordered by it).
    public var publishSequence: [TrackKind: Int] = [:]
    /// How many slots of each kind its subscribe connection has (0 until it offered one).
    public var slotCapacity = SlotCounts(audio: 0, video: 0, screen: 0)

    /// Whether others receive `track` from this participant.
    public func sends(_ track: TrackKind) -> Bool { published.contains(track) && !muted.contains(track) }

    public var info: ParticipantInfo {
        ParticipantInfo(id: id, displayName: displayName, role: role,
            tracks: TrackKind.allCases.filter { sends($0) }, audioMuted: muted.contains(.microphone),
            videoMuted: muted.contains(.camera), handRaised: handRaised)
    }
}

/// The sans-IO state of one meeting's room on this sfuserver: membership, mute/hand state, host actions checked
/// against the join token's grants, chat, speakers, and which publisher each subscriber's slots carry.
///
/// It owns no connection: every call returns ``RoomAction``s for the driver, and slot decisions come out of
/// ``updateSlots()`` as ``SlotChange``s the driver applies to its RTP rewriters. Time is passed in (seconds on a
/// monotonic clock) so speaker detection is tested in virtual time.
///
/// Ready for [cascade]: participants are identified by id only; a participant whose media lives on another
/// sfuserver (behind a relay) is a participant like any other here, its `published` tracks arriving over the relay.
public struct RoomCore: Sendable {
    public let meetingID: String
    public let configuration: RoomConfiguration
    public private(set) var participants: [String: RoomParticipant] = [:]
    public private(set) var isLocked = false
    public private(set) var hasEnded = false
    public private(set) var speakers = SpeakerDetector()
    /// Per subscriber and slot kind, who each slot carries.
    public private(set) var assignments: [String: [SlotKind: [String?]]] = [:]
    /// Who spoke last, most recent first (last-N video order).
    var recentSpeakers: [String] = []
    var sequence = 0
    var lastSpeakingList: [String] = []

    public init(meetingID: String, configuration: RoomConfiguration = RoomConfiguration()) {
        self.meetingID = meetingID
        self.configuration = configuration
    }

    public var isEmpty: Bool { participants.isEmpty }

    // MARK: Membership

    /// A participant whose join token was verified asks to join. Joining again with the same id (a reconnect)
    /// resumes: its mute and hand state are kept and the others are not told it left and came back; the driver
    /// closes the older connection with ``SignalingErrorCode/replaced``.
    public mutating func join(id: String, displayName: String, role: ParticipantRole, grants: MediaGrants)
        -> Result<[RoomAction], SignalingError>
    {
        if hasEnded { return .failure(SignalingError(.meetingEnded, "the meeting has ended")) }
        if var existing = participants[id] {
            existing.displayName = displayName
            existing.published = []
            existing.slotCapacity = SlotCounts(audio: 0, video: 0, screen: 0)
            participants[id] = existing
            assignments[id] = nil
            return .success([joinedMessage(for: id, resumed: true)])
        }
        if isLocked && !grants.moderate {
            return .failure(SignalingError(.roomLocked, "the host locked the meeting"))
        }
        if participants.count >= configuration.maximumParticipants {
            return .failure(SignalingError(.roomFull,
                "the meeting has its maximum of \(configuration.maximumParticipants) participants on this server"))
        }
        sequence += 1
        let participant = RoomParticipant(id: id, displayName: displayName, role: role, grants: grants,
            joinSequence: sequence)
        participants[id] = participant
        var actions = [joinedMessage(for: id, resumed: false)]
        actions += broadcast(.participantJoined(participant.info), except: id)
        return .success(actions)
    }

    func joinedMessage(for id: String, resumed: Bool) -> RoomAction {
        let others = participants.values.filter { $0.id != id }.sorted { $0.joinSequence < $1.joinSequence }
        return .send(to: id, .joined(participantID: id, meetingID: meetingID, participants: others.map(\.info),
            slots: configuration.slots, resumed: resumed, locked: isLocked))
    }

    /// A participant left (closed its connection, timed out, was removed).
    public mutating func leave(_ id: String, reason: String) -> [RoomAction] {
        guard participants.removeValue(forKey: id) != nil else { return [] }
        assignments[id] = nil
        recentSpeakers.removeAll { $0 == id }
        var actions = broadcast(.participantLeft(participantID: id, reason: reason), except: nil)
        if speakers.remove(id) {
            actions += broadcast(.dominantSpeaker(participantID: speakers.dominant), except: nil)
        }
        return actions
    }

    // MARK: Media state

    /// The participant's publish connection carries `tracks` (from its publish offer). Tracks its token does not
    /// grant are refused with ``SignalingErrorCode/forbidden`` and not published.
    public mutating func publish(_ id: String, tracks: Set<TrackKind>) -> Result<[RoomAction], SignalingError> {
        guard var participant = participants[id] else {
            return .failure(SignalingError(.unknownParticipant, "not in the room"))
        }
        for track in tracks where !participant.grants.allows(track) {
            return .failure(SignalingError(.forbidden, "your join token does not allow publishing \(track.rawValue)"))
        }
        for track in tracks.subtracting(participant.published) {
            sequence += 1
            participant.publishSequence[track] = sequence
        }
        participant.published = tracks
        participants[id] = participant
        return .success(broadcast(.participantUpdated(participant.info), except: id))
    }

    /// The participant's subscribe connection has these slots (from its subscribe offer).
    public mutating func setSlotCapacity(_ id: String, _ counts: SlotCounts) -> Result<Void, SignalingError> {
        guard participants[id] != nil else { return .failure(SignalingError(.unknownParticipant, "not in the room")) }
        guard participants[id]?.grants.subscribe == true else {
            return .failure(SignalingError(.forbidden, "your join token does not allow subscribing"))
        }
        participants[id]?.slotCapacity = counts
        assignments[id] = [.audio: Array(repeating: nil, count: counts.audio),
            .video: Array(repeating: nil, count: counts.video), .screen: Array(repeating: nil, count: counts.screen)]
        return .success(())
    }

    /// A message from a participant (offers and candidates are the driver's; they never reach here).
    public mutating func handle(_ message: ClientMessage, from id: String, nowUnixSeconds: Int64) -> [RoomAction] {
        guard let sender = participants[id] else { return [] }
        switch message {
        case .publishOffer, .subscribeOffer, .candidate:
            return []
        case .ping(let pingID):
            return [.send(to: id, .pong(id: pingID))]
        case .mute(let track, let muted):
            if muted { participants[id]?.muted.insert(track) } else { participants[id]?.muted.remove(track) }
            return participantChanged(id)
        case .raiseHand(let raised):
            participants[id]?.handRaised = raised
            return participantChanged(id)
        case .chat(let text):
            return broadcast(.chat(from: id, displayName: sender.displayName, text: text, sentAt: nowUnixSeconds),
                except: nil)
        case .host(let action, let target, let track):
            return hostAction(action, by: sender, target: target, track: track)
        }
    }

    mutating func hostAction(_ action: HostAction, by sender: RoomParticipant, target: String?, track: TrackKind?)
        -> [RoomAction]
    {
        guard sender.grants.moderate else {
            return [.send(to: sender.id, .error(SignalingError(.forbidden,
                "only hosts and co-hosts may \(action.rawValue); your role is \(sender.role.rawValue)")))]
        }
        switch action {
        case .mute, .remove:
            guard let target, let victim = participants[target] else {
                return [.send(to: sender.id, .error(SignalingError(.unknownParticipant,
                    "no participant \(target ?? "(missing participantID)") in this meeting")))]
            }
            if action == .remove {
                var actions: [RoomAction] = [.disconnect(victim.id, SignalingError(.removed,
                    "\(sender.displayName) removed you from the meeting"))]
                actions += leave(victim.id, reason: "removed")
                return actions
            }
            let muted = track ?? .microphone
            participants[victim.id]?.muted.insert(muted)
            return [.send(to: victim.id, .mutedBy(participantID: sender.id, track: muted))] + participantChanged(victim.id)
        case .muteAll:
            var actions: [RoomAction] = []
            for other in participants.keys.sorted() where other != sender.id {
                guard participants[other]?.muted.insert(.microphone).inserted == true else { continue }
                actions.append(.send(to: other, .mutedBy(participantID: sender.id, track: .microphone)))
                actions += participantChanged(other)
            }
            return actions
        case .lock, .unlock:
            isLocked = action == .lock
            return broadcast(.roomLocked(isLocked), except: nil)
        case .end:
            hasEnded = true
            var actions = broadcast(.ended(by: sender.id), except: nil)
            for id in participants.keys.sorted() {
                actions.append(.disconnect(id, SignalingError(.meetingEnded, "\(sender.displayName) ended the meeting")))
            }
            participants.removeAll()
            assignments.removeAll()
            return actions
        }
    }

    mutating func participantChanged(_ id: String) -> [RoomAction] {
        guard let participant = participants[id] else { return [] }
        return broadcast(.participantUpdated(participant.info), except: nil)
    }

    func broadcast(_ message: ServerMessage, except: String?) -> [RoomAction] {
        participants.keys.sorted().filter { $0 != except }.map { .send(to: $0, message) }
    }

    // MARK: Speakers

    /// Average audio levels (dBov) of the publishers over the last interval; `now` in monotonic seconds.
    /// Returns dominant-speaker and speaking-list messages when they change.
    public mutating func updateAudioLevels(_ levels: [String: Double], now: Double) -> [RoomAction] {
        let changed = speakers.update(levels: levels, now: now)
        let speaking = speakers.speaking
        for id in speaking.reversed() {
            recentSpeakers.removeAll { $0 == id }
            recentSpeakers.insert(id, at: 0)
        }
        var actions: [RoomAction] = []
        if changed { actions += broadcast(.dominantSpeaker(participantID: speakers.dominant), except: nil) }
        if speaking != lastSpeakingList {
            lastSpeakingList = speaking
            actions += broadcast(.speaking(participantIDs: speaking), except: nil)
        }
        return actions
    }

    // MARK: Slots

    /// Recomputes every subscriber's slots and returns what changed.
    ///
    /// Audio slots carry the loudest publishers (smoothed RFC 6464 level), video slots the dominant and most
    /// recent speakers then the earliest joiners (last-N), screen slots the screens in the order they were shared.
    /// Assignments are sticky: a publisher keeps its slot while it is still wanted, and only freed slots are
    /// refilled, so the receiver's tiles do not shuffle.
    public mutating func updateSlots() -> [SlotChange] {
        var changes: [SlotChange] = []
        for subscriber in participants.keys.sorted() {
            guard var slots = assignments[subscriber] else { continue }
            for kind in [SlotKind.audio, .video, .screen] {
                guard var current = slots[kind], !current.isEmpty else { continue }
                let wanted = ranked(kind, for: subscriber).prefix(current.count)
                let wantedSet = Set(wanted)
                for index in current.indices {
                    if let publisher = current[index], !wantedSet.contains(publisher) {
                        current[index] = nil
                        changes.append(SlotChange(subscriber: subscriber, kind: kind, index: index, publisher: nil))
                    }
                }
                let present = Set(current.compactMap { $0 })
                var missing = wanted.filter { !present.contains($0) }[...]
                for index in current.indices where current[index] == nil {
                    guard let next = missing.popFirst() else { break }
                    current[index] = next
                    // A slot emptied and refilled in one pass is one change.
                    changes.removeAll { $0.subscriber == subscriber && $0.kind == kind && $0.index == index }
                    changes.append(SlotChange(subscriber: subscriber, kind: kind, index: index, publisher: next))
                }
                slots[kind] = current
            }
            assignments[subscriber] = slots
        }
        return changes
    }

    /// Publishers of `kind`'s track that `subscriber` may receive, best first.
    func ranked(_ kind: SlotKind, for subscriber: String) -> [String] {
        let track = kind.trackKind
        let candidates = participants.values.filter { $0.id != subscriber && $0.sends(track) }
        switch kind {
        case .audio:
            return candidates.sorted {
                let left = speakers.smoothed[$0.id] ?? -127, right = speakers.smoothed[$1.id] ?? -127
                return left != right ? left > right : $0.joinSequence < $1.joinSequence
            }.map(\.id)
        case .video:
            func rank(_ participant: RoomParticipant) -> Int {
                if participant.id == speakers.dominant { return -1 }
                return recentSpeakers.firstIndex(of: participant.id) ?? Int.max
            }
            return candidates.sorted {
                let left = rank($0), right = rank($1)
                return left != right ? left < right : $0.joinSequence < $1.joinSequence
            }.map(\.id)
        case .screen:
            return candidates.sorted {
                ($0.publishSequence[.screen] ?? 0) < ($1.publishSequence[.screen] ?? 0)
            }.map(\.id)
        }
    }
}

extension MediaGrants {
    /// Whether these grants allow publishing `track`.
    public func allows(_ track: TrackKind) -> Bool {
        switch track {
        case .microphone: publishAudio
        case .camera: publishVideo
        case .screen: publishScreen
        }
    }
}
