import Foundation
import TestSupport

/// Runs `Tests/Peers/pyav_media_probe.py` (PyAV, i.e. FFmpeg's demuxers and decoders) on a file we wrote and
/// returns its JSON report. The process is bounded: killed after `timeout` seconds.
enum PyAVProbe {
    static let script = Fixtures.repositoryRoot.appendingPathComponent("Tests/Peers/pyav_media_probe.py").path

    static var isAvailable: Bool { RealPeer.pythonModule("av") }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func probe(_ file: URL, pcmOutput: URL? = nil, timeout: TimeInterval = 60) throws -> [String: Any] {
        guard let python = RealPeer.executable("python3") else { throw Failure(description: "python3 not found") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, file.path] + (pcmOutput.map { [$0.path] } ?? [])
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // The report is one short JSON line (PCM goes to a file), far below a pipe's buffer: wait, then read.
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw Failure(description: "PyAV probe did not finish within \(timeout) s")
        }
        process.waitUntilExit()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure(description: "PyAV probe failed (\(process.terminationStatus)): \(stderr)")
        }
        guard let report = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Failure(description: "PyAV probe printed no JSON object: \(String(decoding: data, as: UTF8.self))")
        }
        return report
    }

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("meeting-codecs-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}
