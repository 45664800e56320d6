import Foundation

/// Everything the apiserver keeps, in a database shared by every apiserver of a deployment: an apiserver holds no
/// state that only it knows (issue 6 "Scale-out"), so several can run behind one load balancer on one MySQL.
///
/// Time is always passed in (`now:`), never read inside, so tests and the caller decide it. E-mail addresses are
/// normalized with ``EmailAddress/normalized(_:)``. Secrets are never stored: sign-in codes, session tokens and
/// passcodes arrive as keyed hashes (HMAC-SHA256 under a key derived from `--secret`) that the caller computes.
/// Text of any shape (including SQL-looking text) is stored verbatim: every value is a bound parameter.
public protocol Store: Sendable {
    // MARK: Users

    /// Creates a user; ``StoreError/duplicate(_:)`` when the address is taken.
    func createUser(email: String, displayName: String, isAdmin: Bool, now: Date) async throws(StoreError) -> User
    func user(id: String) async throws(StoreError) -> User?
    func user(email: String) async throws(StoreError) -> User?
    /// All users, by e-mail address (for admins).
    func users() async throws(StoreError) -> [User]
    /// Changes a user's display name and/or admin flag (nil leaves it); ``StoreError/notFound(_:)`` if missing.
    func updateUser(id: String, displayName: String?, isAdmin: Bool?) async throws(StoreError) -> User

    // MARK: Sign-in codes and rate limits

    /// Stores the keyed hash of a freshly mailed code for `email`, replacing any earlier code (and its attempt count).
    func putSignInCode(email: String, codeHash: [UInt8], expiresAt: Date, now: Date) async throws(StoreError)
    /// Checks a code: the hashes are compared in constant time; a match or an expired code uses the code up, and a
    /// wrong guess counts against `maximumAttempts` (then the code is discarded).
    func consumeSignInCode(email: String, codeHash: [UInt8], maximumAttempts: Int, now: Date)
        async throws(StoreError) -> SignInCodeCheck
    /// Counts one attempt for `subject` (an e-mail address, an IP address) in `scope` (e.g. "signin.email") within
    /// the fixed window of `windowSeconds` that contains `now`, and returns the count including this one. Shared by
    /// every apiserver, so a guesser cannot spread attempts over them.
    func countAttempt(scope: String, subject: String, windowSeconds: Int64, now: Date) async throws(StoreError) -> Int
    /// The attempts counted so far in the current window, without counting one.
    func attempts(scope: String, subject: String, windowSeconds: Int64, now: Date) async throws(StoreError) -> Int

    // MARK: Sessions

    /// Creates a session for `userID` whose bearer token hashes to `tokenHash`.
    func createSession(tokenHash: [UInt8], userID: String, expiresAt: Date, userAgent: String, address: String,
        now: Date) async throws(StoreError) -> Session
    /// The unexpired, unrevoked session whose token hashes to `tokenHash`, or nil. Records `now` as last seen
    /// (written at most once a minute per session, so reads stay reads).
    func session(tokenHash: [UInt8], now: Date) async throws(StoreError) -> Session?
    /// A user's unexpired, unrevoked sessions, newest first.
    func sessions(userID: String, now: Date) async throws(StoreError) -> [Session]
    /// Revokes one session of `userID`; false if there is no such active session.
    func revokeSession(id: String, userID: String, now: Date) async throws(StoreError) -> Bool
    /// Revokes all of a user's sessions; returns how many were active.
    func revokeSessions(userID: String, now: Date) async throws(StoreError) -> Int

    // MARK: Meetings

    /// Stores a new meeting (its `id` must be new; a user's second personal room is a duplicate).
    func createMeeting(_ meeting: Meeting) async throws(StoreError) -> Meeting
    func meeting(id: String) async throws(StoreError) -> Meeting?
    /// The user's personal room, if created.
    func personalRoom(ownerID: String) async throws(StoreError) -> Meeting?
    /// Meetings owned by `ownerID`, by begin time (personal room first).
    func meetings(ownerID: String, includeCancelled: Bool) async throws(StoreError) -> [Meeting]
    /// Meetings `email` is invited to or has a role in.
    func meetings(inviteeEmail: String, includeCancelled: Bool) async throws(StoreError) -> [Meeting]
    /// Saves the editable fields (title, times, passcode hash, lobby, guests) and increments `sequence`; returns
    /// the stored meeting. Allocation fields are not touched (see ``setAllocation(meetingID:sfu:turn:fs:now:)``).
    func updateMeeting(_ meeting: Meeting, now: Date) async throws(StoreError) -> Meeting
    /// Marks a meeting cancelled and increments `sequence`; returns it (unchanged if already cancelled).
    func cancelMeeting(id: String, now: Date) async throws(StoreError) -> Meeting
    /// Records the allocateserver's answer: state `allocated`, attempts reset.
    func setAllocation(meetingID: String, sfu: String, turn: String, fs: String?, now: Date) async throws(StoreError)
        -> Meeting
    /// Records a failed allocation attempt: state `pending`, retried at `nextAttemptAt`.
    func setAllocationPending(meetingID: String, error: String, nextAttemptAt: Date, now: Date)
        async throws(StoreError) -> Meeting
    /// Claims pending allocations that are due: each returned meeting's `nextAllocationAt` moves to `leaseUntil`,
    /// so another apiserver does not retry it meanwhile. A meeting is returned to exactly one caller.
    func claimDueAllocations(now: Date, leaseUntil: Date, limit: Int) async throws(StoreError) -> [Meeting]
    /// Uncancelled meetings allocated to the sfu at `sfuAddress` (to reallocate when it dies).
    func meetings(sfuAddress: String) async throws(StoreError) -> [Meeting]

    // MARK: Invitees and roles

    /// Replaces a meeting's invitee list.
    func setInvitees(meetingID: String, emails: [String]) async throws(StoreError)
    func invitees(meetingID: String) async throws(StoreError) -> [String]
    /// Gives `email` a role in the meeting (replacing an earlier one).
    func setRole(meetingID: String, email: String, role: ParticipantRole) async throws(StoreError)
    func removeRole(meetingID: String, email: String) async throws(StoreError)
    func role(meetingID: String, email: String) async throws(StoreError) -> ParticipantRole?
    func roles(meetingID: String) async throws(StoreError) -> [RoleAssignment]

    // MARK: Lobby

    func enterLobby(_ entry: LobbyEntry) async throws(StoreError) -> LobbyEntry
    func lobbyEntry(id: String) async throws(StoreError) -> LobbyEntry?
    /// A meeting's lobby entries, oldest first; all states when `state` is nil.
    func lobbyEntries(meetingID: String, state: LobbyState?) async throws(StoreError) -> [LobbyEntry]
    /// Admits or denies a waiting entry; nil if it is not waiting (already decided, or unknown).
    func decideLobbyEntry(id: String, admit: Bool, decidedBy: String, now: Date) async throws(StoreError) -> LobbyEntry?

    // MARK: Registry

    /// Registers (or re-registers) a server: alive, with its address and capacity, load 0.
    func registerServer(kind: ServerKind, id: String, address: String, capacity: Int, now: Date)
        async throws(StoreError) -> RegisteredServer
    /// Records a heartbeat; a dead server comes back alive, a draining one stays draining. False if unknown.
    func heartbeat(kind: ServerKind, id: String, load: Int, now: Date) async throws(StoreError) -> Bool
    func setServerState(kind: ServerKind, id: String, state: ServerState) async throws(StoreError) -> Bool
    func server(kind: ServerKind, id: String) async throws(StoreError) -> RegisteredServer?
    /// Registered servers of a kind (all kinds when nil), by kind and id.
    func servers(kind: ServerKind?) async throws(StoreError) -> [RegisteredServer]
    /// Marks alive/draining servers whose last heartbeat is before `heartbeatBefore` dead, and returns them. Each
    /// newly dead server is returned to exactly one caller, so one apiserver reallocates its meetings.
    func markDeadServers(heartbeatBefore: Date) async throws(StoreError) -> [RegisteredServer]
    /// The alive server of `kind` with the lowest load/capacity and room left, or nil.
    func leastLoadedServer(kind: ServerKind) async throws(StoreError) -> RegisteredServer?

    // MARK: Mail outbox

    func enqueueMail(_ message: OutboxMessage) async throws(StoreError) -> OutboxMessage
    func outboxMessage(id: String) async throws(StoreError) -> OutboxMessage?
    /// Claims up to `limit` pending messages due at `now` for `claimer`: each one's `nextAttemptAt` moves to
    /// `leaseUntil` and `attempts` grows by one. A message is returned to exactly one caller; if that caller dies,
    /// the message is due again at `leaseUntil`.
    func claimMail(claimer: String, now: Date, leaseUntil: Date, limit: Int) async throws(StoreError) -> [OutboxMessage]
    func markMailSent(id: String, now: Date) async throws(StoreError)
    /// Puts a claimed message back to pending, to be tried at `nextAttemptAt`.
    func markMailRetry(id: String, error: String, nextAttemptAt: Date) async throws(StoreError)
    func markMailFailed(id: String, error: String) async throws(StoreError)

    // MARK: Settings

    /// A small named value shared by all apiservers (e.g. the ACME account key and certificate cache).
    func setting(_ name: String) async throws(StoreError) -> [UInt8]?
    func setSetting(_ name: String, value: [UInt8], now: Date) async throws(StoreError)
}
