import Allocator
import Foundation
import Testing

/// The sans-IO core in virtual time: every policy's decisions, no sockets, no processes.
@Suite("AllocationCore")
struct AllocationCoreTests {
    static let hour: Int64 = 3600
    static let t0: Int64 = 1_900_000_000

    static func configuration(scheduled: SFUPolicy, instant: SFUPolicy) -> AllocatorConfiguration {
        AllocatorConfiguration(stateDatabase: "/unused", turn: ["10.0.0.9:3478"], fs: ["fs.test:443"],
            scheduled: scheduled, instant: instant)
    }

    static let provisioning = ProvisioningSettings(create: ["/bin/true"], delete: ["/bin/true"],
        commandTimeout: .seconds(10), createBefore: 2 * hour, deleteAfter: 2 * hour, instantLifetime: 3 * hour,
        retryAfter: 60)

    @Test("Static pool: one sfuserver per scheduled meeting, overlapping meetings never share, released at EndAt")
    func staticPool() {
        var core = AllocationCore(configuration: Self.configuration(scheduled: .pool(["a.test:443", "b.test:443"]),
            instant: .pool(["i.test:443"])), restored: [])
        let now = Self.t0 - 86400
        let first = core.answer(.media(owner: "ada@x.test", beginAt: Self.t0, endAt: Self.t0 + Self.hour),
            registry: RegistryChoice(), now: now).0
        let second = core.answer(.media(owner: "bob@x.test", beginAt: Self.t0 + 1800, endAt: Self.t0 + 2 * Self.hour),
            registry: RegistryChoice(), now: now).0
        #expect(first == .media(sfu: "a.test:443", turn: "10.0.0.9:3478"))
        #expect(second == .media(sfu: "b.test:443", turn: "10.0.0.9:3478"))
        // A third overlapping meeting: nothing free → not ready.
        let third = core.answer(.media(owner: "cy@x.test", beginAt: Self.t0 + 1800, endAt: Self.t0 + 1900),
            registry: RegistryChoice(), now: now).0
        guard case .notReady = third else { Issue.record("expected not ready, got \(third)"); return }
        // Back to back with the first: a is free again.
        let after = core.answer(.media(owner: "cy@x.test", beginAt: Self.t0 + Self.hour, endAt: Self.t0 + 2 * Self.hour + 1),
            registry: RegistryChoice(), now: now).0
        #expect(after == .media(sfu: "a.test:443", turn: "10.0.0.9:3478"))
        // The same query again gets the same answer (the apiserver retries).
        let again = core.answer(.media(owner: "ada@x.test", beginAt: Self.t0, endAt: Self.t0 + Self.hour),
            registry: RegistryChoice(), now: now).0
        #expect(again == first)
        // After EndAt the reservation is released.
        let released = core.tick(now: Self.t0 + Self.hour)
        #expect(released.contains(.forget(id: "s:ada@x.test:\(Self.t0):\(Self.t0 + Self.hour)")))
        #expect(core.reservations.count == 2)
    }

    @Test("Instant meetings share a pool: an owner keeps a server, new owners go to the least used; gone after the lifetime")
    func instantSharedPool() {
        var core = AllocationCore(configuration: Self.configuration(scheduled: .pool(["a.test:443"]),
            instant: .pool(["i1.test:443", "i2.test:443"])), restored: [])
        let ada = core.answer(.media(owner: "ada@x.test", beginAt: 0, endAt: 0), registry: RegistryChoice(), now: Self.t0).0
        let bob = core.answer(.media(owner: "bob@x.test", beginAt: 0, endAt: 0), registry: RegistryChoice(), now: Self.t0).0
        let cy = core.answer(.media(owner: "cy@x.test", beginAt: 0, endAt: 0), registry: RegistryChoice(), now: Self.t0).0
        let adaAgain = core.answer(.media(owner: "ada@x.test", beginAt: 0, endAt: 0), registry: RegistryChoice(),
            now: Self.t0 + 10).0
        #expect(ada == .media(sfu: "i1.test:443", turn: "10.0.0.9:3478"))
        #expect(bob == .media(sfu: "i2.test:443", turn: "10.0.0.9:3478"))
        #expect(cy == .media(sfu: "i1.test:443", turn: "10.0.0.9:3478"))
        #expect(adaAgain == ada)
        #expect(core.tick(now: Self.t0 + 3 * Self.hour - 1).isEmpty)
        let forgotten = core.tick(now: Self.t0 + 3 * Self.hour + 10)
        #expect(forgotten.count == 3)
        #expect(core.reservations.isEmpty)
    }

    @Test("Least-loaded: the registry's choice is handed out and remembered; none registered → not ready")
    func leastLoaded() {
        var core = AllocationCore(configuration: Self.configuration(scheduled: .leastLoaded, instant: .leastLoaded),
            restored: [])
        let query = AllocationQuery.media(owner: "ada@x.test", beginAt: Self.t0, endAt: Self.t0 + Self.hour)
        #expect(core.needsRegistry(query))
        guard case .notReady = core.answer(query, registry: RegistryChoice(), now: Self.t0).0 else {
            Issue.record("expected not ready without registered servers"); return
        }
        #expect(core.answer(query, registry: RegistryChoice(sfu: "s1.test:443"), now: Self.t0).0
            == .media(sfu: "s1.test:443", turn: "10.0.0.9:3478"))
        #expect(core.answer(query, registry: RegistryChoice(sfu: "s2.test:443"), now: Self.t0).0
            == .media(sfu: "s1.test:443", turn: "10.0.0.9:3478"))
    }

    @Test("Provisioning a scheduled meeting: create 2 h before BeginAt, not ready until it answers, delete 2 h after EndAt")
    func provisionScheduled() throws {
        var core = AllocationCore(configuration: Self.configuration(scheduled: .provision(Self.provisioning),
            instant: .pool(["i.test:443"])), restored: [])
        let begin = Self.t0, end = Self.t0 + Self.hour
        let query = AllocationQuery.media(owner: "ada@x.test", beginAt: begin, endAt: end)
        let (first, actions) = core.answer(query, registry: RegistryChoice(), now: begin - 86400)
        guard case .notReady = first else { Issue.record("\(first)"); return }
        #expect(!actions.contains { if case .create = $0 { true } else { false } })
        #expect(core.tick(now: begin - 2 * Self.hour - 1).isEmpty)
        let due = core.tick(now: begin - 2 * Self.hour)
        let id = "s:ada@x.test:\(begin):\(end)"
        #expect(due.contains { if case .create(let r) = $0 { r.id == id } else { false } })
        #expect(core.tick(now: begin - 2 * Self.hour + 5).isEmpty, "a running create is not started twice")
        let created = core.createFinished(id: id, result: Result<String, AllocatorError>.success("new.test:443"), now: begin - 2 * Self.hour + 60)
        #expect(created.contains(AllocationAction.probe(id: id, address: "new.test:443")))
        guard case .notReady = core.answer(query, registry: RegistryChoice(), now: begin - Self.hour).0 else {
            Issue.record("must be not ready until the server answers"); return
        }
        _ = core.probeAnswered(id: id, now: begin - Self.hour)
        #expect(core.answer(query, registry: RegistryChoice(), now: begin - Self.hour).0
            == .media(sfu: "new.test:443", turn: "10.0.0.9:3478"))
        #expect(core.tick(now: end + 2 * Self.hour - 1).isEmpty)
        let deletion = core.tick(now: end + 2 * Self.hour)
        #expect(deletion.contains { if case .delete(let r) = $0 { r.sfu == "new.test:443" } else { false } })
        #expect(core.deleteFinished(id: id, succeeded: true, now: end + 2 * Self.hour + 30) == [.forget(id: id)])
        #expect(core.reservations.isEmpty)
    }

    @Test("Provisioning an instant meeting: create at once, retry a failed create, delete after 3 h")
    func provisionInstant() {
        var core = AllocationCore(configuration: Self.configuration(scheduled: .pool(["a.test:443"]),
            instant: .provision(Self.provisioning)), restored: [])
        let query = AllocationQuery.media(owner: "ada@x.test", beginAt: 0, endAt: 0)
        let (answer, actions) = core.answer(query, registry: RegistryChoice(), now: Self.t0)
        guard case .notReady = answer else { Issue.record("\(answer)"); return }
        let id = "i:ada@x.test:\(Self.t0)"
        #expect(actions.contains { if case .create(let r) = $0 { r.id == id } else { false } })
        _ = core.createFinished(id: id, result: .failure(.commandFailed("cloud quota")), now: Self.t0 + 5)
        if case .notReady(let reason) = core.answer(query, registry: RegistryChoice(), now: Self.t0 + 6).0 {
            #expect(reason.contains("cloud quota"))
        } else { Issue.record("expected not ready") }
        #expect(core.tick(now: Self.t0 + 64).isEmpty)
        #expect(core.tick(now: Self.t0 + 65).contains { if case .create = $0 { true } else { false } })
        _ = core.createFinished(id: id, result: .success("inst.test:443"), now: Self.t0 + 70)
        _ = core.probeAnswered(id: id, now: Self.t0 + 71)
        #expect(core.answer(query, registry: RegistryChoice(), now: Self.t0 + 72).0
            == .media(sfu: "inst.test:443", turn: "10.0.0.9:3478"))
        // The lifetime runs from the last allocation (t0 + 72).
        #expect(core.tick(now: Self.t0 + 72 + 3 * Self.hour - 1).isEmpty)
        #expect(core.tick(now: Self.t0 + 72 + 3 * Self.hour).contains { if case .delete = $0 { true } else { false } })
    }

    @Test("A restart re-runs a command that was interrupted")
    func restoredInterruptedCommands() throws {
        var core = AllocationCore(configuration: Self.configuration(scheduled: .provision(Self.provisioning),
            instant: .pool(["i.test:443"])), restored: [])
        _ = core.answer(.media(owner: "ada@x.test", beginAt: Self.t0, endAt: Self.t0 + 60), registry: RegistryChoice(),
            now: Self.t0 - 60)
        let interrupted = try #require(core.reservations.values.first)
        #expect(interrupted.state == .creating)
        var restarted = AllocationCore(configuration: core.configuration, restored: [interrupted])
        #expect(restarted.tick(now: Self.t0 - 50).contains { if case .create = $0 { true } else { false } })
    }
}
