import APIServer
import APIStore
import Foundation
import NIOHTTP1
import ServerKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Real `meeting sfuserver` processes registered with a real apiserver on loopback: one is killed with SIGKILL
/// (no goodbye, no drain) and the apiserver notices from the missing heartbeats, marks it dead and moves its
/// meeting to the other sfuserver.
@Suite("sfuserver processes and the apiserver's registry", .serialized)
struct SFUServerRegistrationTests {
    @Test("A killed sfuserver is marked dead within the heartbeat window and its meeting moves to the live one")
    func killedSFUServerIsReplaced() async throws {
        let (store, cleanup) = try await StoreBackends.sqlite()
        defer { cleanup() }
        let api = try await RunningAPIServer.start(store: store)
        let turn = RegisteredTestServer(api: api, kind: .turn, address: "127.0.0.1:3478")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sfureg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try SFUServerProcess.start(apiserverPort: api.port, output: directory.appendingPathComponent("a.log"))
        defer { first.kill() }
        var second: SFUServerProcess?
        defer { second?.kill() }
        do {
            try await eventually(timeout: .seconds(30), "the first sfuserver and the turnserver register") {
                let servers = try await store.servers(kind: .sfu)
                return turn.registered && servers.contains { $0.address == first.address && $0.state == .alive }
            }
            let ada = try await APIClient.signIn(api, email: "ada@example.com")
            let room = try await ada.call(.POST, "/v1/meetings/instant")
            #expect(room.string("sfu") == first.address, "\(room)")
            let id = try #require(room.string("id"))
            let other = try SFUServerProcess.start(apiserverPort: api.port, output: directory.appendingPathComponent("b.log"))
            second = other
            try await eventually(timeout: .seconds(30), "the second sfuserver registers") {
                try await store.servers(kind: .sfu).contains { $0.address == other.address && $0.state == .alive }
            }
            // SIGKILL: the process cannot say goodbye; only the missing heartbeats tell.
            first.kill(signal: SIGKILL)
            try await eventually(timeout: .seconds(15), "the meeting moves to the live sfuserver") {
                try await ada.call(.GET, "/v1/meetings/\(id)").string("sfu") == other.address
            }
            let dead = try await store.servers(kind: .sfu).first { $0.address == first.address }
            #expect(dead?.state == .dead, "\(String(describing: dead))")
            let joined = try await ada.call(.POST, "/v1/meetings/\(id)/join", [:])
            #expect(joined.string("signalingURL") == "ws://\(other.address)/rtc", "\(joined)")
        } catch {
            await turn.stop()
            await api.stop()
            throw error
        }
        await turn.stop()
        await api.stop()
    }
}

/// One `meeting sfuserver` process on loopback registering with the test apiserver; output in a file.
final class SFUServerProcess: Sendable {
    let process: Process
    let outputFile: URL
    /// Its `--domainaddress` (what it registers as).
    let address: String

    private init(process: Process, outputFile: URL, address: String) {
        self.process = process
        self.outputFile = outputFile
        self.address = address
    }

    var output: String { (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "" }

    static func start(apiserverPort: Int, output: URL) throws -> SFUServerProcess {
        var products = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while products.pathComponents.count > 1,
            !FileManager.default.isExecutableFile(atPath: products.appendingPathComponent("meeting").path)
        {
            products.deleteLastPathComponent()
        }
        let address = "127.0.0.1:\(try freeLoopbackTCPPort())"
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        let process = Process()
        process.executableURL = products.appendingPathComponent("meeting")
        process.arguments = ["sfuserver", "--secret", RunningAPIServer.secret, "--domainaddress", address,
            "--listen", "127.0.0.1", "--udp-port", "0", "--apiserver", "127.0.0.1:\(apiserverPort)"]
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try? handle.close()
        return SFUServerProcess(process: process, outputFile: output, address: address)
    }

    func kill(signal: Int32 = SIGTERM) {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// A TCP port free on 127.0.0.1 right now.
func freeLoopbackTCPPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let result = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
            guard bind(fd, pointer, length) == 0 else { return -1 }
            return getsockname(fd, pointer, &length)
        }
    }
    guard result == 0 else { throw HarnessError("no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}
