import ICE
import NIOCore
import STUN

/// Two ICE agents and an in-memory UDP network in virtual time, after str0m's `tests/common.rs`: `progress()`
/// advances the clock to the earliest of both agents' deadlines and the next delivery, delivers what is due,
/// fires due timers and drains both agents.
///
/// The network delivers each datagram after `delay`, drops it with probability `lossRate`, never delivers to an
/// address in `unreachable` or from an address in `silenced`, rewrites sources through one-to-one NAT mappings
/// (`nat`: private → public, and back for datagrams to the public address), and answers Binding requests sent to
/// `stunServers` with the (translated) source in XOR-MAPPED-ADDRESS.
struct VirtualICENetwork {
    struct Datagram {
        var payload: ByteBuffer
        var from: SocketAddress
        var to: SocketAddress
        var deliverAt: NIODeadline
        var sequence: Int
    }

    enum Side: Int, CaseIterable { case left = 0, right = 1 }

    var agents: [ICEAgent]
    /// Every event each agent emitted, with the virtual time it was polled at.
    var events: [[(time: NIODeadline, event: ICEEvent)]] = [[], []]
    var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    var delay: TimeAmount = .milliseconds(20)
    var lossRate = 0.0
    var nat: [SocketAddress: SocketAddress] = [:]
    var unreachable: Set<SocketAddress> = []
    var silenced: Set<SocketAddress> = []
    var stunServers: Set<SocketAddress> = []
    var inFlight: [Datagram] = []
    var sequence = 0
    var random: SplitMix64
    var delivered = 0
    var dropped = 0

    init(left: ICEAgent, right: ICEAgent, seed: UInt64 = 7) {
        agents = [left, right]
        random = SplitMix64(seed: seed)
    }

    subscript(side: Side) -> ICEAgent {
        get { agents[side.rawValue] }
        set { agents[side.rawValue] = newValue }
    }

    func owner(of address: SocketAddress) -> Side? {
        for side in Side.allCases where agents[side.rawValue].localCandidates.contains(where: {
            ($0.kind == .host || $0.kind == .relay) && $0.base == address
        }) {
            return side
        }
        return nil
    }

    /// Seconds since the start of the test, for messages.
    var elapsed: Double { Double((now - start).nanoseconds) / 1e9 }

    mutating func send(_ payload: ByteBuffer, from: SocketAddress, to: SocketAddress) {
        guard !silenced.contains(from) else {
            dropped += 1
            return
        }
        if lossRate > 0, Double(random.next() % 1_000_000) / 1_000_000 < lossRate {
            dropped += 1
            return
        }
        let translatedSource = nat[from] ?? from
        sequence += 1
        inFlight.append(Datagram(payload: payload, from: translatedSource, to: to, deliverAt: now + delay, sequence: sequence))
    }

    /// Drains both agents: datagrams onto the network, events into `events`.
    mutating func drain() {
        for side in Side.allCases {
            var count = 0
            while let output = agents[side.rawValue].pollOutput() {
                count += 1
                precondition(count < 100_000, "agent output does not drain")
                switch output {
                case .transmit(let payload, let from, let to):
                    send(payload, from: from, to: to)
                case .event(let event):
                    events[side.rawValue].append((now, event))
                }
            }
        }
    }

    mutating func deliver(_ datagram: Datagram) {
        guard !unreachable.contains(datagram.to) else {
            dropped += 1
            return
        }
        var destination = datagram.to
        if let (inside, _) = nat.first(where: { $0.value == datagram.to }) { destination = inside }
        if stunServers.contains(destination) {
            answerAsSTUNServer(datagram)
            return
        }
        guard let side = owner(of: destination) else {
            dropped += 1
            return
        }
        delivered += 1
        _ = agents[side.rawValue].handleReceive(datagram.payload, from: datagram.from, to: destination, now: now)
    }

    mutating func answerAsSTUNServer(_ datagram: Datagram) {
        guard let request = try? STUNMessage(parsing: datagram.payload), request.messageClass == .request,
            let mapped = STUNTransportAddress(datagram.from)
        else { return }
        let response = STUNMessage(
            method: .binding, messageClass: .successResponse, transactionID: request.transactionID,
            attributes: [.xorMappedAddress(mapped)])
        guard let bytes = try? response.serialized(fingerprint: true) else { return }
        sequence += 1
        inFlight.append(Datagram(payload: bytes, from: datagram.to, to: datagram.from, deliverAt: now + delay, sequence: sequence))
    }

    /// One step: advance to the earliest deadline or delivery, handle it, drain. False when nothing is scheduled.
    @discardableResult
    mutating func progress() -> Bool {
        drain()
        var next: NIODeadline?
        for agent in agents {
            if let deadline = agent.nextDeadline(), next.map({ deadline < $0 }) ?? true { next = deadline }
        }
        for datagram in inFlight where next.map({ datagram.deliverAt < $0 }) ?? true { next = datagram.deliverAt }
        guard let next else { return false }
        if next > now { now = next }
        let due = inFlight.filter { $0.deliverAt <= now }.sorted { $0.sequence < $1.sequence }
        inFlight.removeAll { $0.deliverAt <= now }
        for datagram in due { deliver(datagram) }
        for side in Side.allCases {
            if let deadline = agents[side.rawValue].nextDeadline(), deadline <= now {
                agents[side.rawValue].handleTimeout(now: now)
            }
        }
        drain()
        return true
    }

    /// Steps until `condition` holds, at most `maxSteps` times or until `limit` of virtual time has passed.
    /// Returns whether the condition held.
    @discardableResult
    mutating func progress(
        until condition: (VirtualICENetwork) -> Bool, maxSteps: Int = 20_000, limit: TimeAmount = .seconds(120)
    ) -> Bool {
        for _ in 0..<maxSteps {
            if condition(self) { return true }
            guard now - start < limit, progress() else { return condition(self) }
        }
        return condition(self)
    }

    /// Steps until `duration` of virtual time has passed (bounded by `maxSteps`).
    mutating func progress(for duration: TimeAmount, maxSteps: Int = 50_000) {
        let end = now + duration
        for _ in 0..<maxSteps {
            drain()
            var next: NIODeadline?
            for agent in agents {
                if let deadline = agent.nextDeadline(), next.map({ deadline < $0 }) ?? true { next = deadline }
            }
            for datagram in inFlight where next.map({ datagram.deliverAt < $0 }) ?? true { next = datagram.deliverAt }
            guard let next, next <= end else {
                now = end
                return
            }
            progress()
        }
    }

    func state(_ side: Side) -> ICEConnectionState { agents[side.rawValue].connectionState }

    func isConnected(_ side: Side) -> Bool {
        let state = agents[side.rawValue].connectionState
        return (state == .connected || state == .completed) && agents[side.rawValue].selectedPair != nil
    }

    var bothConnected: Bool { isConnected(.left) && isConnected(.right) }

    /// The events of one side, without their times.
    func eventList(_ side: Side) -> [ICEEvent] { events[side.rawValue].map(\.event) }

    /// The first time `side` emitted an event matching `predicate`.
    func firstTime(_ side: Side, where predicate: (ICEEvent) -> Bool) -> NIODeadline? {
        events[side.rawValue].first { predicate($0.event) }?.time
    }

    /// Exchanges credentials and every local candidate of each agent with the other (what signaling does).
    mutating func signal(endOfCandidates: Bool = true) throws {
        for side in Side.allCases {
            let other = Side(rawValue: 1 - side.rawValue) ?? .left
            let credentials = agents[other.rawValue].localCredentials
            agents[side.rawValue].setRemoteCredentials(credentials)
            for candidate in agents[other.rawValue].localCandidates where candidate.kind != .peerReflexive {
                try agents[side.rawValue].addRemoteCandidate(candidate.sdpCandidate(usernameFragment: credentials.usernameFragment))
            }
            if endOfCandidates { agents[side.rawValue].endOfRemoteCandidates() }
        }
    }
}

func address(_ text: String, _ port: Int) -> SocketAddress {
    // Test addresses are literals; a typo is a test bug.
    try! SocketAddress(ipAddress: text, port: port)
}

/// The virtual clock's start (``VirtualICENetwork/start``): pass it to calls made before the first `progress()`.
let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
