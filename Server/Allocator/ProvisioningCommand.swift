import Foundation
import Synchronization

/// Runs a configured provisioning command: argv (no shell), the meeting in the environment, bounded in time, its
/// output captured (the last non-empty stdout line of a create is the new sfuserver's `host:port`).
///
/// Environment: `MEETING_ACTION` (create|delete), `MEETING_KIND` (scheduled|instant), `MEETING_OWNER`,
/// `MEETING_BEGIN_AT`, `MEETING_END_AT` (unix seconds, 0 for instant), `MEETING_RESERVATION`, and for a delete
/// `MEETING_SFU`.
public enum ProvisioningCommand {
    public struct Outcome: Sendable, Hashable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var timedOut: Bool
    }

    static let maximumOutput = 64 * 1024

    /// The environment a command gets for `reservation`.
    public static func environment(action: String, reservation: Reservation) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["MEETING_ACTION"] = action
        environment["MEETING_KIND"] = reservation.kind.rawValue
        environment["MEETING_OWNER"] = reservation.owner
        environment["MEETING_BEGIN_AT"] = String(reservation.beginAt)
        environment["MEETING_END_AT"] = String(reservation.endAt)
        environment["MEETING_RESERVATION"] = reservation.id
        if let sfu = reservation.sfu { environment["MEETING_SFU"] = sfu }
        return environment
    }

    /// Runs `argv` and waits at most `timeout` (then SIGTERM, and SIGKILL 5 s later).
    public static func run(_ argv: [String], environment: [String: String], timeout: Duration)
        async throws(AllocatorError) -> Outcome
    {
        guard let program = argv.first else { throw .commandFailed("empty argv") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meeting-alloc-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .commandFailed("cannot create \(directory.path): \(error)")
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("stdout")
        let errURL = directory.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = Array(argv.dropFirst())
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        let status: Int32
        let timedOut: Bool
        do {
            let outHandle = try FileHandle(forWritingTo: outURL)
            let errHandle = try FileHandle(forWritingTo: errURL)
            defer {
                try? outHandle.close()
                try? errHandle.close()
            }
            process.standardOutput = outHandle
            process.standardError = errHandle
            (status, timedOut) = try await runAndWait(process, timeout: timeout)
        } catch {
            throw .commandFailed("\(program): \(error)")
        }
        return Outcome(status: status, stdout: read(outURL), stderr: read(errURL), timedOut: timedOut)
    }

    private static func runAndWait(_ process: Process, timeout: Duration) async throws -> (Int32, Bool) {
        let (exits, continuation) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { finished in
            continuation.yield(finished.terminationStatus)
            continuation.finish()
        }
        try process.run()
        let pid = process.processIdentifier
        let fired = TimeoutFlag()
        let killer = Task {
            try await Task.sleep(for: timeout)
            fired.value.store(true, ordering: .sequentiallyConsistent)
            kill(pid, SIGTERM)
            try await Task.sleep(for: .seconds(5))
            kill(pid, SIGKILL)
        }
        // Cancellation (the allocateserver shutting down) ends the command too, so shutdown never waits for the
        // whole timeout; the reservation then goes back to waiting and the command runs again after a restart.
        let status = await withTaskCancellationHandler {
            var iterator = exits.makeAsyncIterator()
            return await iterator.next() ?? -1
        } onCancel: {
            kill(pid, SIGTERM)
        }
        killer.cancel()
        return (status, fired.value.load(ordering: .sequentiallyConsistent))
    }

    private static func read(_ url: URL) -> String {
        guard let data = try? Data(contentsOf: url) else { return "" }
        return String(decoding: data.prefix(maximumOutput), as: UTF8.self)
    }

    /// The address a create command printed: its last non-empty stdout line, checked to be `host:port`.
    public static func address(from outcome: Outcome) -> Result<String, AllocatorError> {
        if outcome.timedOut { return .failure(.commandFailed("timed out; stderr: \(outcome.stderr.suffix(500))")) }
        guard outcome.status == 0 else {
            return .failure(.commandFailed("exit status \(outcome.status); stderr: \(outcome.stderr.suffix(500))"))
        }
        let line = outcome.stdout.split(whereSeparator: \.isNewline).last.map {
            $0.trimmingCharacters(in: .whitespaces)
        } ?? ""
        guard ServerAddress.parse(line) != nil else {
            return .failure(.commandFailed("its last stdout line \"\(line.prefix(200))\" is not the new sfuserver's host:port"))
        }
        return .success(line)
    }
}

/// Whether the timeout of a command fired (set by the timeout task, read after the process exited).
final class TimeoutFlag: Sendable {
    let value = Atomic<Bool>(false)
}
