import Foundation

/// Times are stored as integer unix milliseconds; records carry them as `Date`s truncated to the millisecond, so a
/// record read back equals the one written.
extension Date {
    /// Unix time in whole milliseconds (rounded).
    public var unixMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    /// The date `milliseconds` after 1970-01-01T00:00:00Z.
    public init(unixMilliseconds milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// This date truncated to what the store keeps.
    var storePrecision: Date { Date(unixMilliseconds: unixMilliseconds) }
}

/// Random identifiers for records: 128 bits from the system's CSPRNG, as 32 lowercase hex digits.
public enum StoreID {
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let value = generator.next() as UInt64
            let hex = String(value, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}

/// E-mail addresses are compared case-insensitively: stored trimmed and lowercased, on both backends.
public enum EmailAddress {
    public static func normalized(_ address: String) -> String {
        address.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }
}

/// A user account. Created on first sign-in; `email` is unique (normalized by ``EmailAddress/normalized(_:)``).
public struct User: Sendable, Hashable, Codable {
    public var id: String
    public var email: String
    public var displayName: String
    public var isAdmin: Bool
    public var createdAt: Date

    public init(id: String, email: String, displayName: String, isAdmin: Bool, createdAt: Date) {
        self.id = id
        self.email = email
        self.displayName = displayName
        self.isAdmin = isAdmin
        self.createdAt = createdAt
    }
}

/// The outcome of checking a sign-in code with ``Store/consumeSignInCode(email:codeHash:maximumAttempts:now:)``.
public enum SignInCodeCheck: Sendable, Hashable {
    /// The code matched; it is now used up.
    case accepted
    /// The code did not match; `attemptsLeft` more tries are allowed before the code is discarded.
    case wrong(attemptsLeft: Int)
    /// The code was wrong and that was the last allowed attempt; the code is discarded.
    case tooManyAttempts
    /// The code's 10 minutes passed; it is discarded.
    case expired
    /// No code is waiting for this address (never sent, already used or discarded).
    case noCode
}

/// A signed-in session. The client holds an opaque random token; the store keeps only its hash.
public struct Session: Sendable, Hashable, Codable {
    public var id: String
    public var userID: String
    public var createdAt: Date
    public var lastSeenAt: Date
    public var expiresAt: Date
    public var revokedAt: Date?
    /// The client's User-Agent when the session was created, for the session list.
    public var userAgent: String
    /// The client's IP address when the session was created.
    public var address: String

    public init(id: String, userID: String, createdAt: Date, lastSeenAt: Date, expiresAt: Date, revokedAt: Date?,
        userAgent: String, address: String)
    {
        self.id = id
        self.userID = userID
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.userAgent = userAgent
        self.address = address
    }
}

/// What a meeting is.
public enum MeetingKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Has a title, BeginAt/EndAt and invitees; invitations are mailed.
    case scheduled
    /// A user's personal room (instant meeting): one per user, no times (the allocateserver gets 0/0).
    case personal
}

/// Whether a meeting has its sfu/turn (and fs) servers.
public enum AllocationState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Not yet: the allocateserver answered non-200 or could not be reached; retried at `nextAllocationAt`.
    case pending
    /// `sfuAddress` and `turnAddress` are set.
    case allocated
}

/// A meeting, scheduled or personal.
public struct Meeting: Sendable, Hashable, Codable {
    public var id: String
    public var ownerID: String
    public var kind: MeetingKind
    public var title: String
    /// Scheduled meetings only.
    public var beginAt: Date?
    public var endAt: Date?
    /// A keyed hash of the passcode (never the passcode), or nil when there is none.
    public var passcodeHash: [UInt8]?
    public var lobbyEnabled: Bool
    public var guestsAllowed: Bool
    public var cancelled: Bool
    /// RFC 5545 §3.8.7.4 SEQUENCE: starts at 0 and grows with every change mailed as an update or cancellation.
    public var sequence: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var allocationState: AllocationState
    public var sfuAddress: String?
    public var turnAddress: String?
    public var fsAddress: String?
    /// How many allocation attempts failed in a row (for the back-off).
    public var allocationAttempts: Int
    /// When a pending allocation is tried next.
    public var nextAllocationAt: Date?
    /// Why the last allocation attempt failed.
    public var allocationError: String?

    public init(id: String = StoreID.random(), ownerID: String, kind: MeetingKind, title: String,
        beginAt: Date? = nil, endAt: Date? = nil, passcodeHash: [UInt8]? = nil, lobbyEnabled: Bool = false,
        guestsAllowed: Bool = false, cancelled: Bool = false, sequence: Int = 0, createdAt: Date,
        updatedAt: Date? = nil, allocationState: AllocationState = .pending, sfuAddress: String? = nil,
        turnAddress: String? = nil, fsAddress: String? = nil, allocationAttempts: Int = 0,
        nextAllocationAt: Date? = nil, allocationError: String? = nil)
    {
        self.id = id
        self.ownerID = ownerID
        self.kind = kind
        self.title = title
        self.beginAt = beginAt
        self.endAt = endAt
        self.passcodeHash = passcodeHash
        self.lobbyEnabled = lobbyEnabled
        self.guestsAllowed = guestsAllowed
        self.cancelled = cancelled
        self.sequence = sequence
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.allocationState = allocationState
        self.sfuAddress = sfuAddress
        self.turnAddress = turnAddress
        self.fsAddress = fsAddress
        self.allocationAttempts = allocationAttempts
        self.nextAllocationAt = nextAllocationAt
        self.allocationError = allocationError
    }
}

/// A participant's role in a meeting (DESIGN.md §3 tokens carry it).
public enum ParticipantRole: String, Sendable, Hashable, Codable, CaseIterable {
    case host
    case coHost = "co-host"
    case participant
    case guest
}

/// A role given to an e-mail address in one meeting (the owner is host without an entry).
public struct RoleAssignment: Sendable, Hashable, Codable {
    public var meetingID: String
    public var email: String
    public var role: ParticipantRole

    public init(meetingID: String, email: String, role: ParticipantRole) {
        self.meetingID = meetingID
        self.email = email
        self.role = role
    }
}

/// Where a lobby entry stands.
public enum LobbyState: String, Sendable, Hashable, Codable, CaseIterable {
    case waiting
    case admitted
    case denied
}

/// Someone waiting to be let into a meeting with a lobby.
public struct LobbyEntry: Sendable, Hashable, Codable {
    public var id: String
    public var meetingID: String
    public var displayName: String
    /// Set when a signed-in user waits; nil for a guest.
    public var userID: String?
    public var state: LobbyState
    public var createdAt: Date
    public var decidedAt: Date?
    /// The user id of the host who admitted or denied.
    public var decidedBy: String?

    public init(id: String = StoreID.random(), meetingID: String, displayName: String, userID: String? = nil,
        state: LobbyState = .waiting, createdAt: Date, decidedAt: Date? = nil, decidedBy: String? = nil)
    {
        self.id = id
        self.meetingID = meetingID
        self.displayName = displayName
        self.userID = userID
        self.state = state
        self.createdAt = createdAt
        self.decidedAt = decidedAt
        self.decidedBy = decidedBy
    }
}

/// The kinds of servers that register with the apiserver.
public enum ServerKind: String, Sendable, Hashable, Codable, CaseIterable {
    case sfu
    case turn
    case fs
}

/// A registered server's health.
public enum ServerState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Heartbeating; receives new meetings.
    case alive
    /// Missed its heartbeats; its meetings are reallocated.
    case dead
    /// Heartbeating but takes no new meetings (being emptied for maintenance).
    case draining
}

/// A sfu/turn/fs server in the registry.
public struct RegisteredServer: Sendable, Hashable, Codable {
    public var kind: ServerKind
    public var id: String
    /// The public `host:port` clients reach it at.
    public var address: String
    /// How much load it takes (units chosen by the kind: participants for sfu, allocations for turn …).
    public var capacity: Int
    /// The load it reported in its last heartbeat.
    public var load: Int
    public var state: ServerState
    public var registeredAt: Date
    public var lastHeartbeatAt: Date

    public init(kind: ServerKind, id: String, address: String, capacity: Int, load: Int, state: ServerState,
        registeredAt: Date, lastHeartbeatAt: Date)
    {
        self.kind = kind
        self.id = id
        self.address = address
        self.capacity = capacity
        self.load = load
        self.state = state
        self.registeredAt = registeredAt
        self.lastHeartbeatAt = lastHeartbeatAt
    }
}

/// Where an outbox message stands.
public enum OutboxState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting to be sent (first try or after a failure), at `nextAttemptAt`.
    case pending
    case sent
    /// Given up on: the SMTP servers refused it permanently or it ran out of attempts.
    case failed
}

/// A mail message in the outbox: kept until an SMTP server accepted it, so no mail is lost while SMTP is down.
public struct OutboxMessage: Sendable, Hashable, Codable {
    public var id: String
    /// The SMTP envelope sender (MAIL FROM).
    public var sender: String
    /// The SMTP envelope recipients (RCPT TO).
    public var recipients: [String]
    /// The whole RFC 5322 message as sent, headers and body.
    public var message: [UInt8]
    public var state: OutboxState
    /// Attempts started so far (a claim counts as one).
    public var attempts: Int
    public var nextAttemptAt: Date
    /// Which apiserver holds the current claim.
    public var claimedBy: String?
    public var lastError: String?
    public var createdAt: Date
    public var sentAt: Date?

    public init(id: String = StoreID.random(), sender: String, recipients: [String], message: [UInt8],
        state: OutboxState = .pending, attempts: Int = 0, nextAttemptAt: Date, claimedBy: String? = nil,
        lastError: String? = nil, createdAt: Date, sentAt: Date? = nil)
    {
        self.id = id
        self.sender = sender
        self.recipients = recipients
        self.message = message
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.claimedBy = claimedBy
        self.lastError = lastError
        self.createdAt = createdAt
        self.sentAt = sentAt
    }
}
