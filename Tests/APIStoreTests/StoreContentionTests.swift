import APIStore
import Database
import Foundation
import Testing

/// Several apiservers writing the same rows at the same moment: on MariaDB, InnoDB answers some of these races
/// with a deadlock (1213) or a lock wait timeout (1205); the store must absorb them so a sign-in attempt is never
/// lost or turned into a 500 because another apiserver counted at the same time.
@Suite("Store: contended writes from several apiservers (SQLite file and MariaDB)")
struct StoreContentionTests {
    @Test("First-time rate-limit counts, code replacements and guesses on the same new keys all land",
        arguments: StoreBackend.available)
    func contendedUpserts(backend: StoreBackend) async throws {
        try await backend.withStores(count: 2) { stores throws in
            let subjects = ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
            let perSubject = 24
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<(subjects.count * perSubject) {
                    let store = stores[index % stores.count]
                    let subject = subjects[index % subjects.count]
                    group.addTask {
                        _ = try await store.countAttempt(scope: "signin.ip", subject: subject, windowSeconds: 600,
                            now: Clock.at(5))
                    }
                    group.addTask {
                        try await store.putSignInCode(email: "user\(index % 3)@example.com", codeHash: [UInt8(index % 256)],
                            expiresAt: Clock.at(600), now: Clock.at(5))
                    }
                    group.addTask {
                        _ = try await store.consumeSignInCode(email: "nobody\(index % 3)@example.com", codeHash: [1],
                            maximumAttempts: 5, now: Clock.at(5))
                    }
                }
                try await group.waitForAll()
            }
            for subject in subjects {
                let counted = try await stores[0].attempts(scope: "signin.ip", subject: subject, windowSeconds: 600,
                    now: Clock.at(5))
                #expect(counted == perSubject, "\(subject)")
            }
        }
    }
}
