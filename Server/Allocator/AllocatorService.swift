import APIStore
import Database
import Foundation
import Logging
import NIOCore
import NIOPosix

/// The driver around ``AllocationCore``: persists its actions, runs the provisioning commands and readiness
/// probes, reads the registry, and ticks. `clock` gives unix seconds, so tests run it in virtual time.
public actor AllocatorService {
    public typealias UnixClock = @Sendable () -> Int64

    private var core: AllocationCore
    private let store: ReservationStore
    private let registry: SQLStore?
    private let clock: UnixClock
    private let logger: Logger
    private var commands: [String: Task<Void, Never>] = [:]
    /// Readiness check of a created server; default: a TCP connection to its address succeeds.
    private let probe: @Sendable (String) async -> Bool

    public static let systemClock: UnixClock = { Int64(Date().timeIntervalSince1970) }

    /// Opens the state database (and the registry's, if configured) and restores the reservations.
    public static func open(configuration: AllocatorConfiguration, clock: @escaping UnixClock = systemClock,
        logger: Logger, probe: (@Sendable (String) async -> Bool)? = nil) async throws -> AllocatorService
    {
        let store = try await ReservationStore.open(path: configuration.stateDatabase)
        let restored = try await store.load()
        var registry: SQLStore?
        switch configuration.registry {
        case .sqlite(let path):
            registry = SQLStore(database: try await Database.sqlite(path: path))
        case .mariaDB(let host, let port, let user, let password, let database):
            registry = SQLStore(database: try await Database.mariaDB(MariaDBConfiguration(host: host, port: port,
                user: user, password: password, database: database, maximumConnections: 2)))
        case nil:
            registry = nil
        }
        return AllocatorService(core: AllocationCore(configuration: configuration, restored: restored), store: store,
            registry: registry, clock: clock, logger: logger, probe: probe ?? { address in await AllocatorService.tcpProbe(address) })
    }

    private init(core: AllocationCore, store: ReservationStore, registry: SQLStore?, clock: @escaping UnixClock,
        logger: Logger, probe: @escaping @Sendable (String) async -> Bool)
    {
        self.core = core
        self.store = store
        self.registry = registry
        self.clock = clock
        self.logger = logger
        self.probe = probe
    }

    public var reservations: [Reservation] { core.reservations.values.sorted { $0.id < $1.id } }
    /// Commands and probes still running (tests poll this to reach a quiet state).
    public var busy: Int { commands.count }

    /// Answers a contract query; its reservation is persisted before the answer is returned.
    public func answer(_ query: AllocationQuery) async throws -> AllocationAnswer {
        var choice = RegistryChoice()
        if core.needsRegistry(query), let registry {
            choice = RegistryChoice(sfu: try await registry.leastLoadedServer(kind: .sfu)?.address,
                turn: try await registry.leastLoadedServer(kind: .turn)?.address,
                fs: try await registry.leastLoadedServer(kind: .fs)?.address)
        }
        let (answer, actions) = core.answer(query, registry: choice, now: clock())
        try await perform(actions)
        return answer
    }

    /// One timer tick at the clock's time.
    public func tick() async throws {
        try await perform(core.tick(now: clock()))
    }

    /// Runs ticks every `configuration.tickSeconds` until cancelled; errors are logged, not fatal.
    public func runTimer() async {
        let seconds = core.configuration.tickSeconds
        while !Task.isCancelled {
            do { try await tick() } catch { logger.error("allocateserver tick: \(error)") }
            try? await Task.sleep(for: .seconds(seconds))
        }
    }

    /// Cancels running commands (their processes get SIGTERM) and probes, waits for them, closes the databases.
    public func shutdown() async {
        for task in commands.values { task.cancel() }
        for task in commands.values { await task.value }
        commands = [:]
        await store.close()
        await registry?.database.close()
    }

    private func perform(_ actions: [AllocationAction]) async throws {
        for action in actions {
            switch action {
            case .save(let reservation):
                // The core's current state, not the snapshot: another query may have changed (or released) the
                // reservation while this one awaited the database; the single SQLite thread keeps saves in order.
                guard let current = core.reservations[reservation.id] else { continue }
                try await store.save(current)
            case .forget(let id):
                try await store.forget(id: id)
                logger.info("released \(id)")
            case .create(let reservation):
                guard case .provision(let settings) = policy(reservation.kind) else { continue }
                logger.info("creating an sfuserver for \(reservation.id)")
                start(key: "create \(reservation.id)") {
                    let result: Result<String, AllocatorError>
                    do throws(AllocatorError) {
                        let outcome = try await ProvisioningCommand.run(settings.create,
                            environment: ProvisioningCommand.environment(action: "create", reservation: reservation),
                            timeout: settings.commandTimeout)
                        result = ProvisioningCommand.address(from: outcome)
                    } catch {
                        result = .failure(error)
                    }
                    await self.finished(key: "create \(reservation.id)") { core, now in
                        core.createFinished(id: reservation.id, result: result, now: now)
                    }
                }
            case .delete(let reservation):
                guard case .provision(let settings) = policy(reservation.kind) else { continue }
                logger.info("deleting sfuserver \(reservation.sfu ?? "") of \(reservation.id)")
                start(key: "delete \(reservation.id)") {
                    let outcome = try? await ProvisioningCommand.run(settings.delete,
                        environment: ProvisioningCommand.environment(action: "delete", reservation: reservation),
                        timeout: settings.commandTimeout)
                    let succeeded = outcome.map { $0.status == 0 && !$0.timedOut } ?? false
                    await self.finished(key: "delete \(reservation.id)") { core, now in
                        core.deleteFinished(id: reservation.id, succeeded: succeeded, now: now)
                    }
                }
            case .probe(let id, let address):
                let probe = self.probe
                start(key: "probe \(id)") {
                    let answered = await probe(address)
                    await self.finished(key: "probe \(id)") { core, now in
                        answered ? core.probeAnswered(id: id, now: now) : []
                    }
                }
            }
        }
    }

    private func policy(_ kind: Reservation.Kind) -> SFUPolicy {
        kind == .instant ? core.configuration.instant : core.configuration.scheduled
    }

    /// Starts background work once per key (a probe still running is not started again).
    private func start(key: String, _ body: @escaping @Sendable () async -> Void) {
        guard commands[key] == nil else { return }
        commands[key] = Task { await body() }
    }

    private func finished(key: String,
        _ step: @Sendable (inout AllocationCore, Int64) -> [AllocationAction]) async
    {
        commands[key] = nil
        let actions = step(&core, clock())
        do { try await perform(actions) } catch { logger.error("allocateserver: \(error)") }
    }

    /// Whether a TCP connection to `address` succeeds within 3 s.
    static func tcpProbe(_ address: String) async -> Bool {
        guard let parsed = ServerAddress.parse(address) else { return false }
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(3))
                .connect(host: parsed.host, port: Int(parsed.port)).get()
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }
}
