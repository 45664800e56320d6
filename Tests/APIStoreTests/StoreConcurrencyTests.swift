import APIStore
import Database
import Foundation
import Testing

/// Several apiservers share one database: each test opens two or more `SQLStore`s, each with its own `Database`
/// (own connections), on one MariaDB database or one SQLite file.
@Suite("Store: several apiservers on one database (SQLite file and MariaDB)")
struct StoreConcurrencyTests {
    @Test("Each outbox message is claimed by exactly one of two stores racing for it", arguments: StoreBackend.available)
    func outboxClaimedOnce(backend: StoreBackend) async throws {
        try await backend.withStores(count: 2) { stores throws in
            var ids: Set<String> = []
            for index in 0..<60 {
                let message = try await stores[index % 2].enqueueMail(OutboxMessage(sender: "a@example.com",
                    recipients: ["r\(index)@example.com"], message: Array("message \(index)".utf8),
                    nextAttemptAt: Clock.at(0), createdAt: Clock.at(0)))
                ids.insert(message.id)
            }
            // Both stores claim in small batches concurrently until nothing is left (bounded rounds).
            let claims = try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
                for (index, store) in stores.enumerated() {
                    group.addTask {
                        var mine: [String] = []
                        for _ in 0..<100 {
                            let batch = try await store.claimMail(claimer: "api-\(index)", now: Clock.at(1),
                                leaseUntil: Clock.at(61), limit: 3)
                            if batch.isEmpty { break }
                            #expect(batch.allSatisfy { $0.claimedBy == "api-\(index)" && $0.attempts == 1 })
                            mine += batch.map(\.id)
                        }
                        return (index, mine)
                    }
                }
                var result: [Int: [String]] = [:]
                for try await (index, mine) in group { result[index] = mine }
                return result
            }
            let all = (claims[0] ?? []) + (claims[1] ?? [])
            #expect(all.count == 60, "claimed \(all.count) times: \(claims.mapValues(\.count))")
            #expect(Set(all) == ids)
        }
    }

    @Test("A heartbeat written through one store is seen by the other; a dead server is reported to one",
        arguments: StoreBackend.available)
    func registryShared(backend: StoreBackend) async throws {
        try await backend.withStores(count: 2) { stores throws in
            _ = try await stores[0].registerServer(kind: .sfu, id: "sfu-1", address: "sfu1:443", capacity: 10,
                now: Clock.at(0))
            #expect(try await stores[1].server(kind: .sfu, id: "sfu-1")?.address == "sfu1:443")
            #expect(try await stores[1].heartbeat(kind: .sfu, id: "sfu-1", load: 7, now: Clock.at(5)))
            let seen = try await stores[0].server(kind: .sfu, id: "sfu-1")
            #expect(seen?.load == 7 && seen?.lastHeartbeatAt == Clock.at(5))

            async let first = stores[0].markDeadServers(heartbeatBefore: Clock.at(30))
            async let second = stores[1].markDeadServers(heartbeatBefore: Clock.at(30))
            let reported = try await first + second
            #expect(reported.map(\.id) == ["sfu-1"])
            #expect(try await stores[0].server(kind: .sfu, id: "sfu-1")?.state == .dead)
        }
    }

    @Test("Sign-in code guesses from two stores at once are all counted", arguments: StoreBackend.available)
    func codeAttemptsShared(backend: StoreBackend) async throws {
        try await backend.withStores(count: 2) { stores throws in
            try await stores[0].putSignInCode(email: "x@example.com", codeHash: [1], expiresAt: Clock.at(600),
                now: Clock.at(0))
            let results = try await withThrowingTaskGroup(of: SignInCodeCheck.self) { group in
                for index in 0..<10 {
                    group.addTask {
                        try await stores[index % 2].consumeSignInCode(email: "x@example.com", codeHash: [2],
                            maximumAttempts: 5, now: Clock.at(1))
                    }
                }
                var results: [SignInCodeCheck] = []
                for try await result in group { results.append(result) }
                return results
            }
            let wrong = results.filter { if case .wrong = $0 { true } else { false } }
            #expect(wrong.count == 4, "\(results)")
            #expect(results.filter { $0 == .tooManyAttempts }.count == 1, "\(results)")
            #expect(results.filter { $0 == .noCode }.count == 5, "\(results)")
        }
    }

    @Test("A due allocation is claimed by one of two stores", arguments: StoreBackend.available)
    func allocationClaimedOnce(backend: StoreBackend) async throws {
        try await backend.withStores(count: 2) { stores throws in
            let owner = try await stores[0].createUser(email: "o@example.com", displayName: "O", isAdmin: false,
                now: Clock.at(0))
            for index in 0..<20 {
                let meeting = try await stores[1].createMeeting(Meeting(ownerID: owner.id, kind: .scheduled,
                    title: "m\(index)", createdAt: Clock.at(0)))
                _ = try await stores[index % 2].setAllocationPending(meetingID: meeting.id, error: "503",
                    nextAttemptAt: Clock.at(1), now: Clock.at(0))
            }
            async let first = stores[0].claimDueAllocations(now: Clock.at(2), leaseUntil: Clock.at(60), limit: 50)
            async let second = stores[1].claimDueAllocations(now: Clock.at(2), leaseUntil: Clock.at(60), limit: 50)
            let (a, b) = try await (first, second)
            #expect(a.count + b.count == 20)
            #expect(Set(a.map(\.id)).isDisjoint(with: b.map(\.id)))
        }
    }
}
