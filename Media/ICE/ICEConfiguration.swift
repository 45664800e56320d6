import NIOCore

/// Whether an agent runs the whole algorithm or only answers checks (RFC 8445 §2.5).
public enum ICEMode: Hashable, Sendable {
    /// Full ICE: gathers, sends checks, nominates (clients).
    case full
    /// ICE Lite: host candidates only, answers checks and never sends any; always controlled; the nominated pair
    /// is the one the controlling peer sends USE-CANDIDATE on (servers, RFC 8445 §2.5, §7.3.1.5).
    case lite
}

/// Which agent nominates (RFC 8445 §6.1.1).
public enum ICERole: Hashable, Sendable, CustomStringConvertible {
    case controlling
    case controlled

    var opposite: ICERole { self == .controlling ? .controlled : .controlling }

    public var description: String { self == .controlling ? "controlling" : "controlled" }
}

/// Timers and limits of an ``ICEAgent``. The defaults follow the RFCs; tests shorten nothing (virtual time).
public struct ICEConfiguration: Hashable, Sendable {
    /// Ta, the pacing interval between checks (RFC 8445 §14.2: 50 ms by default).
    public var pacingInterval: TimeAmount = .milliseconds(50)
    /// The first retransmission timeout of a check (RFC 8445 §14.3: at least 500 ms; the agent uses
    /// `max(this, Ta × (waiting + in-progress pairs))`).
    public var initialRetransmissionTimeout: TimeAmount = .milliseconds(500)
    /// RTO doubles after every retransmission (RFC 8489 §6.2.1) up to this cap.
    public var maximumRetransmissionTimeout: TimeAmount = .seconds(3)
    /// Requests sent per check before the pair fails (RFC 8489 §6.2.1 Rc = 7). The last one is answered or
    /// given up after one more RTO.
    public var maximumCheckAttempts: Int = 7
    /// Requests sent per consent check (each consent check uses a new transaction, RFC 7675 §5.1).
    public var maximumConsentAttempts: Int = 4
    /// Requests sent to a STUN server when gathering a server-reflexive candidate.
    public var maximumGatheringAttempts: Int = 5
    /// How long the controlling agent waits for higher-priority pairs after the first valid pair before it
    /// nominates the best valid pair (the stopping criterion of regular nomination, RFC 8445 §8.1.1).
    public var nominationTimeout: TimeAmount = .milliseconds(500)
    /// Mean interval of consent checks; each is jittered ±20 % (RFC 7675 §5.1: 5 s, 0.8–1.2).
    public var consentInterval: TimeAmount = .seconds(5)
    /// Without a consent response (full) or a check from the peer (lite) for this long, the state becomes
    /// ``ICEConnectionState/disconnected``.
    public var disconnectedTimeout: TimeAmount = .seconds(10)
    /// Consent is lost after this long without a response (RFC 7675 §5.1: 30 s); the state becomes
    /// ``ICEConnectionState/failed``.
    public var consentTimeout: TimeAmount = .seconds(30)
    /// At most this many pairs in the check list (RFC 8445 §6.1.2.5: 100 by default).
    public var maximumPairs: Int = 100
    /// At most this many remote candidates are kept (peer-reflexive ones included), bounding memory against a
    /// peer that sends checks from many addresses.
    public var maximumRemoteCandidates: Int = 64
    /// At most this many local candidates, learned peer-reflexive ones included: a peer that reports a new
    /// XOR-MAPPED-ADDRESS in every response cannot grow the list without bound.
    public var maximumLocalCandidates: Int = 64
    /// STUN servers to learn server-reflexive candidates from: each host candidate of the same address family
    /// sends a Binding request to each (RFC 8445 §5.1.1.2).
    public var stunServers: [SocketAddress] = []

    public init() {}
}
