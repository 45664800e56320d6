import APIStore
import Foundation
import HTTPTypes
import Logging
import ServerKit

/// Meetings: scheduling, the personal room, editing and cancelling, and joining (with passcode, lobby and guests).
struct MeetingService: Sendable {
    let store: any Store
    let configuration: APIServerConfiguration
    let allocation: AllocationService
    let accounts: AccountService
    let mail: MailComposer
    let tokens: TokenAuthority
    let logger: Logger

    func joinLink(_ meetingID: String) -> String { "\(configuration.publicURL)/j/\(meetingID)" }

    /// A new meeting is allocated inline right after it is stored; until that attempt has had its time, the
    /// background worker (of any apiserver) leaves it alone, so the allocateserver is asked once.
    func inlineLease(_ now: Date) -> Date {
        now.addingTimeInterval(configuration.allocateTimeout.secondsDouble * 2 + 1)
    }

    // MARK: Create, read, edit, cancel

    /// Creates a scheduled meeting owned by `owner`, mails the invitations and asks for servers. The meeting is
    /// created even if the servers are not ready yet (the worker retries; joins are told to wait).
    func create(_ input: MeetingInput, owner: User, now: Date) async throws -> Meeting {
        let title = try Self.title(input.title ?? "")
        guard let beginAt = input.beginAt, let endAt = input.endAt else {
            throw APIError.badRequest(
                "a scheduled meeting needs beginAt and endAt (Unix seconds); POST /v1/meetings/instant opens your personal room")
        }
        guard beginAt > 0, endAt > beginAt, endAt - beginAt <= 7 * 86_400 else {
            throw APIError.badRequest("endAt must be after beginAt, and a meeting lasts at most 7 days")
        }
        let invitees = try Self.invitees(input.invitees ?? [], owner: owner.email)
        let passcode = try Self.passcode(input.passcode)
        let id = Identifier.make()
        let meeting = try await store.createMeeting(Meeting(id: id, ownerID: owner.id, kind: .scheduled, title: title,
            beginAt: Date(timeIntervalSince1970: TimeInterval(beginAt)),
            endAt: Date(timeIntervalSince1970: TimeInterval(endAt)),
            passcodeHash: passcode.map { configuration.signInSecrets.passcodeHash(meetingID: id, passcode: $0) },
            lobbyEnabled: input.lobby ?? true, guestsAllowed: input.guestsAllowed ?? false, createdAt: now,
            nextAllocationAt: inlineLease(now)))
        try await saveInvitees(meeting.id, invitees)
        for invitee in invitees {
            _ = try await store.enqueueMail(mail.invitation(to: invitee.email, meeting: meeting, organizer: owner,
                attendees: invitees.map(\.email), joinLink: joinLink(meeting.id), passcode: passcode, now: now))
        }
        return await allocateQuietly(meeting, ownerEmail: owner.email, now: now)
    }

    /// The owner's personal room: created on first use, then the same id for ever. Allocated with BeginAt=0/EndAt=0.
    func instant(owner: User, now: Date) async throws -> Meeting {
        if let existing = try await store.personalRoom(ownerID: owner.id) {
            return existing.allocationState == .allocated
                ? existing : await allocateQuietly(existing, ownerEmail: owner.email, now: now)
        }
        let meeting: Meeting
        do {
            meeting = try await store.createMeeting(Meeting(id: Identifier.make(), ownerID: owner.id, kind: .personal,
                title: "\(owner.displayName)'s room", lobbyEnabled: true, guestsAllowed: true, createdAt: now,
                nextAllocationAt: inlineLease(now)))
        } catch .duplicate {
            // Another request created it meanwhile.
            guard let existing = try await store.personalRoom(ownerID: owner.id) else { throw APIError.meetingNotFound }
            return existing
        }
        return await allocateQuietly(meeting, ownerEmail: owner.email, now: now)
    }

    /// Allocates now if possible; a not-ready answer leaves the retry scheduled and is not an error here.
    private func allocateQuietly(_ meeting: Meeting, ownerEmail: String, now: Date) async -> Meeting {
        do {
            return try await allocation.allocate(meeting, ownerEmail: ownerEmail, now: now)
        } catch {
            return (try? await store.meeting(id: meeting.id)) ?? meeting
        }
    }

    func ownerEmail(_ meeting: Meeting) async throws -> String {
        guard let owner = try await store.user(id: meeting.ownerID) else {
            throw APIError.internalError("the meeting's owner is missing")
        }
        return owner.email
    }

    /// Invitees are stored as addresses; co-hosts also get a role.
    private func saveInvitees(_ meetingID: String, _ invitees: [Invitee]) async throws {
        try await store.setInvitees(meetingID: meetingID, emails: invitees.map(\.email))
        for existing in try await store.roles(meetingID: meetingID)
        where !invitees.contains(where: { $0.email == existing.email && $0.role == .coHost }) {
            try await store.removeRole(meetingID: meetingID, email: existing.email)
        }
        for invitee in invitees where invitee.role == .coHost {
            try await store.setRole(meetingID: meetingID, email: invitee.email, role: .coHost)
        }
    }

    func invitees(_ meetingID: String) async throws -> [Invitee] {
        let roles = try await store.roles(meetingID: meetingID)
        return try await store.invitees(meetingID: meetingID).map { email in
            Invitee(email: email, role: roles.first { $0.email == email }.map { ParticipantRole($0.role) } ?? .participant)
        }
    }

    /// The caller's role in a meeting if they are its owner, invited or given a role; nil otherwise.
    func role(of user: User, in meeting: Meeting) async throws -> ParticipantRole? {
        if user.id == meeting.ownerID { return .host }
        if let role = try await store.role(meetingID: meeting.id, email: user.email) { return ParticipantRole(role) }
        return try await store.invitees(meetingID: meeting.id).contains(user.email) ? .participant : nil
    }

    /// A meeting the caller may see (owner, invitee or admin); others get 404, so ids cannot be probed.
    func visible(_ id: String, to user: User) async throws -> (Meeting, ParticipantRole) {
        guard Identifier.isPlausible(id), let meeting = try await store.meeting(id: id) else {
            throw APIError.meetingNotFound
        }
        if let role = try await role(of: user, in: meeting) { return (meeting, role) }
        if user.isAdmin { return (meeting, .participant) }
        throw APIError.meetingNotFound
    }

    /// A meeting the caller hosts (owner or co-host).
    func hosted(_ id: String, by user: User) async throws -> Meeting {
        let (meeting, role) = try await visible(id, to: user)
        guard role == .host || role == .coHost else { throw APIError.forbidden }
        return meeting
    }

    func view(_ meeting: Meeting, role: ParticipantRole) async throws -> MeetingView {
        MeetingView(id: meeting.id, kind: meeting.kind == .personal ? "instant" : "scheduled", title: meeting.title,
            ownerEmail: try await ownerEmail(meeting), beginAt: meeting.beginAt?.unixSeconds,
            endAt: meeting.endAt?.unixSeconds, hasPasscode: meeting.passcodeHash != nil, lobby: meeting.lobbyEnabled,
            guestsAllowed: meeting.guestsAllowed, cancelled: meeting.cancelled,
            invitees: try await invitees(meeting.id), joinLink: joinLink(meeting.id),
            servers: meeting.allocationState == .allocated ? "ready" : "preparing", sfu: meeting.sfuAddress,
            turn: meeting.turnAddress, sequence: meeting.sequence, yourRole: role)
    }

    /// Edits what the host sends; invitees get an updated invitation (removed ones a cancellation). Changing the
    /// time of a scheduled meeting asks for servers again.
    func edit(_ id: String, _ input: MeetingInput, by user: User, now: Date) async throws -> Meeting {
        var meeting = try await hosted(id, by: user)
        guard !meeting.cancelled else { throw APIError.meetingCancelled }
        if let title = input.title { meeting.title = try Self.title(title) }
        var timeChanged = false
        if input.beginAt != nil || input.endAt != nil {
            guard meeting.kind == .scheduled else { throw APIError.badRequest("a personal room has no time") }
            let begin = input.beginAt ?? meeting.beginAt?.unixSeconds ?? 0
            let end = input.endAt ?? meeting.endAt?.unixSeconds ?? 0
            guard begin > 0, end > begin, end - begin <= 7 * 86_400 else {
                throw APIError.badRequest("endAt must be after beginAt, and a meeting lasts at most 7 days")
            }
            timeChanged = begin != meeting.beginAt?.unixSeconds || end != meeting.endAt?.unixSeconds
            meeting.beginAt = Date(timeIntervalSince1970: TimeInterval(begin))
            meeting.endAt = Date(timeIntervalSince1970: TimeInterval(end))
        }
        let passcode = try Self.passcode(input.passcode)
        if input.passcode != nil {
            meeting.passcodeHash = passcode.map {
                configuration.signInSecrets.passcodeHash(meetingID: meeting.id, passcode: $0)
            }
        }
        if let lobby = input.lobby { meeting.lobbyEnabled = lobby }
        if let guests = input.guestsAllowed { meeting.guestsAllowed = guests }
        let before = try await invitees(meeting.id)
        var after = before
        if let list = input.invitees {
            after = try Self.invitees(list, owner: try await ownerEmail(meeting))
            try await saveInvitees(meeting.id, after)
        }
        meeting = try await store.updateMeeting(meeting, now: now)
        let organizer = try await store.user(id: meeting.ownerID) ?? user
        for invitee in after {
            _ = try await store.enqueueMail(mail.invitation(to: invitee.email, meeting: meeting, organizer: organizer,
                attendees: after.map(\.email), joinLink: joinLink(meeting.id), passcode: passcode, now: now))
        }
        for removed in before where !after.contains(where: { $0.email == removed.email }) {
            _ = try await store.enqueueMail(mail.cancellation(to: removed.email, meeting: meeting,
                organizer: organizer, attendees: [removed.email], now: now))
        }
        guard timeChanged else { return meeting }
        meeting = try await store.setAllocationPending(meetingID: meeting.id, error: "rescheduled",
            nextAttemptAt: now, now: now)
        return await allocateQuietly(meeting, ownerEmail: try await ownerEmail(meeting), now: now)
    }

    /// Cancels a meeting; invitees get a cancellation.
    func cancel(_ id: String, by user: User, now: Date) async throws {
        let found = try await hosted(id, by: user)
        guard !found.cancelled else { return }
        let meeting = try await store.cancelMeeting(id: found.id, now: now)
        let organizer = try await store.user(id: meeting.ownerID) ?? user
        let invitees = try await store.invitees(meetingID: meeting.id)
        for invitee in invitees {
            _ = try await store.enqueueMail(mail.cancellation(to: invitee, meeting: meeting, organizer: organizer,
                attendees: invitees, now: now))
        }
    }

    // MARK: Join and lobby

    enum JoinOutcome {
        case ready(JoinAnswer)
        case waiting(LobbyWait)
    }

    /// Joins `id` as the signed-in `user`, or as a guest when `user` is nil. The owner, co-hosts and invitees go
    /// straight in; other signed-in people and guests need the passcode (if set), guests need `guestsAllowed`, and
    /// both wait in the lobby when it is on.
    func join(_ id: String, _ request: JoinRequest, user: User?, clientIP: String, now: Date) async throws
        -> JoinOutcome
    {
        guard Identifier.isPlausible(id), let meeting = try await store.meeting(id: id) else {
            throw APIError.meetingNotFound
        }
        guard !meeting.cancelled else { throw APIError.meetingCancelled }
        let role: ParticipantRole
        let displayName: String
        var invited = false
        if let user {
            let known = try await self.role(of: user, in: meeting)
            invited = known != nil
            role = known ?? .participant
            displayName = try Self.displayName(request.displayName ?? user.displayName)
        } else {
            guard meeting.guestsAllowed else { throw APIError.guestsNotAllowed }
            role = .guest
            displayName = try Self.displayName(request.displayName ?? "")
        }
        if !invited {
            if let stored = meeting.passcodeHash {
                let given = configuration.signInSecrets.passcodeHash(meetingID: meeting.id,
                    passcode: (request.passcode ?? "").trimmingWhitespace())
                guard KeyedHashing.constantTimeEquals(given, stored) else {
                    try await accounts.limit("join.passcode", "\(clientIP) \(meeting.id)",
                        configuration.passcodeFailuresPerIP, what: "wrong passcodes for this meeting", now: now)
                    throw APIError.passcodeRequired
                }
            }
            if meeting.lobbyEnabled {
                let entry = try await store.enterLobby(LobbyEntry(meetingID: meeting.id, displayName: displayName,
                    userID: user?.id, createdAt: now))
                return .waiting(LobbyWait(status: "waiting", ticket: entry.id, pollAfterSeconds: 2))
            }
        }
        let participantID = user?.id ?? "g-" + Identifier.make()
        return .ready(try await answer(meeting, participantID: participantID, displayName: displayName, role: role,
            now: now))
    }

    /// A lobby ticket's state; once admitted, the join answer.
    func lobbyStatus(_ id: String, ticket: String, now: Date) async throws -> JoinOutcome {
        guard Identifier.isPlausible(ticket), let entry = try await store.lobbyEntry(id: ticket), entry.meetingID == id,
            let meeting = try await store.meeting(id: id)
        else {
            throw APIError(.notFound, "lobby.not-found", "No such lobby ticket for this meeting.")
        }
        guard !meeting.cancelled else { throw APIError.meetingCancelled }
        switch entry.state {
        case .waiting:
            return .waiting(LobbyWait(status: "waiting", ticket: entry.id, pollAfterSeconds: 2))
        case .denied:
            throw APIError(.forbidden, "lobby.denied", "The host did not let you in.")
        case .admitted:
            return .ready(try await answer(meeting, participantID: entry.userID ?? "g-" + entry.id,
                displayName: entry.displayName, role: entry.userID == nil ? .guest : .participant, now: now))
        }
    }

    func lobby(_ id: String, by user: User) async throws -> [LobbyEntry] {
        let meeting = try await hosted(id, by: user)
        return try await store.lobbyEntries(meetingID: meeting.id, state: nil)
    }

    func decide(_ id: String, ticket: String, admit: Bool, by user: User, now: Date) async throws {
        let meeting = try await hosted(id, by: user)
        guard Identifier.isPlausible(ticket), let entry = try await store.lobbyEntry(id: ticket),
            entry.meetingID == meeting.id
        else {
            throw APIError(.notFound, "lobby.not-found", "No such lobby ticket for this meeting.")
        }
        guard try await store.decideLobbyEntry(id: entry.id, admit: admit, decidedBy: user.id, now: now) != nil else {
            throw APIError(.conflict, "lobby.decided", "This person was already admitted or denied.")
        }
    }

    /// The join answer: the sfu's signaling URL, a join token, ICE servers with TURN REST credentials, settings.
    /// Allocates first if the meeting has no servers yet, and answers `servers.preparing` if they are not ready.
    func answer(_ meeting: Meeting, participantID: String, displayName: String, role: ParticipantRole, now: Date)
        async throws -> JoinAnswer
    {
        var meeting = meeting
        if meeting.allocationState != .allocated || meeting.sfuAddress == nil || meeting.turnAddress == nil {
            if meeting.allocationAttempts > 0, let retryAt = meeting.nextAllocationAt, retryAt > now {
                throw APIError.serversPreparing(retryAfter: max(1, Int(retryAt.timeIntervalSince(now).rounded(.up))))
            }
            meeting = try await allocation.allocate(meeting, ownerEmail: try await ownerEmail(meeting), now: now)
        }
        guard let sfu = meeting.sfuAddress, let turn = meeting.turnAddress else {
            throw APIError.serversPreparing(retryAfter: 1)
        }
        let issuedAt = now.unixSeconds
        let expiresAt = issuedAt + configuration.joinTokenLifetime
        let claims = JoinClaims(meetingID: meeting.id, participantID: participantID, displayName: displayName,
            role: role, grants: .defaults(for: role), sfu: sfu)
        let token = try tokens.join.sign(claims, issuedAt: issuedAt, expiresAt: expiresAt)
        let credential = TURNRESTCredential.mint(key: tokens.turnKey, user: participantID,
            expiresAt: issuedAt + configuration.turnCredentialLifetime)
        let ice = ICEServerView(urls: ["stun:\(turn)", "turn:\(turn)?transport=udp", "turn:\(turn)?transport=tcp"],
            username: credential.username, credential: credential.password)
        return JoinAnswer(
            meeting: MeetingSettingsView(id: meeting.id, title: meeting.title,
                kind: meeting.kind == .personal ? "instant" : "scheduled", beginAt: meeting.beginAt?.unixSeconds,
                endAt: meeting.endAt?.unixSeconds, lobby: meeting.lobbyEnabled, guestsAllowed: meeting.guestsAllowed),
            participant: ParticipantView(id: participantID, displayName: displayName, role: role),
            sfu: sfu, turn: turn, signalingURL: "\(configuration.sfuSignalingScheme)://\(sfu)/rtc",
            token: token, tokenExpiresAt: expiresAt, iceServers: [ice])
    }

    /// An fs token and fsserver for a participant of a meeting (`Kind=FS&Email=`).
    func files(_ id: String, user: User, now: Date) async throws -> FileAccess {
        let (meeting, _) = try await visible(id, to: user)
        let fs = try await allocation.allocateFiles(email: user.email)
        let issuedAt = now.unixSeconds
        let expiresAt = issuedAt + configuration.joinTokenLifetime
        let token = try tokens.fs.sign(FileClaims(meetingID: meeting.id, participantID: user.id,
            displayName: user.displayName, fs: fs, upload: true, download: true), issuedAt: issuedAt,
            expiresAt: expiresAt)
        return FileAccess(fs: fs, token: token, tokenExpiresAt: expiresAt)
    }

    // MARK: Input rules

    static func title(_ text: String) throws(APIError) -> String {
        let title = text.trimmingWhitespace()
        guard !title.isEmpty, title.count <= 200, !title.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw APIError.badRequest("a title has 1 to 200 characters and no control characters")
        }
        return title
    }

    static func displayName(_ text: String) throws(APIError) -> String {
        let name = text.trimmingWhitespace()
        guard !name.isEmpty, name.count <= 64, !name.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw APIError.badRequest("a display name has 1 to 64 characters and no control characters")
        }
        return name
    }

    static func passcode(_ text: String?) throws(APIError) -> String? {
        guard let text else { return nil }
        let code = text.trimmingWhitespace()
        if code.isEmpty { return nil }
        guard code.count <= 32, code.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw APIError.badRequest("a passcode has up to 32 printable ASCII characters")
        }
        return code
    }

    static func invitees(_ list: [Invitee], owner: String) throws(APIError) -> [Invitee] {
        guard list.count <= 500 else { throw APIError.badRequest("at most 500 invitees") }
        var seen = Set<String>()
        var result: [Invitee] = []
        for invitee in list {
            let email = try EmailAddress.normalize(invitee.email)
            guard invitee.role == .coHost || invitee.role == .participant else {
                throw APIError.badRequest("an invitee's role is co-host or participant")
            }
            guard email != owner, seen.insert(email).inserted else { continue }
            result.append(Invitee(email: email, role: invitee.role))
        }
        return result
    }
}
