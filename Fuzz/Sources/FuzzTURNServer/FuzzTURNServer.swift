// libFuzzer target for the turnserver's sans-IO core (TURNServerCore): the input is a script of operations that
// plays clients on UDP, TCP and TLS, peers, relay sockets and the clock. Raw datagrams and raw stream chunks (framed
// as TURNStreamHandler frames them: STUN and ChannelData, RFC 8656 §12.5) reach every parser; signed requests built
// from fuzz bytes (valid, wrong-key, expired and stale credentials, then corrupted at a fuzz position) drive the
// core through every authentication state and into allocations, permissions, channels and RFC 6062 TCP relays. The
// only oracle is that nothing traps; the core must answer or drop whatever arrives.
import NIOCore
import STUN
import ServerKit
import TURN

private let secret = "fuzz-static-secret"
private let realm = "fuzz.example"
private let start = TURNTime.seconds(1_800_000_000)

/// Reads the fuzz input front to back; every read past the end yields zeros, so any input is a valid script.
private struct Script {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    var atEnd: Bool { offset >= bytes.count }

    mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func uint16() -> UInt16 { UInt16(byte()) << 8 | UInt16(byte()) }
    mutating func uint32() -> UInt32 { UInt32(uint16()) << 16 | UInt32(uint16()) }

    /// A length (one byte, or two when `maximum` is above 255), then that many bytes (fewer at the end).
    mutating func chunk(maximum: Int = 255) -> ByteBuffer {
        let declared = maximum > 255 ? Int(uint16()) % (maximum + 1) : Int(byte())
        let length = min(declared, bytes.count - min(offset, bytes.count))
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
        offset += length
        return ByteBuffer(bytes: slice)
    }
}

/// What the script remembers about the core's answers, as a driver and clients would.
private struct World {
    var core: TURNServerCore
    var now = start
    let clients: [TURNFiveTuple]
    let peers: [STUNTransportAddress]
    var nonces: [TURNFiveTuple: String] = [:]
    var streamBuffers: [TURNFiveTuple: ByteBuffer] = [:]
    var relays: [TURNRelayID] = []
    var connectionIDs: [(TURNRelayID, UInt32)] = []
    var failNextRelay = false

    init() {
        var configuration = TURNServerConfiguration(realm: realm, restCredentials: [.coturnStaticSecret(secret)],
            staticUsers: ["static": "password"], peerPolicy: PeerAddressPolicy(), relayPorts: 50000...50015,
            relayAddressIPv4: STUNIPAddress("203.0.113.1"), relayAddressIPv6: STUNIPAddress("2001:db8::1"),
            nonceKey: Array(repeating: 9, count: 32))
        configuration.failedAuthenticationLimit = 1000
        core = TURNServerCore(configuration: configuration)
        let server4 = STUNTransportAddress(address: STUNIPAddress("203.0.113.1") ?? .init(bytes: [0, 0, 0, 0])!,
            port: 3478)
        let server6 = STUNTransportAddress(address: STUNIPAddress("2001:db8::1") ?? server4.address, port: 3478)
        func client(_ ip: String, _ port: UInt16, _ transport: TURNClientTransport, ipv6: Bool = false)
            -> TURNFiveTuple
        {
            TURNFiveTuple(client: STUNTransportAddress(address: STUNIPAddress(ip) ?? server4.address, port: port),
                server: ipv6 ? server6 : server4, transport: transport)
        }
        clients = [client("198.51.100.7", 40000, .udp), client("198.51.100.7", 40001, .tcp),
            client("198.51.100.8", 40002, .tls), client("2001:db8:1::7", 40003, .udp, ipv6: true)]
        peers = [STUNTransportAddress(address: STUNIPAddress("192.0.2.10") ?? server4.address, port: 9000),
            STUNTransportAddress(address: STUNIPAddress("2001:db8:2::10") ?? server4.address, port: 9001),
            STUNTransportAddress(address: STUNIPAddress("127.0.0.1") ?? server4.address, port: 9002),
            STUNTransportAddress(address: STUNIPAddress("::ffff:10.0.0.1") ?? server4.address, port: 9003)]
    }

    /// Plays the driver: relay sockets bind (or fail when the script says so), answers are parsed for nonces.
    mutating func perform(_ initial: [TURNAction]) {
        var pending = initial
        var steps = 0
        while !pending.isEmpty && steps < 256 {
            steps += 1
            let action = pending.removeFirst()
            switch action {
            case .openRelay(let relay, _, _), .openTCPRelay(let relay, _, _):
                if failNextRelay {
                    failNextRelay = false
                    pending += core.relayFailed(relay, now: now)
                } else {
                    relays.append(relay)
                    pending += core.relayOpened(relay, now: now)
                }
            case .closeRelay(let relay):
                relays.removeAll { $0 == relay }
            case .connectToPeer(let relay, _, let connectionID):
                connectionIDs.append((relay, connectionID))
            case .sendToClient(let bytes, let to):
                if let message = try? STUNMessage(parsing: bytes), let nonce = message.nonce { nonces[to] = nonce }
            case .spliceConnection, .closePeerConnection, .sendToPeer:
                break
            }
        }
    }

    /// Feeds stream bytes the way TURNStreamHandler does: STUN messages to `handle`, ChannelData to the fast path;
    /// a framing error closes the connection.
    mutating func stream(_ chunk: ByteBuffer, from client: TURNFiveTuple) {
        var pending = streamBuffers[client] ?? ByteBuffer()
        var incoming = chunk
        pending.writeBuffer(&incoming)
        frames: while pending.readableBytes > 0 {
            let frame: STUNStreamFraming.Frame
            do {
                frame = try STUNStreamFraming.nextFrame(in: pending)
            } catch {
                streamBuffers[client] = nil
                perform(core.connectionClosed(client))
                return
            }
            switch frame {
            case .needMoreBytes:
                break frames
            case .stunMessage(let length):
                guard let message = pending.readSlice(length: length) else { break frames }
                perform(core.handle(message, from: client, now: now))
            case .channelData(let length):
                guard let framed = pending.readSlice(length: length) else { break frames }
                if let channel = framed.getInteger(at: framed.readerIndex, as: UInt16.self),
                    let payloadLength = framed.getInteger(at: framed.readerIndex + 2, as: UInt16.self)
                {
                    _ = core.routeChannelData(channel: channel, length: Int(payloadLength), from: client, now: now)
                }
            }
        }
        pending.discardReadBytes()
        streamBuffers[client] = pending
    }

    /// A request (or Send indication) built from script bytes, signed as the script chooses.
    mutating func signedMessage(_ script: inout Script, client: TURNFiveTuple) -> ByteBuffer? {
        let methods: [STUNMethod] = [.allocate, .refresh, .createPermission, .channelBind, .connect,
            .connectionBind, .binding, .send]
        let method = methods[Int(script.byte()) % methods.count]
        let selector = script.uint16()
        var attributes: [STUNAttribute] = []
        let peer = peers[Int(script.byte()) % peers.count]
        let fuzzPeer = STUNTransportAddress(address: STUNIPAddress(bytes: [script.byte(), script.byte(),
            script.byte(), script.byte()]) ?? peer.address, port: script.uint16())
        if selector & 0x1 != 0 { attributes.append(.requestedTransport(protocolNumber: selector & 0x2 != 0 ? 6 : 17)) }
        if selector & 0x4 != 0 { attributes.append(.lifetime(script.uint32())) }
        if selector & 0x8 != 0 { attributes.append(.xorPeerAddress(selector & 0x10 != 0 ? fuzzPeer : peer)) }
        if selector & 0x20 != 0 { attributes.append(.channelNumber(script.uint16())) }
        if selector & 0x40 != 0 { attributes.append(.evenPort(reserveNextPort: selector & 0x80 != 0)) }
        if selector & 0x100 != 0 {
            attributes.append(.reservationToken(UInt64(script.uint32()) << 32 | UInt64(script.uint32())))
        }
        if selector & 0x200 != 0 { attributes.append(.requestedAddressFamily(selector & 0x400 != 0 ? .ipv6 : .ipv4)) }
        if selector & 0x800 != 0 { attributes.append(.data(script.chunk())) }
        if selector & 0x1000 != 0 { attributes.append(.connectionID(connectionIDs.last?.1 ?? script.uint32())) }
        if selector & 0x2000 != 0 { attributes.append(.additionalAddressFamily(.ipv6)) }
        let messageClass: STUNClass = method == .send ? .indication : .request
        let transactionID = STUNTransactionID(high: script.uint32(), middle: script.uint32(), low: script.uint32())
        let auth = script.byte()
        let rest = TURNRESTCredentials.coturnStaticSecret(secret)
        let expiry: Int64 = auth & 0x3 == 1 ? now.unixSeconds - 10 : now.unixSeconds + 86_400
        var username = rest.username(expiringAt: expiry, user: "user\(auth >> 6)")
        var password = rest.password(for: username)
        if auth & 0x3 == 2 {
            username = "static"
            password = "password"
        }
        let key = STUNIntegrityKey.longTerm(username: username, realm: realm,
            password: auth & 0x3 == 3 ? "wrong" : password)
        if auth & 0x4 == 0 {
            let nonce = auth & 0x8 != 0 ? "stale-or-forged-nonce" : (nonces[client] ?? "no-nonce-yet")
            attributes += [.username(username), .realm(realm), .nonce(nonce)]
        }
        let message = STUNMessage(method: method, messageClass: messageClass, transactionID: transactionID,
            attributes: attributes)
        guard var bytes = try? (auth & 0x4 == 0 ? message.serialized(integrityKey: key, fingerprint: auth & 0x10 != 0)
            : message.serialized())
        else { return nil }
        if auth & 0x20 != 0, bytes.readableBytes > 0 {
            // Corrupt one byte: integrity, fingerprint and length checks must catch it or parse it harmlessly.
            let position = bytes.readerIndex + Int(script.uint16()) % bytes.readableBytes
            let value = bytes.getInteger(at: position, as: UInt8.self) ?? 0
            bytes.setInteger(value ^ (script.byte() | 1), at: position)
        }
        return bytes
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTURNServer(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var script = Script(bytes: UnsafeRawBufferPointer(start: start, count: count))
    var world = World()
    var operations = 0
    while !script.atEnd && operations < 512 {
        operations += 1
        let operation = script.byte()
        let client = world.clients[Int(script.byte()) % world.clients.count]
        switch operation % 9 {
        case 0:
            // A raw datagram (or, for a stream client, a whole message as the stream handler would pass it).
            let bytes = script.chunk(maximum: 1024)
            if client.transport == .udp,
                let first = bytes.getInteger(at: bytes.readerIndex, as: UInt8.self), first & 0xC0 == 0x40,
                let channel = bytes.getInteger(at: bytes.readerIndex, as: UInt16.self)
            {
                _ = world.core.routeChannelData(channel: channel, length: max(0, bytes.readableBytes - 4),
                    from: client, now: world.now)
            }
            world.perform(world.core.handle(bytes, from: client, now: world.now))
        case 1:
            world.stream(script.chunk(maximum: 1024), from: client)
        case 2, 3:
            guard let bytes = world.signedMessage(&script, client: client) else { continue }
            if client.transport.isStream, script.byte() & 1 == 1 {
                world.stream(bytes, from: client)
            } else {
                world.perform(world.core.handle(bytes, from: client, now: world.now))
            }
        case 4:
            guard !world.relays.isEmpty else { continue }
            let relay = world.relays[Int(script.byte()) % world.relays.count]
            let peer = world.peers[Int(script.byte()) % world.peers.count]
            world.perform(world.core.handlePeerData(script.chunk(), relay: relay, from: peer, now: world.now))
        case 5:
            world.now = world.now.adding(seconds: Int64(script.byte()) * 8)
            world.perform(world.core.handleTimeout(now: world.now))
        case 6:
            world.streamBuffers[client] = nil
            world.perform(world.core.connectionClosed(client))
        case 7:
            guard !world.connectionIDs.isEmpty else { continue }
            let (relay, connectionID) = world.connectionIDs[Int(script.byte()) % world.connectionIDs.count]
            switch script.byte() % 4 {
            case 0: world.perform(world.core.peerConnectionEstablished(relay: relay, connectionID: connectionID,
                now: world.now))
            case 1: world.perform(world.core.peerConnectionFailed(relay: relay, connectionID: connectionID,
                now: world.now))
            case 2:
                if let accepted = world.core.peerConnectionAccepted(relay: relay,
                    from: world.peers[Int(script.byte()) % world.peers.count], now: world.now)
                {
                    world.connectionIDs.append((relay, accepted.connectionID))
                    world.perform(accepted.actions)
                }
            default: world.core.peerConnectionClosed(connectionID: connectionID)
            }
        default:
            world.failNextRelay = true
        }
        _ = world.core.nextDeadline()
    }
    _ = world.core.metrics
    return 0
}
