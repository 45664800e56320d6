/// Lets one media-heavy real-peer test (browsers, aiortc peers encoding and decoding video in real time) run at a
/// time across every test target: they share one test process and, in CI, two cores, and two at once starve each
/// other's real-time media until both fail. Tests that only exchange a few messages need no gate.
public actor MediaPeerGate {
    public static let shared = MediaPeerGate()

    var busy = false
    var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }

    /// Runs `body` alone among the gated tests.
    public nonisolated func exclusively<Result>(_ body: () async throws -> Result) async throws -> Result {
        await acquire()
        do {
            let result = try await body()
            await release()
            return result
        } catch {
            await release()
            throw error
        }
    }
}
