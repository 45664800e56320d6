// libFuzzer target for the PeerConnection's demultiplexing entry point (`handleReceive`, RFC 7983): any datagram
// into a connected PeerConnection must never trap, and the connection must keep draining with a sane timer.
//
// Two PeerConnections are connected in memory once per process (ICE, DTLS, SRTP keys: a handshake per input would
// cost more than the input) and reused by every input; they are rebuilt if an input made them fail. Each input is
// split into datagrams by a 2-byte big-endian length prefix (the rest of the input if the prefix
// overruns). The first byte of each datagram steers the harness, so the fuzzer also reaches the code behind SRTP
// authentication (it cannot compute the keys itself):
//   bits 0-1  0: deliver as it is from the peer's address; 1: the peer protects it as RTP first (the RTP parser,
//             RTX restoration, mid routing, NACK generation, report statistics); 2: the peer protects it as RTCP
//             first (the RTCP parser, NACK answers, keyframe requests, sender reports); 3: as it is, from an
//             address ICE never saw
//   bits 4-7  advance the clock by that many × 100 ms afterwards, run due timers and deliver what both send
import DTLS
import NIOCore
import SDP
import WebRTC

private let certificates = (try? DTLSCertificate.generate(), try? DTLSCertificate.generate())
private let addressA = try? SocketAddress(ipAddress: "192.0.2.1", port: 4000)
private let addressB = try? SocketAddress(ipAddress: "198.51.100.1", port: 5000)
private let stranger = try? SocketAddress(ipAddress: "203.0.113.9", port: 6000)

/// A deterministic generator: the same input must replay the same run.
private struct FuzzRandom: RandomNumberGenerator {
    var state: UInt64 = 0x1234_5678
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Delivers what each connection sends to the other (bounded), returning whether anything moved.
@discardableResult
private func exchange(_ a: PeerConnection, _ b: PeerConnection, now: NIODeadline) -> Bool {
    guard let addressA, let addressB else { return false }
    var moved = false
    for _ in 0..<10_000 {
        var any = false
        if let output = a.pollOutput() {
            any = true
            if case .transmit(let datagram, _, _) = output {
                b.handleReceive(datagram, from: addressA, to: addressB, now: now)
                moved = true
            }
        }
        if let output = b.pollOutput() {
            any = true
            if case .transmit(let datagram, _, _) = output {
                a.handleReceive(datagram, from: addressB, to: addressA, now: now)
                moved = true
            }
        }
        if !any { return moved }
    }
    fatalError("PeerConnection output does not drain")
}

/// Runs due timers on both, delivering their output, until nothing is due (bounded).
private func runTimers(_ a: PeerConnection, _ b: PeerConnection, now: NIODeadline) {
    for _ in 0..<64 {
        var ran = false
        for peer in [a, b] {
            if let deadline = peer.nextDeadline(), deadline <= now {
                peer.handleTimeout(now: now)
                ran = true
            }
        }
        exchange(a, b, now: now)
        guard ran else { break }
    }
}

/// Two connected PeerConnections and their virtual clock.
private final class ConnectedPair {
    let a: PeerConnection
    let b: PeerConnection
    var now: NIODeadline

    init?() {
        guard let certificateA = certificates.0, let certificateB = certificates.1, let addressA, let addressB else {
            return nil
        }
        var generator = FuzzRandom()
        now = NIODeadline.uptimeNanoseconds(1_000_000_000)
        a = PeerConnection(certificate: certificateA, using: &generator)
        b = PeerConnection(certificate: certificateB, using: &generator)
        do {
            a.addHostCandidates([addressA], now: now)
            b.addHostCandidates([addressB], now: now)
            try b.setRemoteDescription(SessionDescription.parse(a.createOffer().serialize()), now: now)
            try a.setRemoteDescription(SessionDescription.parse(b.createAnswer().serialize()), now: now)
        } catch {
            return nil
        }
        for _ in 0..<2_000 where !(a.isMediaReady && b.isMediaReady) {
            exchange(a, b, now: now)
            now = now + .milliseconds(10)
            runTimers(a, b, now: now)
        }
        guard a.isMediaReady, b.isMediaReady else { return nil }
    }
}

// libFuzzer calls the target from one thread, one input at a time: the pair is never shared between threads.
nonisolated(unsafe) private var pair: ConnectedPair?

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPeerConnection(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard let addressA, let addressB, let stranger else { fatalError("cannot set up the connections under test") }
    if pair == nil || !(pair?.a.isMediaReady ?? false) || !(pair?.b.isMediaReady ?? false) {
        pair = ConnectedPair()
    }
    guard let pair else { fatalError("the connections under test did not connect") }
    let a = pair.a
    let b = pair.b
    var now = pair.now
    defer { pair.now = now }

    let input = UnsafeRawBufferPointer(start: start, count: count)
    var offset = 0
    var rounds = 0
    while offset < input.count, rounds < 256 {
        rounds += 1
        var length = input.count - offset
        if length >= 2 {
            let declared = Int(input[offset]) << 8 | Int(input[offset + 1])
            offset += 2
            length = min(declared, input.count - offset)
        }
        guard length > 0 else { continue }
        let control = input[offset]
        var datagram = ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: input[(offset + 1)..<(offset + length)]))
        datagram.reserveCapacity(datagram.readableBytes + 64)
        offset += length

        switch control & 0x03 {
        case 0:
            a.handleReceive(datagram, from: addressB, to: addressA, now: now)
        case 1:
            // Protection refuses what libsrtp cannot parse as RTP; that is fine, nothing is sent then.
            try? b.sendRTP(datagram, now: now)
        case 2:
            try? b.sendRTCP(datagram, now: now)
        default:
            a.handleReceive(datagram, from: stranger, to: addressA, now: now)
        }
        exchange(a, b, now: now)

        // Timers run and both sides' output is delivered as time advances, so consent checks keep the pair alive.
        now = now + .milliseconds(100 * Int64(control >> 4))
        runTimers(a, b, now: now)
        // A timer that stays due after it ran would spin the driver.
        if let deadline = a.nextDeadline(), deadline < now { fatalError("deadline stuck in the past") }
    }
    return 0
}
