import FileServer
import Foundation
import TestSupport
import Testing

/// A real process writes into a store and is killed with SIGKILL at an arbitrary moment; the store is then
/// reopened in this process. Nothing partial may be visible, and what was confirmed must survive.
@Suite("FileStore: a killed writer leaves nothing partial", .serialized)
struct FileStoreCrashTests {
    /// The build products directory, where SwiftPM put FileStoreCrashWriter next to the test bundle.
    static let writer: String = {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.pathComponents.count > 1 {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("FileStoreCrashWriter").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "FileStoreCrashWriter"
    }()

    /// Runs the writer, collects its stdout lines until `enough` says to stop (or 60 s pass), then kills it -9.
    static func runAndKill(_ arguments: [String], enough: ([String]) -> Bool) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: writer)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        let reader = output.fileHandleForReading
        var buffer = Data()
        var lines: [String] = []
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !enough(lines) {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let newline = buffer.firstIndex(of: 10) {
                lines.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                buffer.removeSubrange(buffer.startIndex...newline)
            }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the writer exited by itself: \(lines.suffix(3))")
        return lines
    }

    @Test("Killed mid-upload: nothing listed after restart, the confirmed offset holds, the upload resumes to the right SHA-256")
    func killedDuringUpload() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meeting-fs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let size: Int64 = 8 << 20
        let chunk = 64 << 10
        // Kill after a few confirmed chunks, while later ones are being written.
        let lines = try Self.runAndKill(["upload", directory, String(size), String(chunk)]) { lines in
            lines.filter { $0.hasPrefix("received ") }.count >= 5
        }
        let uploadID = try #require(lines.first { $0.hasPrefix("upload ") }.map { String($0.dropFirst(7)) })
        let confirmed = try #require(lines.last { $0.hasPrefix("received ") }.flatMap { Int64($0.dropFirst(9)) })

        let store = try await FileStore.open(directory: directory, nowMilliseconds: 100)
        do {
            #expect(try await store.files(meetingID: "meeting").isEmpty)
            let status = try #require(try await store.upload(id: uploadID))
            #expect(status.received >= confirmed && status.received < size)
            var offset = status.received
            while offset < size {
                let count = Int(min(Int64(1 << 20), size - offset))
                offset = try await store.append(uploadID: uploadID, offset: offset, bytes: pattern(from: offset, count: count),
                    nowMilliseconds: 101).received
            }
            let file = try await store.finishUpload(id: uploadID, nowMilliseconds: 102)
            // The whole content, rebuilt independently and hashed by coreutils.
            let expected = directory + "-expected"
            _ = FileManager.default.createFile(atPath: expected, contents: Data(pattern(from: 0, count: Int(size))))
            defer { try? FileManager.default.removeItem(atPath: expected) }
            #expect(try sha256sum(expected) == file.sha256)
            #expect(try sha256sum(store.contentPath(of: file)) == file.sha256)
            #expect(try await store.files(meetingID: "meeting") == [file])
            await store.close()
        } catch {
            await store.close()
            throw error
        }
    }

    @Test("Killed while uploading and finishing many files: every listed file is whole, nothing stray remains")
    func killedDuringChurn() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("meeting-fs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let lines = try Self.runAndKill(["churn", directory, String(300_000), String(100_000)]) { lines in
            lines.count >= 8
        }
        let finished = lines.compactMap { line -> (String, String)? in
            let parts = line.split(separator: " ")
            return parts.count == 3 && parts[0] == "finished" ? (String(parts[1]), String(parts[2])) : nil
        }
        #expect(finished.count >= 8)

        let store = try await FileStore.open(directory: directory, nowMilliseconds: 100)
        do {
            let listed = try await store.files(meetingID: "meeting")
            // Every file the writer saw finished is there; at most one more (finished as it was killed).
            let listedIDs = Set(listed.map(\.id))
            for (id, _) in finished { #expect(listedIDs.contains(id), "finished file \(id) was lost") }
            #expect(listed.count <= finished.count + 1)
            for file in listed {
                #expect(try sha256sum(store.contentPath(of: file)) == file.sha256)
                #expect(file.size == 300_000)
            }
            // Objects are exactly the listed files' hashes; part files belong to an open upload at most.
            let objects = Set(tree(directory + "/objects").filter { $0.count > 3 }.map { String($0.dropFirst(3)) })
            #expect(objects == Set(listed.map(\.sha256)))
            #expect(tree(directory + "/uploads").count <= 1)
            await store.close()
        } catch {
            await store.close()
            throw error
        }
    }
}
