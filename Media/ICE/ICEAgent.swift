import NIOCore
import SDP
import STUN

/// A sans-IO ICE agent (RFC 8445) for one data stream with one component (BUNDLE and rtcp-mux), in full mode
/// for clients or lite mode for servers (RFC 8445 §2.5), with trickle ICE (RFC 8838), consent freshness
/// (RFC 7675) and ICE restart (RFC 8445 §9).
///
/// The agent owns no socket, thread or clock. The owner feeds it datagrams (``handleReceive(_:from:to:now:)``)
/// and timer expiries (``handleTimeout(now:)``), then drains ``pollOutput()`` completely — datagrams to send and
/// events — and arms one timer for ``nextDeadline()``. Randomness comes from an injected generator, so tests in
/// virtual time replay exactly.
///
/// ```swift
/// var generator = SystemRandomNumberGenerator()
/// var agent = ICEAgent(mode: .full, role: .controlling, using: &generator)
/// try agent.addLocalCandidate(.host(try SocketAddress(ipAddress: "192.0.2.10", port: 50000)), now: .now())
/// try agent.setRemoteCredentials(ICECredentials(usernameFragment: ufrag, password: pwd))
/// try agent.addRemoteCandidate(ICECandidate.parse(line))
/// agent.handleTimeout(now: .now())
/// while let output = agent.pollOutput() { /* send, or react to the event */ }
/// ```
public struct ICEAgent: Sendable {
    public let mode: ICEMode
    public let configuration: ICEConfiguration
    /// Lite agents are always controlled (RFC 8445 §6.1.1); full agents may switch on a role conflict.
    public internal(set) var role: ICERole
    /// The tie-breaker sent in ICE-CONTROLLING / ICE-CONTROLLED (RFC 8445 §7.1.3).
    public internal(set) var tieBreaker: UInt64
    /// Our ufrag and password, to signal to the peer; new ones after ``restart(credentials:using:)``.
    public internal(set) var localCredentials: ICECredentials
    /// The peer's ufrag and password, from signaling.
    public internal(set) var remoteCredentials: ICECredentials?
    public internal(set) var connectionState: ICEConnectionState = .new
    /// Host, relayed, server-reflexive and learned peer-reflexive candidates.
    public internal(set) var localCandidates: [Candidate] = []
    /// Signaled and learned (peer-reflexive) remote candidates of the current ICE generation.
    public internal(set) var remoteCandidates: [Candidate] = []

    var pairs: [PairEntry] = []
    var triggeredQueue: [Int] = []
    var transactions: [STUNTransactionID: PendingTransaction] = [:]
    var transactionSequence: UInt64 = 0
    var outputs: [ICEOutput] = []
    var outputHead = 0
    var random: ICERandomSource
    var lastNow = NIODeadline.uptimeNanoseconds(0)
    var lastCheckSentAt: NIODeadline?
    var selected: SelectedPair?
    var nominationInProgress: Int?
    var firstValidAt: NIODeadline?
    var remoteEndOfCandidates = false
    var localGatheringFinished = false
    var gatheringCompleteSent = false
    /// Incremented by every ICE restart; a selected pair of an older generation is kept until a new one works.
    var generation = 0
    var nextConsentAt: NIODeadline?
    /// The latest proof that the peer is there: a consent or check response (full), a check (lite).
    var lastConsentAt: NIODeadline?
    var stateBeforeDisconnect: ICEConnectionState = .connected

    /// - Parameters:
    ///   - mode: ``ICEMode/full`` for clients, ``ICEMode/lite`` for servers.
    ///   - role: the initial role (RFC 8445 §6.1.1: the offerer is controlling unless the peer is lite, in which
    ///     case the full agent controls). Lite agents are always controlled; the argument is ignored for them.
    ///   - credentials: our ufrag and password; nil draws new ones from `generator`.
    ///   - generator: pass `SystemRandomNumberGenerator` in production, a seeded generator in tests.
    public init(
        mode: ICEMode, role: ICERole = .controlled, configuration: ICEConfiguration = ICEConfiguration(),
        credentials: ICECredentials? = nil, using generator: inout some RandomNumberGenerator
    ) {
        self.mode = mode
        self.configuration = configuration
        self.role = mode == .lite ? .controlled : role
        self.localCredentials = credentials ?? .random(using: &generator)
        self.tieBreaker = generator.next()
        self.random = ICERandomSource(seed: generator.next())
    }

    // MARK: Output

    /// The next datagram to send or event to handle; nil once drained. Drain it after every `handle…` call.
    public mutating func pollOutput() -> ICEOutput? {
        guard outputHead < outputs.count else { return nil }
        let output = outputs[outputHead]
        outputHead += 1
        if outputHead == outputs.count {
            outputs.removeAll(keepingCapacity: true)
            outputHead = 0
        }
        return output
    }

    /// When ``handleTimeout(now:)`` must next be called; nil when nothing is scheduled.
    public func nextDeadline() -> NIODeadline? {
        var deadline: NIODeadline?
        func consider(_ candidate: NIODeadline?) {
            guard let candidate else { return }
            if let current = deadline, current <= candidate { return }
            deadline = candidate
        }
        for transaction in transactions.values { consider(transaction.deadline) }
        consider(nextPacingDeadline)
        consider(nominationDeadline)
        consider(consentDeadline)
        return deadline
    }

    /// Runs everything due at `now`: retransmissions and transaction timeouts, the paced check (RFC 8445
    /// §6.1.4.2), nomination, consent checks and expiry (RFC 7675).
    public mutating func handleTimeout(now: NIODeadline) {
        advance(to: now)
        processTransactionTimeouts(now: now)
        maybeNominate(now: now)
        if let due = nextPacingDeadline, due <= now { pacingTick(now: now) }
        consentTick(now: now)
    }

    // MARK: Snapshot

    /// The pair media goes on: the latest nominated pair (kept across an ICE restart until a new one is
    /// nominated).
    public var selectedPair: CandidatePair? { selected?.pair }

    /// The check list and valid pairs of the current generation, highest priority first.
    public var candidatePairs: [CandidatePair] {
        pairs.indices.map(publicPair).sorted { $0.priority > $1.priority }
    }

    // MARK: Credentials and candidates

    /// Sets the peer's ufrag and password (from SDP). Different credentials than before mean the peer restarted
    /// ICE (RFC 8445 §9): remote candidates and pairs are dropped, the selected pair is kept until a new one is
    /// nominated.
    public mutating func setRemoteCredentials(_ credentials: ICECredentials) {
        if let current = remoteCredentials, current != credentials { resetChecks() }
        remoteCredentials = credentials
    }

    /// Sets the role before checks start, for example when the peer turns out to be lite (RFC 8445 §6.1.1).
    /// Ignored by lite agents.
    public mutating func setRole(_ newRole: ICERole) {
        guard mode == .full, newRole != role else { return }
        switchRole(to: newRole, announce: false)
    }

    /// Adds a local host or relayed candidate (the caller enumerates interfaces and allocates on TURN servers),
    /// emits it as ``ICEEvent/localCandidate(_:)`` for trickling, pairs it with the remote candidates (full mode)
    /// and, for a host candidate, asks each configured STUN server of its family for a server-reflexive one.
    ///
    /// - Throws: ``ICEError/ignoredCandidate(_:)`` for a duplicate address or a reflexive candidate (those the
    ///   agent learns itself).
    public mutating func addLocalCandidate(_ candidate: Candidate, now: NIODeadline) throws(ICEError) {
        advance(to: now)
        guard candidate.kind == .host || candidate.kind == .relay else {
            throw .ignoredCandidate("only host and relayed local candidates are added by the caller")
        }
        guard candidate.address.port != nil else { throw .unresolvableAddress("\(candidate.address)") }
        guard !localCandidates.contains(where: { $0.address == candidate.address }) else {
            throw .ignoredCandidate("local candidate \(candidate.address) already present")
        }
        guard localCandidates.count < configuration.maximumLocalCandidates else {
            throw .ignoredCandidate("more than \(configuration.maximumLocalCandidates) local candidates")
        }
        localCandidates.append(candidate)
        emit(.localCandidate(candidate))
        if mode == .full {
            let localIndex = localCandidates.count - 1
            for remoteIndex in remoteCandidates.indices { formPair(local: localIndex, remote: remoteIndex) }
            if candidate.kind == .host { startServerReflexiveGathering(for: candidate, now: now) }
        }
    }

    /// Host candidates for `addresses` (see ``Candidate/hostCandidates(for:component:)``), added in order.
    /// Duplicates are skipped.
    public mutating func addHostCandidates(_ addresses: [SocketAddress], now: NIODeadline) {
        for candidate in Candidate.hostCandidates(for: addresses) {
            try? addLocalCandidate(candidate, now: now)
        }
    }

    /// The caller has added all its host and relayed candidates. ``ICEEvent/gatheringComplete`` follows once the
    /// STUN servers have answered or timed out (RFC 8838 §4.2: then signal end-of-candidates).
    public mutating func endOfLocalCandidates() {
        localGatheringFinished = true
        maybeCompleteGathering()
    }

    /// Adds a remote candidate from signaling, trickled or not (RFC 8838 §11.4). A candidate whose address
    /// matches a peer-reflexive one replaces it, keeping the pair states (RFC 8838 §11.4 / RFC 8445 §7.3.1.3).
    /// Lite agents keep remote candidates but never check them.
    ///
    /// - Throws: ``ICEError/ignoredCandidate(_:)`` for a duplicate or when the limit is reached.
    public mutating func addRemoteCandidate(_ candidate: Candidate) throws(ICEError) {
        guard candidate.address.port != nil else { throw .unresolvableAddress("\(candidate.address)") }
        if let index = remoteCandidates.firstIndex(where: { $0.address == candidate.address }) {
            guard remoteCandidates[index].kind == .peerReflexive, candidate.kind != .peerReflexive else {
                throw .ignoredCandidate("remote candidate \(candidate.address) already present")
            }
            var replacement = candidate
            replacement.base = candidate.address
            remoteCandidates[index] = replacement
            recomputePairPriorities()
            return
        }
        guard remoteCandidates.count < configuration.maximumRemoteCandidates else {
            throw .ignoredCandidate("more than \(configuration.maximumRemoteCandidates) remote candidates")
        }
        var remote = candidate
        remote.base = candidate.address
        remoteCandidates.append(remote)
        if mode == .full {
            let remoteIndex = remoteCandidates.count - 1
            for localIndex in localCandidates.indices { formPair(local: localIndex, remote: remoteIndex) }
        }
    }

    /// Adds a remote candidate in its SDP / trickle form. A candidate whose `ufrag` extension names another ICE
    /// generation than the current remote credentials is ignored (RFC 8838 §4.4).
    public mutating func addRemoteCandidate(_ candidate: ICECandidate) throws(ICEError) {
        if let ufrag = candidate.usernameFragment, let current = remoteCredentials?.usernameFragment, ufrag != current {
            throw .ignoredCandidate("candidate of ufrag \(ufrag), current remote ufrag is \(current)")
        }
        try addRemoteCandidate(Candidate(candidate))
    }

    /// The peer signaled end-of-candidates (RFC 8838 §4.2, §8): once every pair has failed, the agent fails.
    public mutating func endOfRemoteCandidates() {
        remoteEndOfCandidates = true
        checkForFailure()
    }

    /// ICE restart (RFC 8445 §9): new local credentials (to signal in a new offer or answer), the remote
    /// credentials and candidates are forgotten until signaled again, and checks start over. Media keeps flowing
    /// on the selected pair until a pair of the new generation is nominated.
    public mutating func restart(credentials: ICECredentials? = nil, using generator: inout some RandomNumberGenerator) {
        localCredentials = credentials ?? .random(using: &generator)
        remoteCredentials = nil
        resetChecks()
    }

    // MARK: Internal helpers shared by the extensions

    mutating func advance(to now: NIODeadline) {
        if now > lastNow { lastNow = now }
    }

    mutating func emit(_ event: ICEEvent) {
        outputs.append(.event(event))
    }

    mutating func transmit(_ datagram: ByteBuffer, from: SocketAddress, to: SocketAddress) {
        outputs.append(.transmit(datagram, from: from, to: to))
    }

    mutating func setState(_ state: ICEConnectionState) {
        guard state != connectionState else { return }
        connectionState = state
        emit(.connectionStateChanged(state))
    }

    func publicPair(_ index: Int) -> CandidatePair {
        let entry = pairs[index]
        return CandidatePair(
            local: localCandidates[entry.local], remote: remoteCandidates[entry.remote], priority: entry.priority,
            state: entry.state, isValid: entry.isValid, isNominated: entry.isNominated)
    }

    mutating func switchRole(to newRole: ICERole, announce: Bool = true) {
        role = newRole
        recomputePairPriorities()
        if newRole == .controlled {
            nominationInProgress = nil
            for index in pairs.indices { pairs[index].nominateOnNextCheck = false }
        }
        if announce { emit(.roleChanged(newRole)) }
    }

    mutating func recomputePairPriorities() {
        for index in pairs.indices {
            pairs[index].priority = CandidatePair.priority(
                local: localCandidates[pairs[index].local].priority,
                remote: remoteCandidates[pairs[index].remote].priority, role: role)
            pairs[index].foundation =
                localCandidates[pairs[index].local].foundation + ":" + remoteCandidates[pairs[index].remote].foundation
        }
    }

    /// Drops the check list and remote candidates of the current generation (ICE restart, RFC 8445 §9).
    mutating func resetChecks() {
        generation += 1
        pairs = []
        triggeredQueue = []
        transactions = transactions.filter { entry in
            if case .serverReflexive = entry.value.purpose { return true }
            return false
        }
        remoteCandidates = []
        remoteEndOfCandidates = false
        localCandidates.removeAll { $0.kind == .peerReflexive }
        nominationInProgress = nil
        firstValidAt = nil
        lastCheckSentAt = nil
        if connectionState == .failed {
            selected = nil
            nextConsentAt = nil
            lastConsentAt = nil
            setState(.checking)
        } else if selected != nil {
            // Grace period: the peer answers consent checks again once the new credentials are signaled.
            lastConsentAt = lastNow
        }
    }
}

/// One entry of the check list or valid list (RFC 8445 §6.1.2, §7.2.5.3.2); indices point into
/// `localCandidates` / `remoteCandidates`.
struct PairEntry: Sendable {
    var local: Int
    var remote: Int
    var priority: UInt64
    var foundation: String
    var state: CandidatePairState
    var isValid = false
    var isNominated = false
    /// USE-CANDIDATE arrived before a check on the pair succeeded (RFC 8445 §7.3.1.5).
    var remoteNominated = false
    /// The next check on this pair carries USE-CANDIDATE (regular nomination, RFC 8445 §8.1.1).
    var nominateOnNextCheck = false
    /// The transaction whose outcome decides the pair's state.
    var activeTransaction: STUNTransactionID?
    /// The valid pair a successful check on this pair produced (RFC 8445 §7.2.5.3.2).
    var validPair: Int?
}

/// A request of ours awaiting its response.
struct PendingTransaction: Sendable {
    enum Purpose: Sendable {
        case check(pair: Int, useCandidate: Bool)
        case consent
        case serverReflexive(base: Candidate, server: SocketAddress)
    }

    var purpose: Purpose
    var request: ByteBuffer
    var from: SocketAddress
    var to: SocketAddress
    /// The remote ice-pwd the request was protected with; responses must carry MESSAGE-INTEGRITY with it.
    var integrityKey: STUNIntegrityKey?
    /// Our role when the request was sent (RFC 8445 §7.2.5.1).
    var role: ICERole
    /// The PRIORITY we sent: a learned peer-reflexive local candidate gets it (RFC 8445 §7.2.5.3.1).
    var sentPriority: UInt32
    var attempts: Int
    var maximumAttempts: Int
    var retransmissionTimeout: TimeAmount
    var deadline: NIODeadline
    /// False once cancelled (RFC 8445 §7.3.1.4): no more retransmissions, and no failure at the deadline.
    var retransmits: Bool
    var sequence: UInt64
}

/// The selected pair and the ICE generation that nominated it.
struct SelectedPair: Sendable {
    var pair: CandidatePair
    var generation: Int
}
