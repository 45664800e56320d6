import ICE
import NIOCore
import STUN
import TURN

/// Our own TURN server core (Server/TURN, sans-IO) wired to one ``TURNClientAllocation`` in virtual time: what the
/// client sends goes to the core from a fixed five-tuple, what the core sends to the client goes back, relay
/// sockets always open, and datagrams the relay sends to peers are collected.
struct InMemoryTURNServer {
    static let secret = "static-auth-secret"
    static let realm = "meeting.test"
    var core: TURNServerCore
    /// Virtual time on both sides: the client's NIODeadline and the core's TURNTime advance together.
    var elapsed: Int64 = 0
    let clientAddress = STUNTransportAddress(address: STUNIPAddress("198.51.100.7")!, port: 40000)
    let serverAddress = STUNTransportAddress(address: STUNIPAddress("203.0.113.1")!, port: 3478)
    /// The client's connection: UDP, or TCP (RFC 8656 §3.1) when `stream` is set.
    var stream = false
    var fiveTuple: TURNFiveTuple {
        TURNFiveTuple(client: clientAddress, server: serverAddress, transport: stream ? .tcp : .udp)
    }
    /// Datagrams the relay sent to peers: (peer, payload).
    var toPeers: [(STUNTransportAddress, [UInt8])] = []
    /// Requests the client sent (parsed), in order.
    var clientRequests: [STUNMessage] = []
    /// Drop this many of the client's next datagrams (simulated loss).
    var dropFromClient = 0
    var relay: TURNRelayID?

    init() {
        let configuration = TURNServerConfiguration(
            realm: Self.realm,
            restCredentials: [.coturnStaticSecret(Self.secret)],
            peerPolicy: PeerAddressPolicy(allowLoopback: false),
            relayPorts: 50000...50099,
            relayAddressIPv4: STUNIPAddress("203.0.113.1"),
            relayAddressIPv6: nil,
            nonceKey: Array(repeating: 9, count: 32))
        core = TURNServerCore(configuration: configuration)
    }

    var now: NIODeadline { .uptimeNanoseconds(UInt64(1_000_000_000 + elapsed)) }
    var turnNow: TURNTime { TURNTime.seconds(1_800_000_000).adding(nanoseconds: elapsed) }

    /// TURN REST credentials (coturn's `static-auth-secret` scheme) valid for a day from the start.
    func credentials(password override: String? = nil) -> (username: String, password: String) {
        let rest = TURNRESTCredentials.coturnStaticSecret(Self.secret)
        let username = rest.username(expiringAt: 1_800_086_400, user: "alice")
        return (username, override ?? rest.password(for: username))
    }

    func configuration(password: String? = nil) -> TURNClientConfiguration {
        let (username, secret) = credentials(password: password)
        return TURNClientConfiguration(server: serverAddress, username: username, password: secret,
                                       software: "meeting-test", isStreamTransport: stream)
    }

    /// Moves every client output through the server and back until both are quiet; returns the client's
    /// non-`send` outputs. Bounded: at most 1000 exchanges.
    mutating func pump(_ client: inout TURNClientAllocation) -> [TURNClientOutput] {
        var events: [TURNClientOutput] = []
        for _ in 0..<1_000 {
            guard let output = client.pollOutput() else { return events }
            guard case .send(let bytes) = output else {
                events.append(output)
                continue
            }
            if let message = try? STUNMessage(parsing: bytes), message.messageClass == .request {
                clientRequests.append(message)
            }
            if dropFromClient > 0 {
                dropFromClient -= 1
                continue
            }
            deliver(core.handle(bytes, from: fiveTuple, now: turnNow), to: &client)
        }
        return events
    }

    /// Performs the core's actions: relay opens succeed, client-bound datagrams go to the client, peer-bound ones
    /// are recorded.
    mutating func deliver(_ initial: [TURNAction], to client: inout TURNClientAllocation) {
        var actions = initial
        var steps = 0
        while !actions.isEmpty, steps < 1_000 {
            steps += 1
            switch actions.removeFirst() {
            case .openRelay(let relay, _, _):
                self.relay = relay
                actions += core.relayOpened(relay, now: turnNow)
            case .sendToClient(let bytes, _):
                client.handleDatagram(bytes, now: now)
            case .sendToPeer(_, let peer, let payload):
                toPeers.append((peer, Array(payload.readableBytesView)))
            default:
                break
            }
        }
    }

    /// A peer sends `payload` to the relayed address.
    mutating func peerSends(_ payload: [UInt8], from peer: STUNTransportAddress, to client: inout TURNClientAllocation) {
        guard let relay else { return }
        deliver(core.handlePeerData(ByteBuffer(bytes: payload), relay: relay, from: peer, now: turnNow), to: &client)
    }

    /// Advances virtual time by `seconds`, firing the client's and the server's timers on the way (at every
    /// client deadline, so refreshes happen when they are due).
    mutating func advance(seconds: Int64, client: inout TURNClientAllocation) -> [TURNClientOutput] {
        let target = elapsed + seconds * 1_000_000_000
        var events: [TURNClientOutput] = []
        for _ in 0..<10_000 {
            let next = client.nextDeadline().map { Int64($0.uptimeNanoseconds) - 1_000_000_000 }
            guard let next, next <= target else { break }
            elapsed = max(elapsed, next)
            deliver(core.handleTimeout(now: turnNow), to: &client)
            client.handleTimeout(now: now)
            events += pump(&client)
        }
        elapsed = target
        deliver(core.handleTimeout(now: turnNow), to: &client)
        client.handleTimeout(now: now)
        events += pump(&client)
        return events
    }
}
