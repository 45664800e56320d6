import NIOCore
import STUN
import Testing
import TURN

/// Drives a ``TURNServerCore`` in virtual time as a client would: builds requests, authenticates after the 401
/// challenge, and plays the driver's part (relay sockets always bind).
struct TURNCoreHarness {
    static let secret = "secret"
    static let realm = "example.org"
    var core: TURNServerCore
    var now = TURNTime.seconds(1_800_000_000)
    var boundPorts: [TURNRelayID: (UInt8, UInt16)] = [:]
    let client = TURNFiveTuple(
        client: STUNTransportAddress(address: STUNIPAddress("198.51.100.7")!, port: 40000),
        server: STUNTransportAddress(address: STUNIPAddress("203.0.113.1")!, port: 3478),
        transport: .udp)

    init(allowLoopback: Bool = false, configure: (inout TURNServerConfiguration) -> Void = { _ in }) {
        var configuration = TURNServerConfiguration(
            realm: Self.realm,
            restCredentials: [.coturnStaticSecret(Self.secret)],
            peerPolicy: PeerAddressPolicy(allowLoopback: allowLoopback),
            relayPorts: 50000...50099,
            relayAddressIPv4: STUNIPAddress("203.0.113.1"),
            relayAddressIPv6: STUNIPAddress("2001:db8::1"),
            nonceKey: Array(repeating: 7, count: 32))
        configure(&configuration)
        core = TURNServerCore(configuration: configuration)
    }

    /// A REST username valid for a day, and its key.
    func credentials(user: String = "user", expiry: Int64? = nil) -> (username: String, key: STUNIntegrityKey) {
        let rest = TURNRESTCredentials.coturnStaticSecret(Self.secret)
        let username = rest.username(expiringAt: expiry ?? 1_800_086_400, user: user)
        let key = STUNIntegrityKey.longTerm(username: username, realm: Self.realm, password: rest.password(for: username))
        return (username, key)
    }

    /// Sends `bytes` from `from` (default: the harness client) and performs relay opens; returns what the core
    /// sent to clients and peers.
    mutating func send(_ bytes: ByteBuffer, from: TURNFiveTuple? = nil) -> [TURNAction] {
        perform(core.handle(bytes, from: from ?? client, now: now))
    }

    /// Plays the kernel's part for relay sockets: a port already bound by an open relay cannot be bound again.
    mutating func perform(_ initial: [TURNAction]) -> [TURNAction] {
        var actions = initial
        var result: [TURNAction] = []
        while !actions.isEmpty {
            let action = actions.removeFirst()
            switch action {
            case .openRelay(let relay, let family, let port), .openTCPRelay(let relay, let family, let port):
                if boundPorts.values.contains(where: { $0 == (family.rawValue, port) }) {
                    actions += core.relayFailed(relay, now: now)
                } else {
                    boundPorts[relay] = (family.rawValue, port)
                    actions += core.relayOpened(relay, now: now)
                }
            case .closeRelay(let relay):
                boundPorts.removeValue(forKey: relay)
            default:
                break
            }
            result.append(action)
        }
        return result
    }

    /// The STUN responses among `actions`.
    static func responses(_ actions: [TURNAction]) -> [STUNMessage] {
        actions.compactMap { action in
            guard case .sendToClient(let bytes, _) = action else { return nil }
            return try? STUNMessage(parsing: bytes)
        }
    }

    /// Sends an unauthenticated request, reads the nonce from the 401, then sends it authenticated.
    mutating func request(
        _ method: STUNMethod,
        _ attributes: [STUNAttribute],
        user: String = "user",
        expiry: Int64? = nil,
        from: TURNFiveTuple? = nil
    ) -> STUNMessage? {
        let challenge = STUNMessage(method: method, messageClass: .request, attributes: attributes
            + [.software(String(repeating: "x", count: 64))])
        let first = Self.responses(send(try! challenge.serialized(), from: from))
        guard let nonce = first.first?.nonce else { return first.first }
        return authenticated(method, attributes, nonce: nonce, user: user, expiry: expiry, from: from)
    }

    mutating func authenticated(
        _ method: STUNMethod,
        _ attributes: [STUNAttribute],
        nonce: String,
        user: String = "user",
        expiry: Int64? = nil,
        key overrideKey: STUNIntegrityKey? = nil,
        from: TURNFiveTuple? = nil
    ) -> STUNMessage? {
        let (username, key) = credentials(user: user, expiry: expiry)
        let message = STUNMessage(method: method, messageClass: .request,
            attributes: attributes + [.username(username), .realm(Self.realm), .nonce(nonce)])
        let bytes = try! message.serialized(integrityKey: overrideKey ?? key, fingerprint: true)
        return Self.responses(send(bytes, from: from)).first
    }

    mutating func allocate(_ extra: [STUNAttribute] = [], from: TURNFiveTuple? = nil) -> STUNMessage? {
        request(.allocate, [.requestedTransport(protocolNumber: 17)] + extra, from: from)
    }

    mutating func advance(seconds: Int64) -> [TURNAction] {
        now = now.adding(seconds: seconds)
        return perform(core.handleTimeout(now: now))
    }
}

extension STUNMessage {
    var isSuccess: Bool { messageClass == .successResponse }
}

/// `#require` for expressions that mutate the harness (the macro cannot expand mutating calls with arguments).
func required<T>(_ value: T?, sourceLocation: SourceLocation = #_sourceLocation) throws -> T {
    try #require(value, sourceLocation: sourceLocation)
}
