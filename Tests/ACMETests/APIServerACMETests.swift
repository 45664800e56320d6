import ACME
import Foundation
import Testing

/// The `meeting apiserver` binary without `--cert/--certkey` against Pebble: it obtains a certificate for
/// `meeting.test` by HTTP-01 (Pebble resolves every name to 127.0.0.1 through pebble-challtestsrv), serves it over
/// TLS (openssl verifies it against Pebble's root and the host name), and after a restart serves the cached
/// certificate without a new order reaching Pebble.
@Suite("apiserver ACME against Pebble", .serialized, .enabled(if: PebblePeer.shouldRunWithDNS,
    "needs pebble, pebble-challtestsrv and openssl (apt-get install pebble openssl); under CI=true this fails instead"))
struct APIServerACMETests {
    static let secret = "0123456789abcdef0123456789abcdef"

    @Test("Obtained and served on first start; a restart reuses the cache with no new order")
    func obtainServeRestart() async throws {
        try await PebblePeer.withPebble(resolvingEverythingToLoopback: true) { pebble in
            let transport = try AsyncHTTPClientTransport(trustedCAFile: pebble.caFile)
            let root: String
            do { root = try await pebble.rootPEM(transport: transport) } catch {
                await transport.shutdown()  // never drop an HTTPClient unshut: debug builds trap
                throw error
            }
            await transport.shutdown()
            let rootFile = pebble.directory.appendingPathComponent("pebble-root.pem")
            try root.write(to: rootFile, atomically: true, encoding: .utf8)
            let data = pebble.directory.appendingPathComponent("apiserver-data")
            let port = try FreePorts.find(count: 1)[0]
            let arguments = ["apiserver", "--secret", Self.secret, "--domainaddress", "meeting.test:\(port)",
                "--listen", "127.0.0.1:\(port)", "--data", data.path, "--acme-directory", pebble.directoryURL,
                "--acme-ca-file", pebble.caFile, "--acme-http-port", "\(pebble.httpPort)",
                "--acme-email", "ops@meeting.test"]

            let first = try await RunningAPIServer.start(arguments, port: port, in: pebble.directory, name: "first")
            let servedFirst: String
            do {
                servedFirst = try Self.verifiedLeaf(port: port, rootFile: rootFile)
            } catch {
                throw TestError("\(error)\n--- apiserver ---\n\(first.output)")
            }
            let ordersAfterFirst = Self.orders(in: pebble.log)
            #expect(ordersAfterFirst == 1, "\(pebble.log)")
            #expect(first.output.contains("obtained a certificate for meeting.test"), "\(first.output)")
            let chain = try String(contentsOf: data.appendingPathComponent("acme/meeting.test/chain.pem"),
                encoding: .utf8)
            #expect(Self.firstPEM(chain) == servedFirst, "the served certificate is not the cached one")
            let status = try await first.stop()
            #expect(status == 0, "\(first.output)")

            let second = try await RunningAPIServer.start(arguments, port: port, in: pebble.directory,
                name: "second")
            let servedSecond = try Self.verifiedLeaf(port: port, rootFile: rootFile)
            #expect(servedSecond == servedFirst)
            #expect(Self.orders(in: pebble.log) == ordersAfterFirst, "a restart ordered again:\n\(pebble.log)")
            #expect(second.output.contains("serving the cached certificate for meeting.test"), "\(second.output)")
            _ = try await second.stop()
        }
    }

    @Test("When the CA cannot validate the domain, the apiserver exits 1 saying what to check")
    func validationFails() async throws {
        try await PebblePeer.withPebble(resolvingEverythingToLoopback: true) { pebble in
            let ports = try FreePorts.find(count: 2)
            // The responder listens on a port Pebble does not validate against.
            let arguments = ["apiserver", "--secret", Self.secret, "--domainaddress", "meeting.test:\(ports[0])",
                "--listen", "127.0.0.1:\(ports[0])", "--data", pebble.directory.appendingPathComponent("d").path,
                "--acme-directory", pebble.directoryURL, "--acme-ca-file", pebble.caFile,
                "--acme-http-port", "\(ports[1])"]
            let result = try TestCertificates.run(RunningAPIServer.meetingBinary.path, arguments, seconds: 90,
                allowFailure: true)
            #expect(result.status == 1, "\(result.output)")
            #expect(result.output.contains("ACME: no certificate for meeting.test"), "\(result.output)")
            #expect(result.output.contains("port 80"), "\(result.output)")
            #expect(!FileManager.default.fileExists(
                atPath: pebble.directory.appendingPathComponent("d/acme/meeting.test/chain.pem").path))
        }
    }

    /// Connects with openssl as a client that trusts only Pebble's root and checks the name `meeting.test`;
    /// returns the leaf certificate the server presented (PEM).
    static func verifiedLeaf(port: Int, rootFile: URL) throws -> String {
        let result = try TestCertificates.run(try TestCertificates.tool("openssl"), ["s_client", "-connect",
            "127.0.0.1:\(port)", "-servername", "meeting.test", "-verify_hostname", "meeting.test",
            "-CAfile", rootFile.path, "-verify_return_error"], seconds: 30, allowFailure: true)
        guard result.status == 0, result.output.contains("Verify return code: 0 (ok)"),
            let leaf = firstPEM(result.output)
        else { throw TestError("TLS verification against Pebble's root failed:\n\(result.output)") }
        return leaf
    }

    static func firstPEM(_ text: String) -> String? {
        guard let start = text.range(of: "-----BEGIN CERTIFICATE-----"),
            let end = text.range(of: "-----END CERTIFICATE-----", range: start.upperBound..<text.endIndex)
        else { return nil }
        return String(text[start.lowerBound..<end.upperBound])
    }

    /// New-order requests Pebble handled (RFC 8555 §7.4; Pebble's path is /order-plz).
    static func orders(in log: String) -> Int {
        log.split(separator: "\n").filter { $0.contains("POST /order-plz") }.count
    }
}

/// One `meeting apiserver` process with its output in a file; ``stop()`` sends SIGTERM and waits, and the
/// process is killed when the value is dropped without stopping.
final class RunningAPIServer: Sendable {
    let process: Process
    let outputFile: URL

    /// The `meeting` binary next to the test runner in the build products directory.
    static let meetingBinary: URL = {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.pathComponents.count > 1 {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("meeting")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return URL(fileURLWithPath: "meeting")
    }()

    var output: String { (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "" }

    private init(process: Process, outputFile: URL) {
        self.process = process
        self.outputFile = outputFile
    }

    /// Starts the apiserver and waits (at most 90 s) until it accepts connections on `port`.
    static func start(_ arguments: [String], port: Int, in directory: URL, name: String) async throws
        -> RunningAPIServer
    {
        let outputFile = directory.appendingPathComponent("apiserver-\(name).log")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        let handle = try FileHandle(forWritingTo: outputFile)
        let process = Process()
        process.executableURL = meetingBinary
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try? handle.close()
        let server = RunningAPIServer(process: process, outputFile: outputFile)
        let deadline = Date().addingTimeInterval(90)
        while !FreePorts.isListening(port: port) {
            guard process.isRunning, Date() < deadline else {
                _ = try? await server.stop()
                throw TestError("the apiserver did not start listening:\n\(server.output)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return server
    }

    /// SIGTERM, then waits up to 30 s (SIGKILL after that); returns the exit status.
    func stop() async throws -> Int32 {
        if process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
