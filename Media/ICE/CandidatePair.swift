/// The state of a candidate pair in the check list (RFC 8445 §6.1.2.6).
public enum CandidatePairState: Hashable, Sendable, CustomStringConvertible {
    /// Not checked yet, and waiting for a pair of the same foundation to succeed first.
    case frozen
    /// Ready to be checked when the pacing timer next fires.
    case waiting
    /// A check was sent and no final answer has arrived.
    case inProgress
    /// A check produced a success response from the address it was sent to.
    case succeeded
    /// A check timed out or got an unrecoverable error response.
    case failed

    public var description: String {
        switch self {
        case .frozen: "frozen"
        case .waiting: "waiting"
        case .inProgress: "in-progress"
        case .succeeded: "succeeded"
        case .failed: "failed"
        }
    }
}

/// A local and a remote candidate the agent checks or uses (RFC 8445 §6.1.2).
public struct CandidatePair: Hashable, Sendable, CustomStringConvertible {
    public var local: Candidate
    public var remote: Candidate
    /// RFC 8445 §6.1.2.3, from the agent's role when this snapshot was taken.
    public var priority: UInt64
    public var state: CandidatePairState
    /// In the valid list: a check on it succeeded (RFC 8445 §7.2.5.3.2).
    public var isValid: Bool
    /// Nominated by the controlling agent (RFC 8445 §8.1.1).
    public var isNominated: Bool

    public init(
        local: Candidate, remote: Candidate, priority: UInt64, state: CandidatePairState, isValid: Bool = false,
        isNominated: Bool = false
    ) {
        self.local = local
        self.remote = remote
        self.priority = priority
        self.state = state
        self.isValid = isValid
        self.isNominated = isNominated
    }

    /// RFC 8445 §6.1.2.3: with G the controlling agent's candidate priority and D the controlled agent's,
    /// `pair priority = 2^32 * MIN(G,D) + 2 * MAX(G,D) + (G > D ? 1 : 0)`.
    ///
    /// Candidate priorities below 2^31 (all that RFC 8445 §5.1.2 produces) never overflow; a hostile PRIORITY near
    /// 2^32 in a check wraps around instead of trapping.
    public static func priority(controlling: UInt32, controlled: UInt32) -> UInt64 {
        let g = UInt64(controlling)
        let d = UInt64(controlled)
        return (min(g, d) << 32) &+ 2 &* max(g, d) &+ (g > d ? 1 : 0)
    }

    /// The pair priority from the local agent's point of view.
    static func priority(local: UInt32, remote: UInt32, role: ICERole) -> UInt64 {
        role == .controlling
            ? priority(controlling: local, controlled: remote) : priority(controlling: remote, controlled: local)
    }

    public var description: String {
        "\(local.address) -> \(remote.address) [\(state)\(isValid ? ", valid" : "")\(isNominated ? ", nominated" : "")]"
    }
}
