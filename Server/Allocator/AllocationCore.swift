/// A query of the contract, already validated.
public enum AllocationQuery: Sendable, Hashable {
    /// `Kind=SFUTURN&Email=&BeginAt=&EndAt=`; `beginAt == endAt == 0` is an instant meeting.
    case media(owner: String, beginAt: Int64, endAt: Int64)
    /// `Kind=FS&Email=`.
    case files(requester: String)
}

/// The least-loaded alive servers of the apiserver's registry at the moment of a query (nil: none, or no registry).
public struct RegistryChoice: Sendable, Hashable {
    public var sfu: String?
    public var turn: String?
    public var fs: String?

    public init(sfu: String? = nil, turn: String? = nil, fs: String? = nil) {
        self.sfu = sfu
        self.turn = turn
        self.fs = fs
    }
}

/// What to answer a query.
public enum AllocationAnswer: Sendable, Hashable {
    /// 200 `{"sfu","turn"}`.
    case media(sfu: String, turn: String)
    /// 200 `{"fs"}`.
    case files(fs: String)
    /// Non-200 (503): being prepared, or nothing free; the reason goes in the body.
    case notReady(String)
}

/// Side effects the driver carries out for the core.
public enum AllocationAction: Sendable, Hashable {
    /// Persist this reservation (insert or replace) before answering.
    case save(Reservation)
    /// Delete this reservation from storage.
    case forget(id: String)
    /// Run the create command for this reservation, then call ``AllocationCore/createFinished(id:result:now:)``.
    case create(Reservation)
    /// Run the delete command, then call ``AllocationCore/deleteFinished(id:succeeded:now:)``.
    case delete(Reservation)
    /// Check whether the new server answers, then call ``AllocationCore/probeAnswered(id:now:)`` if it does.
    case probe(id: String, address: String)
}

/// The allocateserver's decisions, sans-IO: a value holding the reservations, fed queries, command results and
/// timer ticks with `now` (unix seconds), returning answers and ``AllocationAction``s. Policies are the deployment
/// doc's ("allocateserver"): a static pool one meeting per server, a shared pool for instant meetings, the
/// registry's least-loaded server, and on-demand provisioning (create `createBefore` before `BeginAt`, delete
/// `deleteAfter` after `EndAt`; instant: create now, answer non-200 until it answers, delete after the lifetime).
public struct AllocationCore: Sendable {
    public let configuration: AllocatorConfiguration
    public private(set) var reservations: [String: Reservation]

    /// Starts from persisted reservations. Commands that were running when the process stopped are run again:
    /// a `creating` reservation goes back to `waiting` (due now), a `deleting` one is deleted again.
    public init(configuration: AllocatorConfiguration, restored: [Reservation]) {
        self.configuration = configuration
        var map: [String: Reservation] = [:]
        for var reservation in restored {
            switch reservation.state {
            case .creating:
                reservation.state = .waiting
                reservation.dueAt = 0
            case .deleting:
                reservation.state = .ready
                reservation.releaseAt = 0
            default:
                break
            }
            map[reservation.id] = reservation
        }
        reservations = map
    }

    // MARK: - Queries

    /// Answers a query. `registry` is consulted only by the registry policies and empty turn/fs lists.
    public mutating func answer(_ query: AllocationQuery, registry: RegistryChoice, now: Int64)
        -> (AllocationAnswer, [AllocationAction])
    {
        switch query {
        case .files(let requester):
            if let fs = pick(configuration.fs, key: requester) ?? registry.fs { return (.files(fs: fs), []) }
            return (.notReady("no fsserver is registered yet"), [])
        case .media(let owner, let beginAt, let endAt):
            guard let turn = pick(configuration.turn, key: owner) ?? registry.turn else {
                return (.notReady("no turnserver is registered yet"), [])
            }
            if beginAt == 0 && endAt == 0 {
                return instant(owner: owner, turn: turn, registry: registry, now: now)
            }
            return scheduled(owner: owner, beginAt: beginAt, endAt: endAt, turn: turn, registry: registry, now: now)
        }
    }

    /// Whether the policy needs a registry read for this query (so the driver reads the database only then).
    public func needsRegistry(_ query: AllocationQuery) -> Bool {
        switch query {
        case .files: return configuration.fs.isEmpty
        case .media(_, let beginAt, let endAt):
            if configuration.turn.isEmpty { return true }
            let policy = beginAt == 0 && endAt == 0 ? configuration.instant : configuration.scheduled
            if case .leastLoaded = policy { return true }
            return false
        }
    }

    private mutating func scheduled(owner: String, beginAt: Int64, endAt: Int64, turn: String,
        registry: RegistryChoice, now: Int64) -> (AllocationAnswer, [AllocationAction])
    {
        let id = "s:\(owner):\(beginAt):\(endAt)"
        if let existing = reservations[id] { return (answer(for: existing), []) }
        var reservation = Reservation(id: id, kind: .scheduled, owner: owner, beginAt: beginAt, endAt: endAt,
            sfu: nil, turn: turn, provisioned: false, state: .ready, dueAt: 0, releaseAt: endAt, lastError: nil)
        switch configuration.scheduled {
        case .pool(let pool):
            // One sfuserver per scheduled meeting: the first one no overlapping meeting holds.
            let busy = Set(reservations.values.filter {
                $0.kind == .scheduled && $0.overlaps(beginAt: beginAt, endAt: endAt)
            }.compactMap(\.sfu))
            guard let free = pool.first(where: { !busy.contains($0) }) else {
                return (.notReady("all \(pool.count) sfuservers of the pool are reserved for overlapping meetings"), [])
            }
            reservation.sfu = free
        case .leastLoaded:
            guard let sfu = registry.sfu else { return (.notReady("no sfuserver with free capacity is registered"), []) }
            reservation.sfu = sfu
        case .provision(let settings):
            reservation.provisioned = true
            reservation.state = .waiting
            reservation.dueAt = beginAt - settings.createBefore
            reservation.releaseAt = endAt + settings.deleteAfter
        }
        reservations[id] = reservation
        var actions: [AllocationAction] = [.save(reservation)]
        if reservation.state == .waiting && now >= reservation.dueAt {
            actions += startCreate(id)
        }
        return (answer(for: reservations[id] ?? reservation), actions)
    }

    private mutating func instant(owner: String, turn: String, registry: RegistryChoice, now: Int64)
        -> (AllocationAnswer, [AllocationAction])
    {
        if var existing = reservations.values.first(where: {
            $0.kind == .instant && $0.owner == owner && $0.state != .deleting
        }) {
            // Used again: keep it for another lifetime from now.
            existing.releaseAt = max(existing.releaseAt, now + lifetime(configuration.instant))
            reservations[existing.id] = existing
            return (answer(for: existing), [.save(existing)])
        }
        let id = "i:\(owner):\(now)"
        var reservation = Reservation(id: id, kind: .instant, owner: owner, beginAt: 0, endAt: 0, sfu: nil,
            turn: turn, provisioned: false, state: .ready, dueAt: 0, releaseAt: now + lifetime(configuration.instant),
            lastError: nil)
        switch configuration.instant {
        case .pool(let pool):
            // Shared pool: the server with the fewest live instant owners, first in the list on a tie.
            var counts: [String: Int] = [:]
            for held in reservations.values where held.kind == .instant { if let sfu = held.sfu { counts[sfu, default: 0] += 1 } }
            guard let chosen = pool.min(by: { counts[$0, default: 0] < counts[$1, default: 0] }) else {
                return (.notReady("the instant pool is empty"), [])
            }
            reservation.sfu = chosen
        case .leastLoaded:
            guard let sfu = registry.sfu else { return (.notReady("no sfuserver with free capacity is registered"), []) }
            reservation.sfu = sfu
        case .provision:
            reservation.provisioned = true
            reservation.state = .waiting
            reservation.dueAt = now
        }
        reservations[id] = reservation
        var actions: [AllocationAction] = [.save(reservation)]
        if reservation.state == .waiting { actions += startCreate(id) }
        return (answer(for: reservations[id] ?? reservation), actions)
    }

    private func answer(for reservation: Reservation) -> AllocationAnswer {
        switch reservation.state {
        case .ready:
            if let sfu = reservation.sfu { return .media(sfu: sfu, turn: reservation.turn) }
            return .notReady("the sfuserver has no address")
        case .waiting:
            let error = reservation.lastError.map { "; last attempt failed: \($0)" } ?? ""
            return .notReady("the sfuserver will be created at unix time \(reservation.dueAt)\(error)")
        case .creating: return .notReady("the sfuserver is being created")
        case .probing: return .notReady("the sfuserver \(reservation.sfu ?? "") was created and is starting")
        case .deleting: return .notReady("the sfuserver is being deleted")
        }
    }

    // MARK: - Time and command results

    /// Runs what is due at `now`: creates whose time came, probes of starting servers, releases and deletes.
    public mutating func tick(now: Int64) -> [AllocationAction] {
        var actions: [AllocationAction] = []
        for id in reservations.keys.sorted() {
            guard let reservation = reservations[id] else { continue }
            switch reservation.state {
            case .waiting:
                if now >= reservation.releaseAt {
                    reservations[id] = nil
                    actions.append(.forget(id: id))
                } else if now >= reservation.dueAt {
                    actions += startCreate(id)
                }
            case .probing:
                if let sfu = reservation.sfu { actions.append(.probe(id: id, address: sfu)) }
                if now >= reservation.releaseAt { actions += release(id) }
            case .ready:
                if now >= reservation.releaseAt { actions += release(id) }
            case .creating, .deleting:
                break
            }
        }
        return actions
    }

    /// The create command finished: with the new server's address, or with an error (retried after a wait).
    public mutating func createFinished(id: String, result: Result<String, AllocatorError>, now: Int64)
        -> [AllocationAction]
    {
        guard var reservation = reservations[id], reservation.state == .creating else { return [] }
        switch result {
        case .success(let address):
            reservation.sfu = address
            reservation.state = .probing
            reservation.lastError = nil
            reservations[id] = reservation
            return [.save(reservation), .probe(id: id, address: address)]
        case .failure(let error):
            reservation.state = .waiting
            reservation.dueAt = now + retryAfter(reservation.kind)
            reservation.lastError = error.description
            reservations[id] = reservation
            return [.save(reservation)]
        }
    }

    /// The new server answered: from now on queries get 200.
    public mutating func probeAnswered(id: String, now: Int64) -> [AllocationAction] {
        guard var reservation = reservations[id], reservation.state == .probing else { return [] }
        reservation.state = .ready
        reservations[id] = reservation
        return [.save(reservation)]
    }

    /// The delete command finished; on failure it is tried again after a wait.
    public mutating func deleteFinished(id: String, succeeded: Bool, now: Int64) -> [AllocationAction] {
        guard var reservation = reservations[id], reservation.state == .deleting else { return [] }
        if succeeded {
            reservations[id] = nil
            return [.forget(id: id)]
        }
        reservation.state = .ready
        reservation.releaseAt = now + retryAfter(reservation.kind)
        reservations[id] = reservation
        return [.save(reservation)]
    }

    // MARK: - Helpers

    private mutating func startCreate(_ id: String) -> [AllocationAction] {
        guard var reservation = reservations[id] else { return [] }
        reservation.state = .creating
        reservations[id] = reservation
        return [.save(reservation), .create(reservation)]
    }

    private mutating func release(_ id: String) -> [AllocationAction] {
        guard var reservation = reservations[id] else { return [] }
        if reservation.provisioned && reservation.sfu != nil {
            reservation.state = .deleting
            reservations[id] = reservation
            return [.save(reservation), .delete(reservation)]
        }
        reservations[id] = nil
        return [.forget(id: id)]
    }

    private func lifetime(_ policy: SFUPolicy) -> Int64 {
        if case .provision(let settings) = policy { return settings.instantLifetime }
        return configuration.instantLifetime
    }

    private func retryAfter(_ kind: Reservation.Kind) -> Int64 {
        if case .provision(let settings) = (kind == .instant ? configuration.instant : configuration.scheduled) {
            return settings.retryAfter
        }
        return 60
    }

    /// A stable choice from `list` for `key` (FNV-1a, so it survives restarts, unlike `hashValue`); nil if empty.
    func pick(_ list: [String], key: String) -> String? {
        guard !list.isEmpty else { return nil }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return list[Int(hash % UInt64(list.count))]
    }
}
