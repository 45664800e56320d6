// sfuserver load benchmark: N participants in one meeting of a real `meeting sfuserver` process on loopback.
//
// Every participant joins over the signaling WebSocket with a join token, offers a publish connection and a
// subscribe connection with slots (docs/signaling.md), exactly as a browser does. All publish audio (50 packets/s,
// a talk/silence pattern: a few talk at a time, the others send silence with RFC 6464 level 127), K also publish
// VP8-shaped video (30 frames/s, 2 packets per frame, a keyframe every second). Payloads carry the send time, so
// the receiver measures the time through the SFU (same host, same clock; it includes both ends' SRTP and the
// load generator's own scheduling, so it is an upper bound). Loss is counted from each subscribe slot's sequence
// numbers (the SFU keeps them continuous across source switches, so a gap is a lost packet).
// The sfuserver's CPU seconds and RSS come from /proc/<pid>; forwarded packets from its /metrics.
//
// bench/sfu-load.sh builds both in release mode and runs it:
//   swift run --package-path Benchmarks -c release SFULoadBenchmark --sfu-binary .build/release/meeting \
//     --peers 200 --video-publishers 10 --seconds 20
// Loopback only; the run is bounded in count and time.
import DTLS
import Foundation
import Logging
import NIOCore
import NIOPosix
import RTP
import SDP
import ServerKit
import WSClient
import WebRTC
import WebRTCDriver

#if canImport(Glibc)
import Glibc
#endif

// MARK: Arguments

struct Options {
    var sfuBinary = ".build/release/meeting"
    var peers = 200
    var videoPublishers = 10
    var seconds = 20.0
    var joinsPerSecond = 50.0
    var talkers = 3

    init(_ arguments: [String]) throws {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { throw BenchmarkError("\(flag) needs a value") }
            switch flag {
            case "--sfu-binary": sfuBinary = value
            case "--peers": peers = try Self.number(value, flag, 1...1000)
            case "--video-publishers": videoPublishers = try Self.number(value, flag, 0...100)
            case "--seconds": seconds = Double(try Self.number(value, flag, 2...600))
            case "--ramp": joinsPerSecond = Double(try Self.number(value, flag, 1...1000))
            case "--talkers": talkers = try Self.number(value, flag, 0...100)
            default: throw BenchmarkError("unknown flag \(flag); flags: --sfu-binary --peers --video-publishers --seconds --ramp --talkers")
            }
        }
        videoPublishers = min(videoPublishers, peers)
    }

    static func number(_ text: String, _ flag: String, _ range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(text), range.contains(value) else { throw BenchmarkError("\(flag) is a number in \(range)") }
        return value
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: The sfuserver process

struct SFUProcess {
    let process: Process
    let signalingPort: Int

    static func start(binary: String, secret: String) throws -> SFUProcess {
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["sfuserver", "--secret", secret, "--domainaddress", "127.0.0.1:\(port)",
            "--listen", "127.0.0.1", "--public-ip", "127.0.0.1", "--udp-port", "0", "--apiserver", "127.0.0.1:9",
            "--max-participants", "2000"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return SFUProcess(process: process, signalingPort: port)
    }

    /// utime + stime of the process, in seconds (/proc/<pid>/stat fields 14 and 15).
    var cpuSeconds: Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident set size in bytes (/proc/<pid>/status VmRSS).
    var residentBytes: Int {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes * 1024
    }

    func stop() {
        if process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

func freePort() throws -> Int {
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
    guard result == 0 else { throw BenchmarkError("no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

// MARK: Participants (all on one event loop of this process)

/// What one subscribe slot received.
struct SlotCounter {
    var received = 0
    var highestSequence: Int64 = -1
    var lowestSequence: Int64 = -1
    var unwrapper = SequenceNumberUnwrapper()
}

final class Participant {
    let index: Int
    let publishesVideo: Bool
    var publish: HostedPeerConnection?
    var subscribe: HostedPeerConnection?
    var publishTransport: UDPMediaTransport?
    var subscribeTransport: UDPMediaTransport?
    var audioSSRC: UInt32 = 0
    var videoSSRC: UInt32 = 0
    var audioPayloadType: UInt8 = 111
    var videoPayloadType: UInt8 = 96
    var audioLevelID: UInt8?
    var audioSequence: UInt16 = 0
    var videoSequence: UInt16 = 0
    var audioTimestamp: UInt32 = 0
    var videoTimestamp: UInt32 = 0
    var pictureID: UInt16 = 0
    var slots: [String: SlotCounter] = [:]
    var joinedAt: Double?
    var connectedAt: Double?

    init(index: Int, publishesVideo: Bool) {
        self.index = index
        self.publishesVideo = publishesVideo
    }

    var isConnected: Bool { (publish?.core.isMediaReady ?? false) && (subscribe?.core.isMediaReady ?? false) }
}

/// Every participant and the counters, confined to the load generator's event loop.
final class LoadState {
    var participants: [Participant] = []
    var latencies: [UInt64] = []
    var measuring = false
    var sent = 0
    var sendFailures = 0
    let started = NIODeadline.now()
    let allocator = ByteBufferAllocator()
    var tick = 0
    var talkers = 3

    func now() -> Double { Double((NIODeadline.now() - started).nanoseconds) / 1e9 }

    /// Every 20 ms: one audio packet per publisher, and video for the video publishers on frame ticks.
    func sendTick() {
        tick += 1
        let nowNanos = NIODeadline.now().uptimeNanoseconds
        let talkingStart = (tick / 150) * talkers  // the talkers change every 3 s
        for participant in participants {
            guard let publish = participant.publish, publish.core.isMediaReady else { continue }
            let talking = talkers > 0 && ((participant.index - talkingStart) % participants.count + participants.count)
                % participants.count < talkers
            send(audio: participant, talking: talking, stamp: nowNanos, through: publish)
            if participant.publishesVideo && tick % 2 == 0 {
                // 25 frames/s of two packets; a keyframe every second.
                participant.pictureID = (participant.pictureID &+ 1) & 0x7FFF
                participant.videoTimestamp &+= 3600
                let keyframe = tick % 50 == 0
                for part in 0..<2 {
                    send(video: participant, first: part == 0, last: part == 1, keyframe: keyframe, stamp: nowNanos,
                        through: publish)
                }
            }
            participant.publishTransport?.service(publish)
        }
    }

    func send(audio participant: Participant, talking: Bool, stamp: UInt64, through publish: HostedPeerConnection) {
        participant.audioSequence &+= 1
        participant.audioTimestamp &+= 960
        var buffer = allocator.buffer(capacity: 128)
        let hasLevel = participant.audioLevelID != nil
        buffer.writeInteger(UInt8(hasLevel ? 0x90 : 0x80))
        buffer.writeInteger(participant.audioPayloadType)
        buffer.writeInteger(participant.audioSequence)
        buffer.writeInteger(participant.audioTimestamp)
        buffer.writeInteger(participant.audioSSRC)
        if let id = participant.audioLevelID {
            buffer.writeInteger(UInt16(0xBEDE))
            buffer.writeInteger(UInt16(1))
            buffer.writeInteger(UInt8(id << 4))
            buffer.writeInteger(UInt8(talking ? 20 : 127))
            buffer.writeInteger(UInt16(0))
        }
        buffer.writeInteger(stamp)
        buffer.writeRepeatingByte(0x55, count: talking ? 72 : 12)  // Opus speech ~80 bytes, silence ~20
        transmit(buffer, through: publish)
    }

    func send(video participant: Participant, first: Bool, last: Bool, keyframe: Bool, stamp: UInt64,
        through publish: HostedPeerConnection)
    {
        participant.videoSequence &+= 1
        var buffer = allocator.buffer(capacity: 1200)
        buffer.writeInteger(UInt8(0x80))
        buffer.writeInteger(UInt8((last ? 0x80 : 0) | participant.videoPayloadType))
        buffer.writeInteger(participant.videoSequence)
        buffer.writeInteger(participant.videoTimestamp)
        buffer.writeInteger(participant.videoSSRC)
        // VP8 payload descriptor (RFC 7741 §4.2): X, S on the first packet, I with a 15-bit picture id.
        buffer.writeInteger(UInt8(0x80 | (first ? 0x10 : 0)))
        buffer.writeInteger(UInt8(0x80))
        buffer.writeInteger(UInt16(0x8000) | participant.pictureID)
        // VP8 payload header: P=0 marks a keyframe (RFC 7741 §4.3).
        buffer.writeInteger(UInt8(keyframe ? 0x10 : 0x11))
        buffer.writeInteger(stamp)
        buffer.writeRepeatingByte(0xAA, count: keyframe ? 1000 : 600)
        transmit(buffer, through: publish)
    }

    func transmit(_ buffer: ByteBuffer, through publish: HostedPeerConnection) {
        do {
            try publish.core.sendRTP(buffer, now: .now())
            sent += 1
        } catch {
            sendFailures += 1
        }
    }

    /// A packet on a subscribe slot: loss from its sequence numbers, latency from its stamp.
    func received(_ packet: RTPPacket, mid: String?, by participant: Participant) {
        guard measuring, let mid else { return }
        var counter = participant.slots[mid] ?? SlotCounter()
        let sequence = counter.unwrapper.unwrap(packet.header.sequenceNumber)
        counter.received += 1
        if counter.lowestSequence < 0 || sequence < counter.lowestSequence { counter.lowestSequence = sequence }
        counter.highestSequence = max(counter.highestSequence, sequence)
        participant.slots[mid] = counter
        // The stamp follows the 12-byte header, any extension block, and (video) the 5-byte VP8 prefix.
        let payload = packet.payloadRange
        let offset = payload.lowerBound + (packet.header.payloadType == participant.videoPayloadType ? 5 : 0)
        if let stamp = packet.bytes.getInteger(at: offset, as: UInt64.self), latencies.count < 5_000_000 {
            let now = NIODeadline.now().uptimeNanoseconds
            if now >= stamp, now - stamp < 10_000_000_000 { latencies.append(now - stamp) }
        }
    }
}

// MARK: Joining

func join(_ participant: NIOLoopBound<Participant>, index: Int, publishesVideo: Bool, state: NIOLoopBound<LoadState>,
    group: any EventLoopGroup, url: String, token: String, certificate: DTLSCertificate) async throws
{
    let publishSocket = try await MediaSocket.bind(host: "127.0.0.1", group: group)
    let subscribeSocket = try await MediaSocket.bind(host: "127.0.0.1", group: group)
    let sections = [OfferedSection(kind: .audio, direction: .sendonly)]
        + (publishesVideo ? [OfferedSection(kind: .video, direction: .sendonly)] : [])
    let publishOffer = try await publishSocket.withTransport { transport -> String in
        var generator = SystemRandomNumberGenerator()
        let core = PeerConnection(certificate: certificate, using: &generator)
        let hosted = transport.host(core) { _ in }
        participant.value.publish = hosted
        participant.value.publishTransport = transport
        let offer = try core.createOffer(sections: sections).serialize()
        transport.service(hosted)
        return offer
    }
    let (answers, continuation) = AsyncStream.makeStream(of: [String: String].self)
    var logger = Logger(label: "bench")
    logger.logLevel = .critical
    let task = Task {
        _ = try? await WebSocketClient.connect(url: "\(url)?token=\(token)", logger: logger) { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message,
                    let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                    let type = object["type"] as? String
                else { continue }
                switch type {
                case "joined":
                    guard let counts = object["slots"] as? [String: Int] else { continue }
                    let audio = counts["audio"] ?? 0, video = counts["video"] ?? 0
                    let slotSections = Array(repeating: OfferedSection(kind: .audio, direction: .recvonly), count: audio)
                        + Array(repeating: OfferedSection(kind: .video, direction: .recvonly), count: video)
                    let subscribeOffer = try await subscribeSocket.withTransport { transport -> String in
                        var generator = SystemRandomNumberGenerator()
                        let core = PeerConnection(certificate: certificate, using: &generator)
                        let hosted = transport.host(core) { event in
                            if case .rtpReceived(let packet, let mid) = event {
                                state.value.received(packet, mid: mid, by: participant.value)
                            }
                        }
                        participant.value.subscribe = hosted
                        participant.value.subscribeTransport = transport
                        let offer = try core.createOffer(sections: slotSections).serialize()
                        transport.service(hosted)
                        return offer
                    }
                    var slots: [String: String] = [:]
                    for index in 0..<(audio + video) { slots[String(index)] = index < audio ? "audio" : "video" }
                    try await outbound.write(.text(jsonText(["v": 1, "type": "publishOffer", "sdp": publishOffer,
                        "tracks": publishesVideo ? ["0": "microphone", "1": "camera"] : ["0": "microphone"]])))
                    try await outbound.write(.text(jsonText(["v": 1, "type": "subscribeOffer", "sdp": subscribeOffer,
                        "slots": slots])))
                case "publishAnswer", "subscribeAnswer":
                    if let sdp = object["sdp"] as? String { continuation.yield([type: sdp]) }
                case "error":
                    FileHandle.standardError.write(Data("participant \(index): \(text)\n".utf8))
                default:
                    break
                }
            }
        }
    }
    // A participant whose answers do not come within 30 s gives up (the run reports how many connected).
    let timeout = Task {
        try? await Task.sleep(for: .seconds(30))
        continuation.finish()
    }
    defer { timeout.cancel() }
    _ = task
    var applied = 0
    for await answer in answers {
        for (type, sdp) in answer {
            let description = try SessionDescription.parse(sdp)
            let socket = type == "publishAnswer" ? publishSocket : subscribeSocket
            try await socket.withTransport { transport in
                let participant = participant.value
                guard let hosted = type == "publishAnswer" ? participant.publish : participant.subscribe else { return }
                try hosted.core.setRemoteDescription(description, now: .now())
                transport.service(hosted)
                if type == "publishAnswer" {
                    for media in hosted.core.negotiatedMedia {
                        if media.kind == .audio {
                            participant.audioSSRC = media.localSSRC
                            participant.audioPayloadType = media.payloadType(forCodec: "opus") ?? 111
                            participant.audioLevelID = media.extensionID(forURI: MediaCapabilities.audioLevelExtensionURI)
                        } else {
                            participant.videoSSRC = media.localSSRC
                            participant.videoPayloadType = media.payloadType(forCodec: "VP8") ?? 96
                        }
                    }
                }
            }
            applied += 1
        }
        if applied == 2 { break }
    }
}

func jsonText(_ object: [String: Any]) -> String {
    String(decoding: (try? JSONSerialization.data(withJSONObject: object)) ?? Data(), as: UTF8.self)
}

func percentile(_ sorted: [UInt64], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]) / 1e6
}

// MARK: Main

/// Writes a line to standard output at once (a pipe or file sees it even if the run is cut short).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

let options = try Options(CommandLine.arguments)
let secret = "benchmark-secret-0123456789abcdef"
let sfu = try SFUProcess.start(binary: options.sfuBinary, secret: secret)
defer { sfu.stop() }
let url = "ws://127.0.0.1:\(sfu.signalingPort)/rtc"
let tokens = TokenAuthority(secret: secret)
// Wait until the signaling port accepts connections.
let ready = Date().addingTimeInterval(20)
while Date() < ready {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(sfu.signalingPort).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    close(fd)
    if connected == 0 { break }
    usleep(50_000)
}
let rssBefore = sfu.residentBytes
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let loop = group.next()
let certificate = try DTLSCertificate.generate()
let state = try await loop.submit { NIOLoopBound(LoadState(), eventLoop: loop) }.get()
try await loop.submit { state.value.talkers = options.talkers }.get()
say("sfuserver load: \(options.peers) participants (all publish audio, \(options.videoPublishers) publish VP8), "
    + "\(Int(options.seconds)) s measured, sfuserver pid \(sfu.process.processIdentifier)")

let joinStart = Date()
try await withThrowingTaskGroup(of: Void.self) { tasks in
    for index in 0..<options.peers {
        let publishesVideo = index < options.videoPublishers
        let participant = try await loop.submit {
            let participant = Participant(index: index, publishesVideo: publishesVideo)
            state.value.participants.append(participant)
            return NIOLoopBound(participant, eventLoop: loop)
        }.get()
        let now = Int64(Date().timeIntervalSince1970)
        let claims = JoinClaims(meetingID: "load", participantID: "p\(index)", displayName: "Peer \(index)",
            role: .participant, grants: .defaults(for: .participant), sfu: "127.0.0.1:\(sfu.signalingPort)")
        let token = try tokens.join.sign(claims, issuedAt: now, expiresAt: now + 3600)
        if index % 50 == 49 { say("  \(index + 1) joining…") }
        tasks.addTask {
            try await join(participant, index: index, publishesVideo: publishesVideo, state: state, group: group, url: url,
                token: token, certificate: certificate)
        }
        try await Task.sleep(for: .milliseconds(Int64(1000 / options.joinsPerSecond)))
    }
    try await tasks.waitForAll()
}
let sender = loop.scheduleRepeatedTask(initialDelay: .milliseconds(20), delay: .milliseconds(20)) { _ in
    state.value.sendTick()
}
// Wait for every connection (bounded), then warm up.
let connectDeadline = Date().addingTimeInterval(60)
var connected = 0
while Date() < connectDeadline {
    connected = try await loop.submit { state.value.participants.filter(\.isConnected).count }.get()
    if connected == options.peers { break }
    try await Task.sleep(for: .milliseconds(200))
}
let joinSeconds = Date().timeIntervalSince(joinStart)
say(String(format: "joined and connected: %d of %d in %.1f s", connected, options.peers, joinSeconds))
try await Task.sleep(for: .seconds(3))
let cpuStart = sfu.cpuSeconds
try await loop.submit {
    state.value.measuring = true
    state.value.latencies.removeAll(keepingCapacity: true)
    for participant in state.value.participants { participant.slots.removeAll() }
}.get()
let measureStart = Date()
try await Task.sleep(for: .seconds(options.seconds))
let (received, expected, latencies, sent, failures) = try await loop.submit {
    let value = state.value
    value.measuring = false
    var received = 0, expected = 0
    for participant in value.participants {
        for counter in participant.slots.values where counter.received > 0 {
            received += counter.received
            expected += Int(counter.highestSequence - counter.lowestSequence + 1)
        }
    }
    return (received, expected, value.latencies.sorted(), value.sent, value.sendFailures)
}.get()
let wall = Date().timeIntervalSince(measureStart)
let cpu = sfu.cpuSeconds - cpuStart
let rss = sfu.residentBytes
sender.cancel()
let lossPercent = expected > 0 ? Double(expected - received) / Double(expected) * 100 : 0
say(String(format: """
    | participants | video publishers | received pkts/s | sfuserver CPU s | pkts per CPU-s | loss %% | p50 ms | p99 ms | RSS/participant |
    |---:|---:|---:|---:|---:|---:|---:|---:|---:|
    | %d | %d | %.0f | %.2f | %.0f | %.3f | %.2f | %.2f | %.0f KiB |
    """, options.peers, options.videoPublishers, Double(received) / wall, cpu,
    cpu > 0 ? Double(received) / cpu : 0, lossPercent, percentile(latencies, 0.5), percentile(latencies, 0.99),
    Double(max(0, rss - rssBefore)) / Double(max(1, options.peers)) / 1024))
say("(received = forwarded packets that reached a subscriber during the window; sent by the load generator: \(sent), "
    + "send failures \(failures); sfuserver RSS \(rss / 1_048_576) MiB, \(rssBefore / 1_048_576) MiB before the joins; "
    + "time through the SFU includes both ends' SRTP and the generator's scheduling on the same cores)")
try? await group.shutdownGracefully()
