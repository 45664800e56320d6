import NIOCore
import WebRTC

/// Two ``PeerConnection``s and an in-memory UDP network in virtual time (the idea of Tests/ICETests'
/// VirtualICENetwork, after str0m's tests): `progress()` advances the clock to the earliest deadline or delivery,
/// delivers what is due, fires due timers and drains both peers.
///
/// Loss applies to media only (first byte 128–191, RFC 7983), never to STUN or DTLS: DTLS retransmissions read
/// OpenSSL's real clock, so the handshake must not depend on them in virtual time.
final class VirtualPeerNetwork {
    struct Datagram {
        var payload: ByteBuffer
        var from: SocketAddress
        var to: SocketAddress
        var deliverAt: NIODeadline
        var sequence: Int
    }

    let peers: [PeerConnection]
    let addresses: [SocketAddress]
    var events: [[PeerConnectionEvent]] = [[], []]
    var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    var delay: TimeAmount = .milliseconds(10)
    /// Probability that an RTP/RTCP datagram is dropped.
    var mediaLossRate = 0.0
    /// Probability that a STUN datagram (ICE checks, consent) is dropped; ICE retransmits in virtual time.
    var stunLossRate = 0.0
    /// The path MTU (UDP payload bytes); larger datagrams are dropped and counted in `oversized`.
    var mtu = 1200
    var oversized = 0
    /// Drop everything (a path that died).
    var isSevered = false
    var inFlight: [Datagram] = []
    var sequence = 0
    var random: SplitMix64
    var droppedMedia = 0

    init(_ left: PeerConnection, _ right: PeerConnection, addresses: [SocketAddress], seed: UInt64 = 11) {
        peers = [left, right]
        self.addresses = addresses
        random = SplitMix64(seed: seed)
    }

    func drain() {
        for index in peers.indices {
            for _ in 0..<100_000 {
                guard let output = peers[index].pollOutput() else { break }
                switch output {
                case .transmit(let payload, let from, let to):
                    send(payload, from: from, to: to)
                case .event(let event):
                    events[index].append(event)
                }
            }
        }
    }

    func send(_ payload: ByteBuffer, from: SocketAddress, to: SocketAddress) {
        let first = payload.getInteger(at: payload.readerIndex, as: UInt8.self) ?? 0
        if isSevered { return }
        if payload.readableBytes > mtu {
            oversized += 1
            return
        }
        if stunLossRate > 0, first <= 3, Double(random.next() % 1_000_000) / 1_000_000 < stunLossRate { return }
        if mediaLossRate > 0, (128...191).contains(first), Double(random.next() % 1_000_000) / 1_000_000 < mediaLossRate {
            droppedMedia += 1
            return
        }
        sequence += 1
        inFlight.append(Datagram(payload: payload, from: from, to: to, deliverAt: now + delay, sequence: sequence))
    }

    @discardableResult
    func progress() -> Bool {
        drain()
        var next: NIODeadline?
        for peer in peers {
            if let deadline = peer.nextDeadline(), next.map({ deadline < $0 }) ?? true { next = deadline }
        }
        for datagram in inFlight where next.map({ datagram.deliverAt < $0 }) ?? true { next = datagram.deliverAt }
        guard let next else { return false }
        if next > now { now = next }
        let due = inFlight.filter { $0.deliverAt <= now }.sorted { $0.sequence < $1.sequence }
        inFlight.removeAll { $0.deliverAt <= now }
        for datagram in due {
            guard let index = addresses.firstIndex(of: datagram.to) else { continue }
            peers[index].handleReceive(datagram.payload, from: datagram.from, to: datagram.to, now: now)
        }
        for peer in peers {
            if let deadline = peer.nextDeadline(), deadline <= now { peer.handleTimeout(now: now) }
        }
        drain()
        return true
    }

    /// Steps until `condition` holds, at most `maxSteps` steps or `limit` of virtual time.
    @discardableResult
    func progress(until condition: () -> Bool, maxSteps: Int = 20_000, limit: TimeAmount = .seconds(60)) -> Bool {
        for _ in 0..<maxSteps {
            if condition() { return true }
            guard now - start < limit, progress() else { return condition() }
        }
        return condition()
    }

    /// Delivers everything in flight (and what it triggers) for `duration` of virtual time, bounded.
    func progress(for duration: TimeAmount, maxSteps: Int = 20_000) {
        let end = now + duration
        for _ in 0..<maxSteps {
            drain()
            var next: NIODeadline?
            for peer in peers {
                if let deadline = peer.nextDeadline(), next.map({ deadline < $0 }) ?? true { next = deadline }
            }
            for datagram in inFlight where next.map({ datagram.deliverAt < $0 }) ?? true { next = datagram.deliverAt }
            guard let next, next <= end else {
                now = end
                return
            }
            progress()
        }
    }

    func isConnected(_ index: Int) -> Bool {
        events[index].contains { if case .connected = $0 { true } else { false } }
    }

    func failures(_ index: Int) -> [PeerConnectionError] {
        events[index].compactMap { if case .failed(let error) = $0 { error } else { nil } }
    }

    /// The RTP packets peer `index` received, in order, with their mids.
    func receivedRTP(_ index: Int) -> [(packet: RTPPacketSummary, mid: String?)] {
        events[index].compactMap { event in
            guard case .rtpReceived(let packet, let mid) = event else { return nil }
            return (RTPPacketSummary(packet), mid)
        }
    }
}
