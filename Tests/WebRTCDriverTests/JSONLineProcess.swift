import Foundation
import TestSupport

/// A real peer run as a child process (Tests/Peers/*.py) that speaks one JSON object per line on stdin/stdout.
/// Its stderr goes to a temporary file, quoted in failures. ``stop()`` always kills it.
final class JSONLineProcess: @unchecked Sendable {
    // @unchecked: used by one test at a time, sequentially (reads and writes happen in the test's own order); the
    // Process and pipes are never touched from two tasks at once.
    struct Failure: Error, CustomStringConvertible { let description: String }

    let process = Process()
    let input = Pipe()
    let output = Pipe()
    let errorFile: URL
    var buffered: [UInt8] = []

    init(script: String, arguments: [String]) throws {
        let path = Fixtures.repositoryRoot.appendingPathComponent("Tests/Peers/\(script)").path
        errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("peer-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", path] + arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
    }

    /// What the peer wrote to stderr (its last 3000 characters).
    var stderrTail: String {
        let text = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        return String(text.suffix(3000))
    }

    /// The next line the peer printed, as a JSON object. Blocks; the peer bounds its own run time, so EOF comes.
    func readJSON() throws -> [String: Any] {
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(buffered[..<newline])
                buffered.removeSubrange(...newline)
                guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else {
                    continue  // not ours (a library printing to stdout)
                }
                return object
            }
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw Failure(description: "peer exited early; stderr:\n\(stderrTail)") }
            buffered += chunk
        }
    }

    /// Reads lines until one has `key`.
    func readJSON(withKey key: String) throws -> [String: Any] {
        for _ in 0..<100 {
            let object = try readJSON()
            if object[key] != nil { return object }
        }
        throw Failure(description: "no line with \(key)")
    }

    func writeJSON(_ object: [String: Any]) throws {
        var data = try JSONSerialization.data(withJSONObject: object)
        data.append(UInt8(ascii: "\n"))
        input.fileHandleForWriting.write(data)
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: errorFile)
    }
}
