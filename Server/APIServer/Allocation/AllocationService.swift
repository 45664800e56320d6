import APIStore
import AsyncHTTPClient
import Foundation
import HTTPTypes
import Logging
import NIOCore
import ServerKit

/// Decides which sfuserver and turnserver serve a meeting, and which fsserver serves a requester: through the
/// allocateserver when `--allocateserver` is given (the deployment doc's contract), otherwise the least-loaded
/// alive registered server of each kind.
///
/// A meeting whose allocation is not ready stays `pending` in the database with `nextAllocationAt`; the
/// background worker of whichever apiserver claims it first retries with exponential back-off, and a join in the
/// meantime gets `servers.preparing` with the seconds to wait.
struct AllocationService: Sendable {
    let store: any Store
    let configuration: APIServerConfiguration
    let client: AllocateServerClient?
    let logger: Logger

    init(store: any Store, configuration: APIServerConfiguration, httpClient: HTTPClient, logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        let parts = configuration.allocateTimeout.components
        let timeout = TimeAmount.nanoseconds(parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000)
        client = configuration.allocateServerURL.map {
            AllocateServerClient(baseURL: $0, httpClient: httpClient, timeout: timeout)
        }
    }

    /// Allocates `meeting` now and stores the outcome: the servers, or the next retry time. Returns the updated
    /// meeting; throws ``APIError/serversPreparing(retryAfter:)`` (or `servers.none`) when not ready.
    @discardableResult
    func allocate(_ meeting: Meeting, ownerEmail: String, now: Date) async throws -> Meeting {
        let outcome: Result<MediaServers, APIError>
        if let client {
            do {
                let scheduled = meeting.kind == .scheduled
                outcome = .success(try await client.allocateMedia(email: ownerEmail,
                    beginAt: scheduled ? meeting.beginAt?.unixSeconds : nil,
                    endAt: scheduled ? meeting.endAt?.unixSeconds : nil))
            } catch {
                logger.warning("allocation of meeting \(meeting.id): \(error)")
                outcome = .failure(APIError.serversPreparing(retryAfter: 1))
            }
        } else {
            outcome = try await leastLoaded()
        }
        switch outcome {
        case .success(let servers):
            let stored = try await store.setAllocation(meetingID: meeting.id, sfu: servers.sfu, turn: servers.turn,
                fs: meeting.fsAddress, now: now)
            logger.info("meeting \(meeting.id) allocated to sfu \(servers.sfu), turn \(servers.turn)")
            return stored
        case .failure(let error):
            let delay = backoff(attempts: meeting.allocationAttempts + 1)
            _ = try await store.setAllocationPending(meetingID: meeting.id, error: error.message,
                nextAttemptAt: now.addingTimeInterval(TimeInterval(delay)), now: now)
            var answer = error
            answer.retryAfterSeconds = Int(delay)
            throw answer
        }
    }

    /// The fsserver for a requester (`Kind=FS&Email=`).
    func allocateFiles(email: String) async throws -> String {
        if let client {
            do {
                return try await client.allocateFiles(email: email)
            } catch {
                logger.warning("fs allocation for \(email): \(error)")
                throw APIError.serversPreparing(retryAfter: Int(backoff(attempts: 1)))
            }
        }
        guard let fs = try await store.leastLoadedServer(kind: .fs) else { throw APIError.noServers("fs") }
        return fs.address
    }

    /// Seconds before retry number `attempts` (1-based): the configured back-off doubled per attempt, capped.
    func backoff(attempts: Int) -> Int64 {
        let base = Int64(configuration.allocationBackoff.wholeSecondsRoundedUp)
        let cap = Int64(configuration.allocationMaximumBackoff.wholeSecondsRoundedUp)
        let shift = min(max(attempts - 1, 0), 20)
        return min(cap, base << Int64(shift))
    }

    private func leastLoaded() async throws -> Result<MediaServers, APIError> {
        guard let sfu = try await store.leastLoadedServer(kind: .sfu) else { return .failure(APIError.noServers("sfu")) }
        guard let turn = try await store.leastLoadedServer(kind: .turn) else {
            return .failure(APIError.noServers("turn"))
        }
        return .success(MediaServers(sfu: sfu.address, turn: turn.address))
    }
}
