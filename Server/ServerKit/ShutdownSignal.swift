import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT and SIGTERM as an `await`: every server command drains gracefully on either (the operator's Ctrl-C,
/// systemd's stop) instead of dying mid-write.
public enum ShutdownSignal {
    /// Returns when the process receives SIGINT or SIGTERM (the default handlers are replaced, so the process
    /// keeps running until the caller has shut down).
    public static func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let queue = DispatchQueue(label: "meeting.shutdown-signals")
            queue.async {
                signal(SIGINT, SIG_IGN)
                signal(SIGTERM, SIG_IGN)
                let sources = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: queue) }
                var resumed = false
                for source in sources {
                    source.setEventHandler {
                        // Runs on `queue`, serially: `resumed` needs no lock.
                        guard !resumed else { return }
                        resumed = true
                        for source in sources { source.cancel() }
                        continuation.resume()
                    }
                    source.resume()
                }
            }
        }
    }
}
