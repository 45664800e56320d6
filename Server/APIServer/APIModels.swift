import APIStore
import HTTPTypes
import Hummingbird
import ServerKit

// The JSON bodies of the HTTP API (docs/api.md). Field names are camelCase; times are Unix seconds.

struct CodeRequest: Decodable { var email: String }
struct CodeRequested: ResponseEncodable { var sent: Bool; var expiresAt: Int64 }
struct VerifyRequest: Decodable { var email: String; var code: String }

struct UserView: ResponseEncodable {
    var id: String
    var email: String
    var displayName: String
    var isAdmin: Bool

    init(_ user: User) {
        id = user.id
        email = user.email
        displayName = user.displayName
        isAdmin = user.isAdmin
    }
}

struct SignedInView: ResponseEncodable {
    var token: String
    var sessionID: String
    var expiresAt: Int64
    var user: UserView
}

struct SessionView: Codable {
    var id: String
    var createdAt: Int64
    var expiresAt: Int64
    var userAgent: String
    var current: Bool
}

struct SessionList: ResponseEncodable { var sessions: [SessionView] }
struct MeUpdate: Decodable { var displayName: String }

/// Someone invited to a meeting, with the role they join in (`co-host` or `participant`, the default).
struct Invitee: Codable, Hashable {
    var email: String
    var role: ParticipantRole

    init(email: String, role: ParticipantRole) {
        self.email = email
        self.role = role
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        email = try container.decode(String.self, forKey: .email)
        role = try container.decodeIfPresent(ParticipantRole.self, forKey: .role) ?? .participant
    }
}

struct MeetingInput: Decodable {
    var title: String?
    var beginAt: Int64?
    var endAt: Int64?
    var invitees: [Invitee]?
    var passcode: String?
    var lobby: Bool?
    var guestsAllowed: Bool?
}

struct MeetingView: ResponseEncodable {
    var id: String
    /// `scheduled` or `instant` (the owner's personal room).
    var kind: String
    var title: String
    var ownerEmail: String
    var beginAt: Int64?
    var endAt: Int64?
    /// The passcode itself is stored only as a keyed hash; it is in the invitation mail.
    var hasPasscode: Bool
    var lobby: Bool
    var guestsAllowed: Bool
    var cancelled: Bool
    var invitees: [Invitee]
    var joinLink: String
    /// `ready` when servers are allocated, `preparing` while the allocateserver is not ready.
    var servers: String
    /// Allocated servers. A connected client that sees `sfu` change (its sfuserver died) rejoins.
    var sfu: String?
    var turn: String?
    /// RFC 5545 SEQUENCE of the invitation: grows with every mailed change.
    var sequence: Int
    var yourRole: ParticipantRole
}

struct MeetingList: ResponseEncodable { var meetings: [MeetingView] }

struct JoinRequest: Decodable {
    var displayName: String?
    var passcode: String?
}

struct ICEServerView: Codable {
    var urls: [String]
    var username: String?
    var credential: String?
}

struct MeetingSettingsView: Codable {
    var id: String
    var title: String
    var kind: String
    var beginAt: Int64?
    var endAt: Int64?
    var lobby: Bool
    var guestsAllowed: Bool
}

struct ParticipantView: Codable {
    var id: String
    var displayName: String
    var role: ParticipantRole
}

/// The answer to a join: where to connect and with what.
struct JoinAnswer: ResponseEncodable {
    var status = "ready"
    var meeting: MeetingSettingsView
    var participant: ParticipantView
    var sfu: String
    var turn: String
    var signalingURL: String
    var token: String
    var tokenExpiresAt: Int64
    var iceServers: [ICEServerView]
}

/// The answer while waiting in the lobby.
struct LobbyWait: ResponseEncodable {
    /// `waiting`.
    var status: String
    /// Poll `GET /v1/meetings/{id}/lobby/{ticket}` with this.
    var ticket: String
    var pollAfterSeconds: Int
}

struct LobbyEntryView: Codable {
    var ticket: String
    var displayName: String
    var signedIn: Bool
    var state: String
    var createdAt: Int64
}

struct LobbyList: ResponseEncodable { var entries: [LobbyEntryView] }

struct FileAccess: ResponseEncodable {
    var fs: String
    var token: String
    var tokenExpiresAt: Int64
}

struct ServerView: Codable {
    var id: String
    var kind: ServerKind
    var address: String
    var capacity: Int
    var load: Int
    /// `alive`, `draining` or `dead`.
    var state: String
    var lastHeartbeatAt: Int64
}

struct ServerList: ResponseEncodable { var servers: [ServerView] }

struct HealthView: ResponseEncodable { var status: String }
