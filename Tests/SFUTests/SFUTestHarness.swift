import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SFU
import SFUCore
import ServerKit
import TestSupport
import WSClient

/// An sfuserver on loopback for a test, and join tokens for it.
struct SFUHarness {
    static let secret = "test-deployment-secret-0123456789"
    static let domain = "sfu.test:443"
    let server: SFUServer
    let tokens = TokenAuthority(secret: SFUHarness.secret)

    static func start(configure: (inout SFUServerSettings) -> Void = { _ in }) async throws -> SFUHarness {
        var settings = SFUServerSettings(tokens: TokenAuthority(secret: secret), domainAddress: domain,
            listenHost: "127.0.0.1", listenPort: 0, mediaHost: "127.0.0.1", udpPort: 0)
        configure(&settings)
        var logger = Logger(label: "test.sfuserver")
        logger.logLevel = .critical
        return SFUHarness(server: try await SFUServer.start(settings: settings, logger: logger))
    }

    func token(meeting: String, participant: String, role: ParticipantRole = .participant, sfu: String = domain,
        expiresIn: Int64 = 300) throws -> String
    {
        let now = Int64(Date().timeIntervalSince1970)
        let claims = JoinClaims(meetingID: meeting, participantID: participant, displayName: "Name \(participant)",
            role: role, grants: .defaults(for: role), sfu: sfu)
        return try tokens.join.sign(claims, issuedAt: now - 10, expiresAt: now + expiresIn)
    }

    var url: String { "ws://127.0.0.1:\(server.signalingPort)/rtc" }
}

/// A signaling connection driven by the test itself: messages received are queued and awaited with a deadline.
final class SignalingClient: Sendable {
    /// Received text frames, in order (kept as text: JSON objects are not Sendable).
    let received = NIOLockedValueBox<[String]>([])
    let closed = NIOLockedValueBox(false)
    let outgoing: AsyncStream<String>.Continuation
    let task: Task<Void, Never>

    init(url: String) {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        outgoing = continuation
        let received = self.received
        let closed = self.closed
        task = Task {
            var logger = Logger(label: "test.signaling")
            logger.logLevel = .critical
            _ = try? await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await text in stream { try await outbound.write(.text(text)) }
                    }
                    group.addTask {
                        for try await message in inbound.messages(maxSize: 1 << 20) {
                            guard case .text(let text) = message else { continue }
                            received.withLockedValue { $0.append(text) }
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
            closed.withLockedValue { $0 = true }
        }
    }

    func send(_ text: String) { outgoing.yield(text) }
    func send(_ message: ClientMessage) { outgoing.yield(message.encoded()) }

    /// The first received message matching `predicate`, waiting at most `seconds`.
    func next(_ seconds: Double = 10, where predicate: @escaping @Sendable ([String: Any]) -> Bool) async throws
        -> [String: Any]
    {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let texts = received.withLockedValue { $0 }
            if let found = texts.lazy.compactMap(Self.object).first(where: predicate) { return found }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessFailure("no matching message within \(seconds) s; received: \(received.withLockedValue { $0 })")
    }

    static func object(_ text: String) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    /// Forgets what was received so far.
    func clear() { received.withLockedValue { $0.removeAll() } }

    func next(type: String, _ seconds: Double = 10) async throws -> [String: Any] {
        try await next(seconds) { $0["type"] as? String == type }
    }

    /// Waits until the server closed the connection.
    func waitClosed(_ seconds: Double = 10) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if closed.withLockedValue({ $0 }) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    func close() async {
        outgoing.finish()
        task.cancel()
        _ = await task.value
    }
}

/// An aiortc participant (Tests/Peers/aiortc_sfu_participant.py) whose signaling the test relays over a real
/// WebSocket to the sfuserver: stdout lines with "v" go to the server, everything the server sends goes to stdin.
final class AiortcParticipant: @unchecked Sendable {
    // @unchecked: `process` and the pipes are set up in init and only read afterwards; the line buffer is touched
    // only by the pipe's readability handler, which FileHandle runs serially; shared results are in locked boxes.
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    let errorFile: URL
    /// The report lines (JSON text), in order.
    let reports = NIOLockedValueBox<[String]>([])
    var buffered: [UInt8] = []
    var relay: Task<Void, Never>?

    init(url: String, token: String, toneHz: Double, amplitude: Int, expectedRemotes: Int) throws {
        let path = Fixtures.repositoryRoot.appendingPathComponent("Tests/Peers/aiortc_sfu_participant.py").path
        errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("sfu-peer-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", path, String(toneHz), String(amplitude), String(expectedRemotes)]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        output.fileHandleForReading.readabilityHandler = { [self] handle in
            let chunk = handle.availableData
            if chunk.isEmpty {
                handle.readabilityHandler = nil
                continuation.finish()
                return
            }
            buffered += chunk
            while let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                continuation.yield(String(decoding: buffered[..<newline], as: UTF8.self))
                buffered.removeSubrange(...newline)
            }
        }
        let reports = self.reports
        let stdin = input.fileHandleForWriting
        relay = Task {
            var logger = Logger(label: "test.aiortc-relay")
            logger.logLevel = .critical
            _ = try? await WebSocketClient.connect(url: "\(url)?token=\(token)", logger: logger) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await line in lines {
                            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                            else { continue }
                            if object["v"] != nil {
                                try await outbound.write(.text(line))
                            } else if object["report"] != nil {
                                reports.withLockedValue { $0.append(line) }
                            }
                        }
                    }
                    group.addTask {
                        for try await message in inbound.messages(maxSize: 1 << 20) {
                            guard case .text(let text) = message else { continue }
                            try? stdin.write(contentsOf: Data((text + "\n").utf8))
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
        }
    }

    var stderrTail: String {
        String(((try? String(contentsOf: errorFile, encoding: .utf8)) ?? "").suffix(3000))
    }

    /// The participant's first report (or the one with `tag`), waiting at most `seconds`.
    func waitForReport(_ seconds: Double, tag: String? = nil) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let lines = reports.withLockedValue { $0 }
            for line in lines {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let found = object["report"] as? [String: Any], found["tag"] as? String == tag
                else { continue }
                return found
            }
            if !process.isRunning { throw HarnessFailure("the aiortc participant exited; stderr:\n\(stderrTail)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessFailure("no report from the aiortc participant within \(seconds) s; stderr:\n\(stderrTail)")
    }

    /// Sends a control line to the participant's stdin (docs in aiortc_sfu_participant.py).
    func control(_ object: [String: Any]) throws {
        var data = try JSONSerialization.data(withJSONObject: object)
        data.append(UInt8(ascii: "\n"))
        try input.fileHandleForWriting.write(contentsOf: data)
    }

    func stop() async {
        try? input.fileHandleForWriting.close()
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        relay?.cancel()
        _ = await relay?.value
        try? FileManager.default.removeItem(at: errorFile)
    }
}

struct HarnessFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Headless Chromium participants (Tests/Peers/chromium_sfu_participants.py): their page JavaScript opens the
/// sfuserver's WebSocket itself. The script prints one `reports` line and stays in the meeting until stdin closes.
final class ChromiumParticipants: @unchecked Sendable {
    // @unchecked: `process` and pipes are set up in init and only read afterwards; the line buffer is touched only
    // by the readability handler (serial); the result is in a locked box.
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    let errorFile: URL
    let reportLine = NIOLockedValueBox<String?>(nil)
    var buffered: [UInt8] = []

    init(url: String, spec: [String: Any]) throws {
        let path = Fixtures.repositoryRoot.appendingPathComponent("Tests/Peers/chromium_sfu_participants.py").path
        errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-sfu-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        let specText = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", path, url, specText]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        let reportLine = self.reportLine
        output.fileHandleForReading.readabilityHandler = { [self] handle in
            let chunk = handle.availableData
            if chunk.isEmpty {
                handle.readabilityHandler = nil
                return
            }
            buffered += chunk
            while let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffered[..<newline], as: UTF8.self)
                buffered.removeSubrange(...newline)
                if line.hasPrefix("{\"reports\"") { reportLine.withLockedValue { $0 = line } }
            }
        }
    }

    var stderrTail: String {
        String(((try? String(contentsOf: errorFile, encoding: .utf8)) ?? "").suffix(3000))
    }

    /// Each browser's report by participant id, waiting at most `seconds`.
    func waitForReports(_ seconds: Double) async throws -> [String: [String: Any]] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let line = reportLine.withLockedValue({ $0 }),
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let reports = object["reports"] as? [String: [String: Any]]
            {
                return reports
            }
            if !process.isRunning { throw HarnessFailure("the Chromium participants exited; stderr:\n\(stderrTail)") }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw HarnessFailure("no report from the Chromium participants within \(seconds) s; stderr:\n\(stderrTail)")
    }

    func stop() async {
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            process.terminate()
            try? await Task.sleep(for: .seconds(2))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: errorFile)
    }
}
