/// One meeting owner's hold on an sfuserver: what the allocateserver remembers (and persists) between queries.
///
/// The contract carries no meeting id, so a scheduled reservation is keyed by owner and times (a repeated query —
/// the apiserver retrying, or asking again after our restart — gets the same answer), and an instant reservation by
/// its owner (deployment doc: one sfuserver per instant-meeting owner).
public struct Reservation: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case scheduled
        case instant
    }

    /// Where a reservation is in its life. Pool and registry reservations are `ready` from the start.
    public enum State: String, Sendable, Hashable, Codable {
        /// Provisioned: waiting for `dueAt` to run the create command (or to retry it).
        case waiting
        /// The create command is running.
        case creating
        /// Created; waiting until the new server answers.
        case probing
        /// Handed out: the answer is 200.
        case ready
        /// The delete command is running.
        case deleting
    }

    public var id: String
    public var kind: Kind
    public var owner: String
    /// Unix seconds; 0 for instant meetings.
    public var beginAt: Int64
    public var endAt: Int64
    /// The sfuserver's `host:port` once known.
    public var sfu: String?
    public var turn: String
    /// Whether the server was created by the create command (and so must be deleted by the delete command).
    public var provisioned: Bool
    public var state: State
    /// When the next step of a `waiting` reservation is due (unix seconds).
    public var dueAt: Int64
    /// When the server is released: forgotten (pool, registry) or deleted (provisioned).
    public var releaseAt: Int64
    /// The last error of a command, for logs and the not-ready answer.
    public var lastError: String?

    /// The half-open interval `[beginAt, endAt)` overlaps another's.
    func overlaps(beginAt otherBegin: Int64, endAt otherEnd: Int64) -> Bool {
        beginAt < otherEnd && otherBegin < endAt
    }
}
