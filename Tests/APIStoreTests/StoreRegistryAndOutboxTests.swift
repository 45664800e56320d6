import APIStore
import Database
import Foundation
import Testing

@Suite("Store: server registry and mail outbox (SQLite and MariaDB)")
struct StoreRegistryAndOutboxTests {
    @Test("Registry: register, heartbeat, draining, dead after missed heartbeats, back alive, least loaded",
        arguments: StoreBackend.available)
    func registry(backend: StoreBackend) async throws {
        try await backend.withStore { store throws in
            let sfu1 = try await store.registerServer(kind: .sfu, id: "sfu-1", address: "sfu1:443", capacity: 100,
                now: Clock.at(0))
            _ = try await store.registerServer(kind: .sfu, id: "sfu-2", address: "sfu2:443", capacity: 10, now: Clock.at(0))
            _ = try await store.registerServer(kind: .turn, id: "turn-1", address: "192.0.2.1:3478", capacity: 1000,
                now: Clock.at(0))
            #expect(try await store.server(kind: .sfu, id: "sfu-1") == sfu1)
            #expect(try await store.servers(kind: .sfu).map(\.id) == ["sfu-1", "sfu-2"])
            #expect(try await store.servers(kind: nil).count == 3)

            #expect(try await store.heartbeat(kind: .sfu, id: "sfu-1", load: 50, now: Clock.at(10)))
            #expect(try await store.heartbeat(kind: .sfu, id: "sfu-2", load: 2, now: Clock.at(10)))
            #expect(try await store.heartbeat(kind: .sfu, id: "unknown", load: 2, now: Clock.at(10)) == false)
            // 2/10 < 50/100.
            #expect(try await store.leastLoadedServer(kind: .sfu)?.id == "sfu-2")
            #expect(try await store.setServerState(kind: .sfu, id: "sfu-2", state: .draining))
            #expect(try await store.leastLoadedServer(kind: .sfu)?.id == "sfu-1")
            #expect(try await store.leastLoadedServer(kind: .fs) == nil)

            // sfu-1 keeps heartbeating; sfu-2 (draining) and turn-1 stop.
            #expect(try await store.heartbeat(kind: .sfu, id: "sfu-1", load: 60, now: Clock.at(40)))
            let dead = try await store.markDeadServers(heartbeatBefore: Clock.at(30))
            #expect(dead.map(\.id) == ["sfu-2", "turn-1"] && dead.allSatisfy { $0.state == .dead })
            #expect(try await store.markDeadServers(heartbeatBefore: Clock.at(30)).isEmpty)
            #expect(try await store.server(kind: .sfu, id: "sfu-1")?.state == .alive)
            #expect(try await store.server(kind: .sfu, id: "sfu-1")?.load == 60)

            #expect(try await store.heartbeat(kind: .turn, id: "turn-1", load: 1, now: Clock.at(50)))
            #expect(try await store.server(kind: .turn, id: "turn-1")?.state == .alive)
            // Re-registering resets the state and address.
            let again = try await store.registerServer(kind: .sfu, id: "sfu-2", address: "sfu2b:443", capacity: 20,
                now: Clock.at(60))
            #expect(try await store.server(kind: .sfu, id: "sfu-2") == again)
            #expect(again.state == .alive && again.address == "sfu2b:443")
        }
    }

    @Test("Outbox: raw bytes kept exactly; claimed when due; retried; sent; failed", arguments: StoreBackend.available)
    func outbox(backend: StoreBackend) async throws {
        try await backend.withStore { store throws in
            let raw = Array("From: a@example.com\r\nTo: b@example.com\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n\r\n.\r\n..\r\n\0\u{FF}".utf8)
                + [0xFF, 0x00, 0x80]
            let message = try await store.enqueueMail(OutboxMessage(sender: "a@example.com",
                recipients: ["b@example.com", "c@example.com"], message: raw, nextAttemptAt: Clock.at(0),
                createdAt: Clock.at(0)))
            #expect(try await store.outboxMessage(id: message.id) == message)
            let later = try await store.enqueueMail(OutboxMessage(sender: "a@example.com", recipients: ["d@example.com"],
                message: [1], nextAttemptAt: Clock.at(100), createdAt: Clock.at(0)))
            await #expect(throws: StoreError.self) {
                _ = try await store.enqueueMail(OutboxMessage(sender: "a@example.com", recipients: [], message: [],
                    nextAttemptAt: Clock.at(0), createdAt: Clock.at(0)))
            }
            await #expect(throws: StoreError.self) {
                _ = try await store.enqueueMail(OutboxMessage(sender: "a@example.com", recipients: ["x\r\nRCPT TO:<y>"],
                    message: [], nextAttemptAt: Clock.at(0), createdAt: Clock.at(0)))
            }

            let claimed = try await store.claimMail(claimer: "api-1", now: Clock.at(1), leaseUntil: Clock.at(61), limit: 10)
            #expect(claimed.count == 1)
            let first = try #require(claimed.first)
            #expect(first.id == message.id && first.message == raw && first.recipients == ["b@example.com", "c@example.com"])
            #expect(first.attempts == 1 && first.claimedBy == "api-1" && first.nextAttemptAt == Clock.at(61))
            #expect(try await store.claimMail(claimer: "api-2", now: Clock.at(2), leaseUntil: Clock.at(62), limit: 10).isEmpty)

            try await store.markMailRetry(id: message.id, error: "451 try later", nextAttemptAt: Clock.at(30))
            let retried = try await store.outboxMessage(id: message.id)
            #expect(retried?.state == .pending && retried?.lastError == "451 try later" && retried?.claimedBy == nil)
            #expect(try await store.claimMail(claimer: "api-2", now: Clock.at(29), leaseUntil: Clock.at(89), limit: 10).isEmpty)
            let again = try await store.claimMail(claimer: "api-2", now: Clock.at(30), leaseUntil: Clock.at(90), limit: 10)
            #expect(again.map(\.id) == [message.id] && again.first?.attempts == 2)
            try await store.markMailSent(id: message.id, now: Clock.at(31))
            let sent = try await store.outboxMessage(id: message.id)
            #expect(sent?.state == .sent && sent?.sentAt == Clock.at(31))

            // A claim whose holder died comes due again at the lease's end.
            let orphan = try await store.claimMail(claimer: "api-1", now: Clock.at(100), leaseUntil: Clock.at(160), limit: 10)
            #expect(orphan.map(\.id) == [later.id])
            let reclaimed = try await store.claimMail(claimer: "api-2", now: Clock.at(160), leaseUntil: Clock.at(220), limit: 10)
            #expect(reclaimed.map(\.id) == [later.id] && reclaimed.first?.claimedBy == "api-2" && reclaimed.first?.attempts == 2)
            try await store.markMailFailed(id: later.id, error: "550 no such user")
            #expect(try await store.outboxMessage(id: later.id)?.state == .failed)
            #expect(try await store.claimMail(claimer: "api-1", now: Clock.at(10_000), leaseUntil: Clock.at(10_060), limit: 10).isEmpty)
            await #expect(throws: StoreError.notFound("outbox message nope")) {
                try await store.markMailSent(id: "nope", now: Clock.at(0))
            }
        }
    }
}
