/// A participant's role in a meeting. Hosts and co-hosts moderate (admit from the lobby, mute, remove); guests
/// joined by link without an account.
public enum ParticipantRole: String, Codable, Sendable, Hashable, CaseIterable {
    case host
    case coHost = "co-host"
    case participant
    case guest
}

/// What a join token lets its holder do on the sfuserver.
public struct MediaGrants: Codable, Sendable, Hashable {
    public var publishAudio: Bool
    public var publishVideo: Bool
    public var publishScreen: Bool
    public var subscribe: Bool
    /// Mute or remove others, end the meeting (hosts and co-hosts).
    public var moderate: Bool

    public init(publishAudio: Bool, publishVideo: Bool, publishScreen: Bool, subscribe: Bool, moderate: Bool) {
        self.publishAudio = publishAudio
        self.publishVideo = publishVideo
        self.publishScreen = publishScreen
        self.subscribe = subscribe
        self.moderate = moderate
    }

    /// The default grants of a role: everyone publishes and subscribes; hosts and co-hosts also moderate.
    public static func defaults(for role: ParticipantRole) -> MediaGrants {
        let moderates = role == .host || role == .coHost
        return MediaGrants(publishAudio: true, publishVideo: true, publishScreen: true, subscribe: true,
            moderate: moderates)
    }

    enum CodingKeys: String, CodingKey {
        case publishAudio = "audio", publishVideo = "video", publishScreen = "screen", subscribe, moderate
    }
}

/// The claims of a join token (DESIGN.md §3): minted by the apiserver for one participant of one meeting on one
/// sfuserver, checked by that sfuserver without a round trip. `aud` "join", `exp`, `iat` are added by
/// ``JSONWebTokenSigner``.
public struct JoinClaims: Codable, Sendable, Hashable {
    /// The meeting.
    public var meetingID: String
    /// This participant (a user id, or a fresh id for a guest); unique within the meeting.
    public var participantID: String
    public var displayName: String
    public var role: ParticipantRole
    public var grants: MediaGrants
    /// The sfuserver (`host:port`) the token is for; an sfuserver refuses tokens naming another.
    public var sfu: String

    public init(meetingID: String, participantID: String, displayName: String, role: ParticipantRole,
        grants: MediaGrants, sfu: String)
    {
        self.meetingID = meetingID
        self.participantID = participantID
        self.displayName = displayName
        self.role = role
        self.grants = grants
        self.sfu = sfu
    }

    enum CodingKeys: String, CodingKey {
        case meetingID = "mid", participantID = "sub", displayName = "name", role, grants, sfu
    }
}

/// The claims of a file token: lets a participant upload to and download from the meeting's minutes on one
/// fsserver. `aud` "fs".
public struct FileClaims: Codable, Sendable, Hashable {
    public var meetingID: String
    public var participantID: String
    public var displayName: String
    /// The fsserver (`host:port`) the token is for.
    public var fs: String
    public var upload: Bool
    public var download: Bool

    public init(meetingID: String, participantID: String, displayName: String, fs: String, upload: Bool,
        download: Bool)
    {
        self.meetingID = meetingID
        self.participantID = participantID
        self.displayName = displayName
        self.fs = fs
        self.upload = upload
        self.download = download
    }

    enum CodingKeys: String, CodingKey {
        case meetingID = "mid", participantID = "sub", displayName = "name", fs, upload, download
    }
}

/// The kinds of server that register with the apiserver.
public enum ServerKind: String, Codable, Sendable, Hashable, CaseIterable {
    case sfu, turn, fs
}

/// The claims of a server credential: an sfu/turn/fs server proves it belongs to the deployment by presenting a
/// short-lived token signed with the ``KeyPurpose/server`` key when it opens the registry WebSocket. The secret
/// and the key never travel; a captured credential is useless after its `exp` (a minute).
public struct ServerClaims: Codable, Sendable, Hashable {
    public var kind: ServerKind
    /// The public address the server announces (`host:port`).
    public var address: String
    /// A random value per credential, so two credentials are never equal.
    public var nonce: String

    public init(kind: ServerKind, address: String, nonce: String) {
        self.kind = kind
        self.address = address
        self.nonce = nonce
    }
}

/// Mints and checks the deployment's tokens with the right key for each purpose.
public struct TokenAuthority: Sendable {
    public let join: JSONWebTokenSigner
    public let fs: JSONWebTokenSigner
    public let server: JSONWebTokenSigner
    /// Key for TURN REST passwords.
    public let turnKey: [UInt8]

    public init(keys: DeploymentKeys) {
        join = JSONWebTokenSigner(keys: keys, purpose: .join)
        fs = JSONWebTokenSigner(keys: keys, purpose: .fs)
        server = JSONWebTokenSigner(keys: keys, purpose: .server)
        turnKey = keys.turn
    }

    public init(secret: String) {
        self.init(keys: DeploymentKeys(secret: secret))
    }

    /// A server credential for the registry, valid for `lifetime` seconds from `now`.
    public func serverCredential(kind: ServerKind, address: String, now: Int64, lifetime: Int64 = 60)
        throws(TokenError) -> String
    {
        let nonce = Base64.encodeURL(KeyedHashing.randomBytes(12))
        return try server.sign(ServerClaims(kind: kind, address: address, nonce: nonce), issuedAt: now,
            expiresAt: now + lifetime)
    }
}
