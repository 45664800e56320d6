// WebRTC driver forwarding benchmark: receive → SRTP decrypt → SRTP encrypt → send through the NIO driver on
// loopback, in packets per CPU-second of the forwarding event loop's thread, beside libsrtp2's own
// protect + unprotect of the same packet size measured in the same run (the floor: the crypto an SFU cannot avoid).
//
// Set-up: a "server" UDP socket on its own event loop hosts two ICE-lite PeerConnections (S1, S2), as an sfuserver
// would. Client P (its own socket and loop) publishes to S1; S1's `onEvent` forwards every decrypted RTP packet to
// S2 (`sendRTP` + `serviceDeferringFlush`, flushed once per read batch); client Q receives from S2 and counts. The
// CPU time of the server loop's thread (getrusage RUSAGE_THREAD) is read on that thread before and after.
// Release build: swift run --package-path Benchmarks -c release WebRTCDriverBenchmark
import CSRTP
import DTLS
import Foundation
import NIOCore
import NIOPosix
import SDP
import SRTP
import WebRTC
import WebRTCDriver

#if canImport(Glibc)
import Glibc
#endif

let payloadSize = 1_100  // + 12 header + 8 mid extension + 16 tag ≈ 1136-byte datagrams
let packetsToSend = 200_000
let packetsPerCall = 50

/// CPU seconds used by the calling thread so far.
func threadCPUSeconds() -> Double {
    var usage = rusage()
    // RUSAGE_THREAD (1, Linux) is declared only with _GNU_SOURCE, which Swift's Glibc module does not set.
    _ = getrusage(__rusage_who_t(1), &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
}

/// The server side: two hosted connections and the forwarding counters, confined to the server loop.
final class Forwarder {
    var publisher: HostedPeerConnection?
    var subscriber: HostedPeerConnection?
    var forwarded = 0
    var failures = 0
}

func hostLiteConnection(
    on socket: MediaSocket, forwarder: NIOLoopBound<Forwarder>, offer: String, isPublisher: Bool
) async throws -> String {
    let certificate = try DTLSCertificate.generate()
    return try await socket.withTransport { transport in
        var configuration = PeerConnectionConfiguration()
        configuration.iceMode = .lite
        var generator = SystemRandomNumberGenerator()
        let core = PeerConnection(configuration: configuration, certificate: certificate, using: &generator)
        let state = forwarder.value
        let hosted = transport.host(core) { event in
            guard isPublisher, case .rtpReceived(let packet, _) = event, let subscriber = state.subscriber else { return }
            do {
                try subscriber.core.sendRTP(packet.bytes, now: .now())
                state.forwarded += 1
            } catch {
                state.failures += 1
            }
            transport.serviceDeferringFlush(subscriber)
        }
        if isPublisher { state.publisher = hosted } else { state.subscriber = hosted }
        try core.setRemoteDescription(SessionDescription.parse(offer), now: .now())
        let answer = try core.createAnswer().serialize()
        transport.service(hosted)
        return answer
    }
}

/// libsrtp2's protect + unprotect of one packet of `length` bytes (AEAD_AES_128_GCM), nanoseconds per pair.
func libsrtpNanoseconds(length: Int, iterations: Int) -> Double {
    func session(_ direction: srtp_ssrc_type_t) -> srtp_t? {
        var policy = srtp_policy_t()
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
        policy.ssrc.type = direction
        policy.window_size = 1024
        var material = (0..<28).map { UInt8($0) }
        var created: srtp_t?
        material.withUnsafeMutableBufferPointer { policy.key = $0.baseAddress; _ = srtp_create(&created, &policy) }
        return created
    }
    guard let outbound = session(ssrc_any_outbound), let inbound = session(ssrc_any_inbound) else { return .nan }
    defer {
        srtp_dealloc(outbound)
        srtp_dealloc(inbound)
    }
    var plain: [UInt8] = [0x80, 96, 0, 0, 0, 0, 0x10, 0x00, 0x12, 0x34, 0x56, 0x78]
    plain += (0..<(length - 12)).map { UInt8(truncatingIfNeeded: $0) }
    var scratch = [UInt8](repeating: 0, count: length + Int(SRTP_MAX_TRAILER_LEN))
    var sequence: UInt16 = 0
    var best = Double.infinity
    for _ in 0..<5 {
        let start = threadCPUSeconds()
        scratch.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for _ in 0..<iterations {
                plain.withUnsafeBufferPointer { source in
                    if let from = source.baseAddress { base.update(from: from, count: length) }
                }
                sequence &+= 1
                base[2] = UInt8(sequence >> 8)
                base[3] = UInt8(sequence & 0xFF)
                var size = Int32(length)
                _ = srtp_protect(outbound, base, &size)
                _ = srtp_unprotect(inbound, base, &size)
            }
        }
        best = min(best, (threadCPUSeconds() - start) * 1e9 / Double(iterations))
    }
    return best
}

func run() async throws {
    let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let server = try await MediaSocket.bind(host: "127.0.0.1", group: serverGroup)
    let forwarder = try await server.withTransport { transport in
        NIOLoopBound(Forwarder(), eventLoop: transport.eventLoop)
    }
    let publisherSocket = try await MediaSocket.bind(host: "127.0.0.1", group: clientGroup)
    let subscriberSocket = try await MediaSocket.bind(host: "127.0.0.1", group: clientGroup)
    let publisher = try await WebRTCPeer.create(on: publisherSocket)
    let subscriber = try await WebRTCPeer.create(on: subscriberSocket)
    try await publisher.setRemoteDescription(
        hostLiteConnection(on: server, forwarder: forwarder, offer: publisher.createOffer(), isPublisher: true))
    try await subscriber.setRemoteDescription(
        hostLiteConnection(on: server, forwarder: forwarder, offer: subscriber.createOffer(), isPublisher: false))
    try await publisher.waitUntilConnected(timeout: .seconds(10))
    try await subscriber.waitUntilConnected(timeout: .seconds(10))
    for _ in 0..<500 {
        let ready = try await server.withTransport { _ in
            (forwarder.value.publisher?.core.isMediaReady ?? false) && (forwarder.value.subscriber?.core.isMediaReady ?? false)
        }
        if ready { break }
        try await Task.sleep(for: .milliseconds(10))
    }
    let video = try await publisher.localTrack(.video)
    let received = try await subscriber.receivedRTP(mid: video.mid)
    let counter = Task {
        var count = 0
        for await _ in received { count += 1 }
        return count
    }

    let cpuBefore = try await server.withTransport { _ in threadCPUSeconds() }
    let wallStart = ContinuousClock.now
    let payload = [UInt8](repeating: 0x5A, count: payloadSize)
    let frame = [[UInt8]](repeating: payload, count: packetsPerCall)
    for call in 0..<(packetsToSend / packetsPerCall) {
        try await publisher.sendFrame(frame, on: video, timestamp: UInt32(call) * 3_000)
        if call % 20 == 19 { await Task.yield() }
    }
    // Wait until forwarding stops (bounded).
    var last = -1
    for _ in 0..<200 {
        try await Task.sleep(for: .milliseconds(50))
        let now = try await server.withTransport { _ in forwarder.value.forwarded }
        if now == last { break }
        last = now
    }
    let (cpuAfter, forwarded, failures) = try await server.withTransport { _ in
        (threadCPUSeconds(), forwarder.value.forwarded, forwarder.value.failures)
    }
    let wall = ContinuousClock.now - wallStart
    await subscriber.close()
    let delivered = await counter.value
    let cpu = cpuAfter - cpuBefore
    let driverRate = Double(forwarded) / cpu
    let reference = libsrtpNanoseconds(length: payloadSize + 20, iterations: 200_000)
    let referenceRate = 1e9 / reference

    print("WebRTC driver forwarding: receive → SRTP unprotect → protect → send, one server event loop, loopback UDP")
    print("  sent by the publisher   \(packetsToSend) packets of \(payloadSize) payload bytes (AEAD_AES_128_GCM)")
    print("  forwarded by the server \(forwarded) (\(failures) failures), delivered to the subscriber \(delivered)")
    print("  server loop CPU         \(String(format: "%.3f", cpu)) s (wall \(wall))")
    print("  driver                  \(Int(driverRate)) packets per CPU-second")
    print("  libsrtp2 alone          \(Int(referenceRate)) protect+unprotect pairs per CPU-second (\(Int(reference)) ns)")
    print("  ratio                   \(String(format: "%.2f", driverRate / referenceRate)) of libsrtp's own rate")
    await publisher.close()
    await publisherSocket.close()
    await subscriberSocket.close()
    await server.close()
    try await serverGroup.shutdownGracefully()
    try await clientGroup.shutdownGracefully()
}

try await run()
