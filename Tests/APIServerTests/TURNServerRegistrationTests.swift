import APIServer
import APIStore
import Foundation
import ServerKit
import Testing

/// The `meeting turnserver` binary with `--apiserver` against a real apiserver on loopback: with the deployment's
/// secret it registers as kind turn (announcing `--ip:port`) and keeps heartbeating; with another secret it is
/// refused and never appears in the registry.
@Suite("turnserver --apiserver registers with a real apiserver", .serialized)
struct TURNServerRegistrationTests {
    @Test("Registered and heartbeating with the right secret; refused with a wrong one")
    func registerAndRefuse() async throws {
        let (store, cleanup) = try await StoreBackends.sqlite()
        defer { cleanup() }
        let api = try await RunningAPIServer.start(store: store)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("turnreg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = try TURNServerProcess.start(secret: RunningAPIServer.secret, announceIP: "127.0.0.1",
            apiserverPort: api.port, output: directory.appendingPathComponent("good.log"))
        defer { good.kill() }
        let bad = try TURNServerProcess.start(secret: "another-deployment-secret-000000", announceIP: "127.0.0.2",
            apiserverPort: api.port, output: directory.appendingPathComponent("bad.log"))
        defer { bad.kill() }

        let port = try await good.boundPort()
        let first = try await eventuallyValue("the turnserver registers") {
            try await store.servers(kind: .turn).first { $0.address == "127.0.0.1:\(port)" }
        }
        #expect(first.kind == .turn && first.state == .alive && first.load == 0, "\(first)")
        #expect(first.capacity == 1001, "\(first)")
        // The store may see the registration a moment before the process prints it.
        _ = try await eventuallyValue("the turnserver says it registered") {
            good.output.contains("registered with the apiserver 127.0.0.1:\(api.port) as \(first.id)") ? true : nil
        }
        // Heartbeats keep coming (the test apiserver asks for one every 200 ms).
        _ = try await eventuallyValue("a later heartbeat") {
            try await store.servers(kind: .turn).first {
                $0.id == first.id && $0.lastHeartbeatAt > first.lastHeartbeatAt.addingTimeInterval(0.3)
            }
        }
        // The wrong secret is refused, repeatedly, and never registered.
        _ = try await eventuallyValue("the wrong secret is refused twice") {
            bad.output.components(separatedBy: "apiserver 127.0.0.1:\(api.port):").count >= 3 ? true : nil
        }
        #expect(try await store.servers(kind: .turn).allSatisfy { !$0.address.hasPrefix("127.0.0.2") })
        #expect(!bad.output.contains("registered with the apiserver"), "\(bad.output)")
        good.kill()
        bad.kill()
        await api.stop()
    }

    /// Polls `probe` every 50 ms for at most 30 s.
    func eventuallyValue<T>(_ what: String, _ probe: () async throws -> T?) async throws -> T {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let value = try await probe() { return value }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError("timed out waiting for \(what)")
    }
}

/// One `meeting turnserver` process on loopback with its output in a file; killed by ``kill()``.
final class TURNServerProcess: Sendable {
    let process: Process
    let outputFile: URL

    private init(process: Process, outputFile: URL) {
        self.process = process
        self.outputFile = outputFile
    }

    var output: String { (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "" }

    static func start(secret: String, announceIP: String, apiserverPort: Int, output: URL) throws
        -> TURNServerProcess
    {
        var products = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while products.pathComponents.count > 1,
            !FileManager.default.isExecutableFile(atPath: products.appendingPathComponent("meeting").path)
        {
            products.deleteLastPathComponent()
        }
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        let process = Process()
        process.executableURL = products.appendingPathComponent("meeting")
        process.arguments = ["turnserver", "--secret", secret, "--ip", announceIP, "--port", "0",
            "--listen", "127.0.0.1", "--relay-ports", "61000-62000", "--apiserver", "127.0.0.1:\(apiserverPort)"]
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try? handle.close()
        return TURNServerProcess(process: process, outputFile: output)
    }

    /// The STUN/TURN port from the startup line.
    func boundPort() async throws -> Int {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let text = output
            if let range = text.range(of: "UDP and TCP port ") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits) { return port }
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError("the turnserver did not start:\n\(output)")
    }

    func kill() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}
