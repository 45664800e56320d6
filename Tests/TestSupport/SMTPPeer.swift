import Foundation

/// A running `Tests/Peers/smtp_peer.py` (aiosmtpd) with a throw-away CA and server certificate made by the
/// openssl CLI, all in one temporary directory that ``withPeer(_:)`` removes, killing the server, even when the
/// test fails. Shared by the SMTP client's tests and the apiserver's mail tests; each adds the configuration of
/// its SMTP client for a listener (`SMTPPeer+Configuration.swift`), so this target needs no server module.
public struct SMTPPeer: Sendable {
    public static let user = "alice"
    public static let password = "correct horse"
    public static let shouldRun = RealPeer.available(RealPeer.pythonModule("aiosmtpd") && RealPeer.pythonModule("icalendar")
        && RealPeer.executable("openssl") != nil)

    public let directory: URL
    public let ports: [String: Int]

    public var caFile: String { directory.appendingPathComponent("ca.pem").path }

    public func port(_ listener: String) throws -> Int {
        guard let port = ports[listener] else { throw PeerError("no listener \(listener) in \(ports)") }
        return port
    }

    public static func withPeer<T>(_ body: (SMTPPeer) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("smtp-peer-\(UUID().uuidString)")
        let mail = directory.appendingPathComponent("mail")
        try FileManager.default.createDirectory(at: mail, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try makeCertificates(in: directory)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try tool("python3"))
        process.arguments = [
            Fixtures.repositoryRoot.appendingPathComponent("Tests/Peers/smtp_peer.py").path,
            "--dir", mail.path,
            "--cert", directory.appendingPathComponent("server.pem").path,
            "--key", directory.appendingPathComponent("server.key").path,
            "--user", user, "--password", password,
        ]
        let stdin = Pipe()
        process.standardInput = stdin
        let log = directory.appendingPathComponent("peer.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
        defer {
            try? stdin.fileHandleForWriting.close()
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            try? logHandle.close()
        }
        let portsFile = mail.appendingPathComponent("ports.json")
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: portsFile.path) {
            guard process.isRunning, Date() < deadline else {
                let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                throw PeerError("smtp_peer.py did not start: \(output)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: portsFile))
        guard let ports = object as? [String: Int] else { throw PeerError("bad ports.json") }
        return try await body(SMTPPeer(directory: directory, ports: ports))
    }

    /// The messages received so far, numbered from 1, as (envelope summary, raw octets).
    public func received() throws -> [(envelope: [String: Any], raw: [UInt8])] {
        let mail = directory.appendingPathComponent("mail")
        var result: [(envelope: [String: Any], raw: [UInt8])] = []
        var number = 1
        while FileManager.default.fileExists(atPath: mail.appendingPathComponent("\(number).json").path) {
            let json = try JSONSerialization.jsonObject(
                with: Data(contentsOf: mail.appendingPathComponent("\(number).json")))
            let raw = try Data(contentsOf: mail.appendingPathComponent("\(number).eml"))
            result.append((json as? [String: Any] ?? [:], Array(raw)))
            number += 1
        }
        return result
    }

    /// The one message received (the server writes it before answering 250, so it is there once delivery returns).
    public func onlyMessage() throws -> (envelope: [String: Any], raw: [UInt8]) {
        let all = try received()
        guard all.count == 1, let first = all.first else { throw PeerError("expected 1 message, got \(all.count)") }
        return first
    }

    /// What Python's `email` and `icalendar` packages make of a message (`Tests/Peers/mail_inspect.py`).
    public func inspect(_ raw: [UInt8]) throws -> [String: Any] {
        let file = directory.appendingPathComponent("inspect-\(UUID().uuidString).eml")
        try Data(raw).write(to: file)
        let output = try Self.run(try Self.tool("python3"),
            [Fixtures.repositoryRoot.appendingPathComponent("Tests/Peers/mail_inspect.py").path, file.path])
        guard let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] else {
            throw PeerError("mail_inspect.py printed \(output)")
        }
        return object
    }

    public static func tool(_ name: String) throws -> String {
        guard let path = RealPeer.executable(name) else { throw PeerError("\(name) is not installed") }
        return path
    }

    /// A self-signed CA and a server certificate for 127.0.0.1/localhost signed by it.
    public static func makeCertificates(in directory: URL) throws {
        let openssl = try tool("openssl")
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: path("server.ext"), atomically: true, encoding: .utf8)
        _ = try run(openssl, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "2", "-subj", "/CN=Meeting SMTP test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        _ = try run(openssl, ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=localhost"])
        _ = try run(openssl, ["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey",
            path("ca.key"), "-CAcreateserial", "-out", path("server.pem"), "-days", "2", "-extfile",
            path("server.ext")])
    }

    /// Runs a short command to completion (bounded: killed after `seconds`), returning stdout; throws on failure.
    public static func run(_ executable: String, _ arguments: [String], seconds: Double = 60) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let errors = output.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errors) }
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }
        let errorHandle = try FileHandle(forWritingTo: errors)
        defer { try? errorHandle.close() }
        process.standardOutput = handle
        process.standardError = errorHandle
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            let stderr = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            throw PeerError("\(executable) \(arguments.joined(separator: " ")) failed: \(text)\(stderr)")
        }
        return text
    }
}

public struct PeerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
