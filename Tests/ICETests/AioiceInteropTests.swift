import Foundation
import ICE
import NIOCore
import SDP
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Our agent against aioice (the ICE stack under aiortc), a peer we did not write, over real loopback UDP in real
/// time: credentials and candidates go through the SDP `candidate:` form, ICE connects and nominates, and one
/// datagram of application data goes each way over the selected pair. Skipped without python3 and aioice, except
/// under CI=true where the peer must be there.
@Suite(
    "ICE interop with aioice over loopback UDP",
    .enabled(
        if: AioicePeer.isAvailable || ProcessInfo.processInfo.environment["CI"] == "true",
        "python3 with aioice is not installed (pip install aiortc)"),
    .serialized
)
struct AioiceInteropTests {
    @Test("our full controlling agent ↔ aioice controlled")
    func fullAgentWithAioice() throws {
        try run(mode: .full, role: .controlling, peerRole: "controlled")
    }

    @Test("our full controlled agent ↔ aioice controlling: aioice nominates")
    func controlledFullAgentWithAioice() throws {
        try run(mode: .full, role: .controlled, peerRole: "controlling")
    }

    @Test("both controlling: the role conflict is resolved with aioice (RFC 8445 §7.3.1.1)")
    func roleConflictWithAioice() throws {
        try run(mode: .full, role: .controlling, peerRole: "controlling")
    }

    @Test("our lite agent ↔ aioice controlling: aioice's checks are answered and its nomination selects the pair")
    func liteAgentWithAioice() throws {
        try run(mode: .lite, role: .controlled, peerRole: "controlling")
    }

    func run(mode: ICEMode, role: ICERole, peerRole: String) throws {
        let socket = try LoopbackICESocket()
        var generator = SystemRandomNumberGenerator()
        var agent = ICEAgent(mode: mode, role: role, using: &generator)
        try agent.addLocalCandidate(.host(socket.localAddress), now: .now())
        agent.endOfLocalCandidates()

        let peer = try AioicePeer.start(role: peerRole)
        defer { peer.stop() }
        let offer = try peer.readJSON()
        let remoteUfrag = try #require(offer["ufrag"] as? String)
        let remotePassword = try #require(offer["pwd"] as? String)
        agent.setRemoteCredentials(try ICECredentials(usernameFragment: remoteUfrag, password: remotePassword))
        for line in try #require(offer["candidates"] as? [String]) {
            try agent.addRemoteCandidate(ICECandidate.parse("candidate:" + line))
        }
        agent.endOfRemoteCandidates()
        let ours = agent.localCandidates.map { $0.sdpCandidate().serialize() }
        try peer.writeJSON([
            "ufrag": agent.localCredentials.usernameFragment, "pwd": agent.localCredentials.password,
            "candidates": ours,
        ])

        var received: [String] = []
        var pinged = false
        let end = NIODeadline.now() + .seconds(20)
        while NIODeadline.now() < end && !received.contains("pong:ping") {
            while let output = agent.pollOutput() {
                if case .transmit(let bytes, _, let to) = output { socket.send(bytes, to: to) }
            }
            if let (datagram, source) = socket.receive() {
                let outcome = agent.handleReceive(datagram, from: source, to: socket.localAddress, now: .now())
                if outcome == .notICE { received.append(String(decoding: datagram.readableBytesView, as: UTF8.self)) }
            }
            if let deadline = agent.nextDeadline(), deadline <= .now() { agent.handleTimeout(now: .now()) }
            if !pinged, let pair = agent.selectedPair {
                socket.send(ByteBuffer(string: "ping"), to: pair.remote.address)
                pinged = true
            }
        }
        let connected = try peer.readJSON()
        let echoed = try peer.readJSON()
        #expect(connected["connected"] as? Bool == true)
        #expect(echoed["received"] as? String == "ping")
        #expect(received.contains("pong:ping"))
        let pair = try #require(agent.selectedPair)
        #expect(pair.isNominated)
        #expect(connected["local"] as? String == "\(pair.remote.address.ipAddress ?? ""):\(pair.remote.address.port ?? 0)")
        #expect(connected["remote"] as? String == "\(pair.local.address.ipAddress ?? ""):\(pair.local.address.port ?? 0)")
        #expect(agent.connectionState == (mode == .full ? .completed : .connected))
        // Exactly one side ends up controlling (after a role conflict, the one with the larger tie-breaker).
        let peerControlling = try #require(connected["controlling"] as? Bool)
        #expect(peerControlling != (agent.role == .controlling))
    }
}

/// The Python peer (Tests/Peers/aioice_ice_peer.py) as a child process speaking line-based JSON.
final class AioicePeer {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static let script = Fixtures.repositoryRoot.appendingPathComponent("Tests/Peers/aioice_ice_peer.py")

    static let isAvailable: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import aioice"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    let process: Process
    let input: Pipe
    let output: Pipe
    var buffered: [UInt8] = []

    init(process: Process, input: Pipe, output: Pipe) {
        self.process = process
        self.input = input
        self.output = output
    }

    static func start(role: String) throws -> AioicePeer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, role]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        return AioicePeer(process: process, input: input, output: output)
    }

    /// The next line the peer printed, as a JSON object (blocks; the peer exits on its own timeouts).
    func readJSON() throws -> [String: Any] {
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(buffered[..<newline])
                buffered.removeSubrange(...newline)
                guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any] else {
                    throw Failure(description: "not a JSON object: \(String(decoding: line, as: UTF8.self))")
                }
                return object
            }
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw Failure(description: "aioice peer exited early") }
            buffered += chunk
        }
    }

    func writeJSON(_ object: [String: Any]) throws {
        var data = try JSONSerialization.data(withJSONObject: object)
        data.append(UInt8(ascii: "\n"))
        input.fileHandleForWriting.write(data)
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

/// A blocking IPv4 UDP socket on 127.0.0.1 with a 10 ms receive timeout, to drive an agent in real time.
final class LoopbackICESocket {
    struct Failure: Error { let what: String }

    let descriptor: Int32
    let localAddress: SocketAddress

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(what: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            close(descriptor)
            throw Failure(what: "bind")
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 10_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.descriptor = descriptor
        localAddress = try SocketAddress(ipAddress: "127.0.0.1", port: Int(UInt16(bigEndian: local.sin_port)))
    }

    deinit { close(descriptor) }

    func send(_ datagram: ByteBuffer, to destination: SocketAddress) {
        guard case .v4(let v4) = destination else { return }
        var address = v4.address
        let bytes = Array(datagram.readableBytesView)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(descriptor, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    func receive() -> (ByteBuffer, SocketAddress)? {
        var buffer = [UInt8](repeating: 0, count: 2048)
        var source = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let count = withUnsafeMutablePointer(to: &source) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                recvfrom(descriptor, &buffer, buffer.count, 0, $0, &length)
            }
        }
        guard count > 0 else { return nil }
        return (ByteBuffer(bytes: buffer[0..<count]), SocketAddress(source, host: ""))
    }
}
