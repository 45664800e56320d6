import ServerKit

/// The version of the signaling protocol of docs/signaling.md. Every message carries it as `"v"`; a client speaking
/// another version is refused with ``SignalingErrorCode/unsupportedVersion`` instead of being misunderstood.
public let signalingProtocolVersion = 1

/// A published track of a participant. Each has its own publish-PC section and its own subscribe slots.
public enum TrackKind: String, Codable, Sendable, Hashable, CaseIterable {
    case microphone
    case camera
    case screen

    /// Whether the track is audio.
    public var isAudio: Bool { self == .microphone }
}

/// What a subscribe-PC slot carries (the client offers its recvonly sections for these, docs/signaling.md).
public enum SlotKind: String, Codable, Sendable, Hashable {
    case audio
    case video
    case screen

    /// The kind of track a slot of this kind carries.
    public var trackKind: TrackKind {
        switch self {
        case .audio: .microphone
        case .video: .camera
        case .screen: .screen
        }
    }
}

/// Which peer connection a trickled candidate belongs to.
public enum PeerConnectionRole: String, Codable, Sendable, Hashable {
    case publish
    case subscribe
}

/// A host action (docs/signaling.md "Host actions"); allowed only with the token's `moderate` grant.
public enum HostAction: String, Codable, Sendable, Hashable {
    /// Mute one participant's microphone (or camera with `kind`).
    case mute
    /// Mute every other participant's microphone.
    case muteAll
    /// Remove one participant from the meeting.
    case remove
    /// Lock the room: no new participant may join (hosts and co-hosts still can).
    case lock
    /// Unlock the room.
    case unlock
    /// End the meeting for everyone.
    case end
}

/// A participant as the others see it.
public struct ParticipantInfo: Codable, Sendable, Hashable {
    public var id: String
    public var displayName: String
    public var role: ParticipantRole
    /// The tracks published and not muted.
    public var tracks: [TrackKind]
    public var audioMuted: Bool
    public var videoMuted: Bool
    public var handRaised: Bool

    public init(id: String, displayName: String, role: ParticipantRole, tracks: [TrackKind], audioMuted: Bool,
        videoMuted: Bool, handRaised: Bool)
    {
        self.id = id
        self.displayName = displayName
        self.role = role
        self.tracks = tracks
        self.audioMuted = audioMuted
        self.videoMuted = videoMuted
        self.handRaised = handRaised
    }
}

/// What one subscribe slot carries now: the slot's `mid` and the participant and track in it (nil = empty).
public struct SlotAssignment: Codable, Sendable, Hashable {
    public var mid: String
    public var kind: SlotKind
    public var participantID: String?
    public var track: TrackKind?

    public init(mid: String, kind: SlotKind, participantID: String?, track: TrackKind?) {
        self.mid = mid
        self.kind = kind
        self.participantID = participantID
        self.track = track
    }
}

/// How many subscribe slots of each kind a client offers (sent in `joined`).
public struct SlotCounts: Codable, Sendable, Hashable {
    public var audio: Int
    public var video: Int
    public var screen: Int

    public init(audio: Int, video: Int, screen: Int) {
        self.audio = audio
        self.video = video
        self.screen = screen
    }
}

/// A message from a participant to the sfuserver (docs/signaling.md). JSON with `"v"` and `"type"`.
public enum ClientMessage: Sendable, Hashable {
    /// The offer of the publish PeerConnection; `tracks` maps its section mids to what they carry.
    case publishOffer(sdp: String, tracks: [String: TrackKind])
    /// The offer of the subscribe PeerConnection; `slots` maps its recvonly section mids to slot kinds.
    case subscribeOffer(sdp: String, slots: [String: SlotKind])
    /// A trickled ICE candidate line (`candidate:…`); nil = end of candidates (RFC 8838 §4.4).
    case candidate(pc: PeerConnectionRole, candidate: String?)
    /// The participant muted or unmuted its own track (the sfuserver stops forwarding a muted track).
    case mute(track: TrackKind, muted: Bool)
    case chat(text: String)
    case raiseHand(raised: Bool)
    /// A host action; `participantID` names the target of mute and remove, `track` what mute applies to.
    case host(action: HostAction, participantID: String?, track: TrackKind?)
    case ping(id: Int?)
}

/// A message from the sfuserver to a participant.
public enum ServerMessage: Sendable, Hashable {
    /// The answer to `join`: who you are, who is here, how many subscribe slots to offer, and whether this is a
    /// resumed session.
    case joined(participantID: String, meetingID: String, participants: [ParticipantInfo], slots: SlotCounts,
        resumed: Bool, locked: Bool)
    case publishAnswer(sdp: String)
    case subscribeAnswer(sdp: String)
    case participantJoined(ParticipantInfo)
    case participantLeft(participantID: String, reason: String)
    case participantUpdated(ParticipantInfo)
    /// The current content of (some of) the subscribe slots.
    case slots([SlotAssignment])
    /// The dominant speaker changed (nil: nobody speaks).
    case dominantSpeaker(participantID: String?)
    /// Who is speaking now, loudest first.
    case speaking(participantIDs: [String])
    case chat(from: String, displayName: String, text: String, sentAt: Int64)
    /// A host muted one of your tracks.
    case mutedBy(participantID: String, track: TrackKind)
    case roomLocked(Bool)
    /// The meeting ended (a host ended it); the connection closes after this.
    case ended(by: String)
    case pong(id: Int?)
    /// A typed error. `fatal` errors close the connection after being sent.
    case error(SignalingError)
}

/// A typed signaling error with a stable code (docs/signaling.md "Errors").
public struct SignalingError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: SignalingErrorCode
    public var message: String

    public init(_ code: SignalingErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Whether the sfuserver closes the connection after sending this error.
    public var isFatal: Bool { code.isFatal }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// The stable error codes of the signaling protocol.
public enum SignalingErrorCode: String, Codable, Sendable, Hashable, CaseIterable {
    /// No token, a forged one, one for another audience or another sfuserver.
    case invalidToken = "token.invalid"
    case expiredToken = "token.expired"
    case unsupportedVersion = "protocol.version"
    /// Not JSON, or not an object with a known `type` and the fields it needs.
    case malformedMessage = "message.malformed"
    case unknownMessage = "message.unknown"
    case invalidSDP = "sdp.invalid"
    case invalidCandidate = "candidate.invalid"
    /// The token does not grant this (publish a track, moderate).
    case forbidden = "forbidden"
    case unknownParticipant = "participant.unknown"
    case roomLocked = "room.locked"
    case roomFull = "room.full"
    case meetingEnded = "meeting.ended"
    /// The same participant joined again elsewhere; this older connection is closed.
    case replaced = "session.replaced"
    case removed = "participant.removed"
    /// The server is shutting down or draining; rejoin (through the apiserver) elsewhere.
    case draining = "server.draining"
    case internalError = "server.internal"
    case tooLarge = "message.too-large"
    case rateLimited = "message.rate-limited"

    /// Errors after which the connection is closed.
    public var isFatal: Bool {
        switch self {
        case .invalidToken, .expiredToken, .unsupportedVersion, .roomLocked, .roomFull, .meetingEnded, .replaced,
            .removed, .draining, .internalError, .tooLarge:
            true
        case .malformedMessage, .unknownMessage, .invalidSDP, .invalidCandidate, .forbidden, .unknownParticipant,
            .rateLimited:
            false
        }
    }
}
