import NIOCore
import STUN

/// Settings of a ``TURNClientAllocation``.
public struct TURNClientConfiguration: Sendable, Hashable {
    /// The TURN server; every datagram the allocation emits goes there.
    public var server: STUNTransportAddress
    /// Long-term credentials (RFC 8489 §9.2): for WebRTC, the TURN REST username `expiry:user` and its password.
    public var username: String
    public var password: String
    /// LIFETIME asked for in Allocate and Refresh (RFC 8656 §7.2; the server may shorten it).
    public var requestedLifetime: UInt32
    /// SOFTWARE put in requests, nil for none.
    public var software: String?
    /// Whether the connection to the server is TCP or TLS (RFC 8656 §3.1): no retransmissions (only the overall
    /// transaction timeout) and ChannelData padded to 4 bytes (§12.5).
    public var isStreamTransport: Bool
    /// RTO of the first retransmission over UDP (RFC 8489 §6.2.1; doubled each time).
    public var initialRetransmissionTimeout: TimeAmount
    /// Rc: transmissions of a request over UDP before giving up (RFC 8489 §6.2.1 default 7).
    public var maximumTransmissions: Int

    public init(
        server: STUNTransportAddress,
        username: String,
        password: String,
        requestedLifetime: UInt32 = 600,
        software: String? = nil,
        isStreamTransport: Bool = false,
        initialRetransmissionTimeout: TimeAmount = .milliseconds(500),
        maximumTransmissions: Int = 7
    ) {
        self.server = server
        self.username = username
        self.password = password
        self.requestedLifetime = requestedLifetime
        self.software = software
        self.isStreamTransport = isStreamTransport
        self.initialRetransmissionTimeout = initialRetransmissionTimeout
        self.maximumTransmissions = max(1, maximumTransmissions)
    }
}

/// What a ``TURNClientAllocation`` asks its owner to do or tells it.
public enum TURNClientOutput: Sendable {
    /// Send these bytes to the TURN server (one datagram, or one frame on a TCP/TLS connection).
    case send(ByteBuffer)
    /// The allocation exists: the relayed address to offer as a `relay` candidate (RFC 8445 §5.1.1.2) and the
    /// server-reflexive address the server saw.
    case allocated(relayed: STUNTransportAddress, mapped: STUNTransportAddress?, lifetime: UInt32)
    /// A Refresh succeeded; the allocation now lasts `lifetime` seconds.
    case refreshed(lifetime: UInt32)
    /// CreatePermission succeeded for these peer IPs (RFC 8656 §10): their datagrams now reach us.
    case permissionCreated([STUNIPAddress])
    /// ChannelBind succeeded (RFC 8656 §12): `peer` is now reached through `channel` (4 bytes of overhead).
    case channelBound(channel: UInt16, peer: STUNTransportAddress)
    /// Data from a peer, via a Data indication (RFC 8656 §11.4) or ChannelData (§12.6). A slice, not a copy.
    case data(ByteBuffer, from: STUNTransportAddress)
    /// A CreatePermission or ChannelBind failed; the allocation itself is still there.
    case requestFailed(TURNClientError)
    /// The allocation failed or was lost (Allocate or Refresh failed); nothing more will be sent.
    case failed(TURNClientError)
    /// The allocation was deleted on our request (Refresh with LIFETIME 0, RFC 8656 §8).
    case deallocated
}

/// The client side of a TURN allocation over one connection to one server (RFC 8656 §7–§12), sans-IO.
///
/// The owner calls ``start(now:)``, sends every ``TURNClientOutput/send(_:)`` to the server, feeds what the server
/// sends back to ``handleDatagram(_:now:)``, and calls ``handleTimeout(now:)`` at ``nextDeadline()``. The value
/// type owns no socket or clock. It:
/// - allocates with long-term credentials: the first Allocate goes without them, the 401 answer supplies REALM and
///   NONCE, the request is repeated with USERNAME, REALM, NONCE and MESSAGE-INTEGRITY (RFC 8489 §9.2); a 438 Stale
///   Nonce answer to any request is retried with the new nonce (§9.2.5); success responses are only accepted when
///   their MESSAGE-INTEGRITY verifies;
/// - refreshes the allocation a minute before its lifetime ends (RFC 8656 §8), permissions every 4 minutes (they
///   last 5, §9) and channel bindings every 9 minutes (they last 10, §12);
/// - retransmits requests over UDP with a doubling RTO (RFC 8489 §6.2.1);
/// - frames application data for a peer as ChannelData when a channel is bound, else as a Send indication
///   (``frame(_:to:into:)``), and unwraps Data indications and ChannelData from the server.
public struct TURNClientAllocation: Sendable {
    /// Where the allocation is in its life.
    public enum State: Sendable, Hashable {
        case idle
        case allocating
        case allocated
        case deallocating
        case deallocated
        case failed(TURNClientError)
    }

    private enum RequestKind: Sendable, Hashable {
        case allocate
        case refresh(lifetime: UInt32)
        case createPermission([STUNIPAddress])
        case channelBind(channel: UInt16, peer: STUNTransportAddress)

        var method: STUNMethod {
            switch self {
            case .allocate: .allocate
            case .refresh: .refresh
            case .createPermission: .createPermission
            case .channelBind: .channelBind
            }
        }

        var attributes: [STUNAttribute] {
            switch self {
            case .allocate: [.requestedTransport(protocolNumber: 17)]
            case .refresh(let lifetime): [.lifetime(lifetime)]
            case .createPermission(let addresses): addresses.map { .xorPeerAddress(STUNTransportAddress(address: $0, port: 0)) }
            case .channelBind(let channel, let peer): [.channelNumber(channel), .xorPeerAddress(peer)]
            }
        }
    }

    private struct Transaction: Sendable {
        var kind: RequestKind
        var bytes: ByteBuffer
        var authenticated: Bool
        var transmissions: Int
        var rto: TimeAmount
        var deadline: NIODeadline
        /// Challenges (401 before authenticating, 438) answered for this request so far.
        var challenges: Int
    }

    /// How long a permission lasts (RFC 8656 §9) and when we refresh it.
    static let permissionLifetime = TimeAmount.seconds(300)
    static let permissionRefresh = TimeAmount.seconds(240)
    /// How long a channel binding lasts (RFC 8656 §12) and when we refresh it.
    static let channelLifetime = TimeAmount.seconds(600)
    static let channelRefresh = TimeAmount.seconds(540)

    public let configuration: TURNClientConfiguration
    public private(set) var state: State = .idle
    /// The relayed transport address, once allocated.
    public private(set) var relayedAddress: STUNTransportAddress?
    /// Our server-reflexive address as the server saw it (XOR-MAPPED-ADDRESS of the Allocate success).
    public private(set) var mappedAddress: STUNTransportAddress?

    private var realm: String?
    private var nonce: String?
    private var key: STUNIntegrityKey?
    private var transactions: [STUNTransactionID: Transaction] = [:]
    private var refreshAt: NIODeadline?
    /// Installed permissions and when to refresh them.
    private var permissions: [STUNIPAddress: NIODeadline] = [:]
    /// Permissions requested but not yet confirmed (so that a peer is not asked for twice).
    private var pendingPermissions: Set<STUNIPAddress> = []
    private var channels: [UInt16: (peer: STUNTransportAddress, refreshAt: NIODeadline)] = [:]
    private var channelByPeer: [STUNTransportAddress: UInt16] = [:]
    private var nextChannelNumber: UInt16 = 0x4000
    private var outputs: [TURNClientOutput] = []
    private var outputHead = 0
    private let allocator = ByteBufferAllocator()

    public init(configuration: TURNClientConfiguration) {
        self.configuration = configuration
    }

    // MARK: - Owner calls

    /// Sends the first Allocate (without credentials; the server's 401 supplies realm and nonce).
    public mutating func start(now: NIODeadline) {
        guard state == .idle else { return }
        state = .allocating
        sendRequest(.allocate, now: now)
    }

    /// Asks the server to let datagrams from these peer IPs through (RFC 8656 §10). Peers already permitted or
    /// being permitted are skipped. ICE calls this for every remote candidate it pairs with the relayed candidate.
    public mutating func createPermission(for peers: [STUNIPAddress], now: NIODeadline) throws(TURNClientError) {
        guard state == .allocated else { throw .notAllocated }
        let fresh = Array(Set(peers).subtracting(permissions.keys).subtracting(pendingPermissions))
            .sorted { $0.description < $1.description }
        guard !fresh.isEmpty else { return }
        pendingPermissions.formUnion(fresh)
        sendRequest(.createPermission(fresh), now: now)
    }

    /// Binds a channel to `peer` (RFC 8656 §12), which also installs a permission for its IP.
    /// - Returns: the channel number (the same one if `peer` already has a channel).
    @discardableResult
    public mutating func bindChannel(to peer: STUNTransportAddress, now: NIODeadline) throws(TURNClientError) -> UInt16 {
        guard state == .allocated else { throw .notAllocated }
        if let channel = channelByPeer[peer] { return channel }
        guard nextChannelNumber <= ChannelData.rfc8656ChannelNumbers.upperBound else { throw .channelNumbersExhausted }
        let channel = nextChannelNumber
        nextChannelNumber += 1
        // Reserve the number now; the binding is used for sending only once confirmed (channels[channel]).
        channelByPeer[peer] = channel
        sendRequest(.channelBind(channel: channel, peer: peer), now: now)
        return channel
    }

    /// Refreshes the allocation now (RFC 8656 §8) instead of waiting for the scheduled refresh, e.g. after the
    /// owner's network changed; the answer is a ``TURNClientOutput/refreshed(lifetime:)``.
    public mutating func refresh(now: NIODeadline) {
        guard state == .allocated else { return }
        refreshAt = nil
        sendRequest(.refresh(lifetime: configuration.requestedLifetime), now: now)
    }

    /// Deletes the allocation (Refresh with LIFETIME 0, RFC 8656 §8).
    public mutating func deallocate(now: NIODeadline) {
        guard state == .allocated else { return }
        state = .deallocating
        sendRequest(.refresh(lifetime: 0), now: now)
    }

    /// Whether `peer`'s IP has a permission (data to and from it passes the relay).
    public func hasPermission(for peer: STUNIPAddress) -> Bool { permissions[peer] != nil }

    /// The confirmed channel for `peer`, if any.
    public func channel(for peer: STUNTransportAddress) -> UInt16? {
        guard let channel = channelByPeer[peer], channels[channel] != nil else { return nil }
        return channel
    }

    /// Writes `payload` for `peer` into `buffer` the way the server relays it: ChannelData when a channel is
    /// bound (RFC 8656 §12.5; no allocation when `buffer` has room), else a Send indication (§11.1).
    /// - Returns: false (writing nothing) without an allocation or a permission for the peer's IP — the server
    ///   would drop the data (§11.2).
    public func frame(_ payload: ByteBuffer, to peer: STUNTransportAddress, into buffer: inout ByteBuffer) -> Bool {
        guard state == .allocated || state == .deallocating, permissions[peer.address] != nil else { return false }
        if let channel = channel(for: peer) {
            do {
                try ChannelData(channelNumber: channel, payload: payload)
                    .write(into: &buffer, padding: configuration.isStreamTransport ? .toFourBytes : .none)
                return true
            } catch {
                return false
            }
        }
        let indication = STUNMessage(
            method: .send, messageClass: .indication, attributes: [.xorPeerAddress(peer), .data(payload)])
        do {
            try indication.write(into: &buffer)
            return true
        } catch {
            return false
        }
    }

    /// Handles one datagram (or stream frame) from the server: a STUN response or Data indication, or ChannelData.
    /// Anything malformed, unexpected or failing integrity is dropped.
    public mutating func handleDatagram(_ bytes: ByteBuffer, now: NIODeadline) {
        guard let first = bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) else { return }
        if (0x40...0x7F).contains(first) {
            let parsed: ChannelData?
            if configuration.isStreamTransport {
                if case .frame(let message, _)? = try? ChannelData.parse(stream: bytes) { parsed = message } else { parsed = nil }
            } else {
                parsed = try? ChannelData(parsingDatagram: bytes)
            }
            guard let message = parsed, let channel = channels[message.channelNumber] else { return }
            outputs.append(.data(message.payload, from: channel.peer))
            return
        }
        guard let message = try? STUNMessage(parsing: bytes) else { return }
        switch message.messageClass {
        case .indication:
            guard message.method == .data, let peer = message.xorPeerAddresses.first, let data = message.data,
                permissions[peer.address] != nil
            else { return }
            outputs.append(.data(data, from: peer))
        case .successResponse, .errorResponse:
            handleResponse(message, bytes: bytes, now: now)
        case .request:
            return
        }
    }

    /// Retransmits requests and sends the refreshes that are due.
    public mutating func handleTimeout(now: NIODeadline) {
        for (id, transaction) in transactions where transaction.deadline <= now {
            retransmitOrFail(id, transaction, now: now)
        }
        guard state == .allocated else { return }
        if let refreshAt, refreshAt <= now {
            self.refreshAt = nil
            sendRequest(.refresh(lifetime: configuration.requestedLifetime), now: now)
        }
        let duePermissions = permissions.filter { $0.value <= now }.map(\.key).sorted { $0.description < $1.description }
        if !duePermissions.isEmpty {
            for address in duePermissions { permissions[address] = now + Self.permissionLifetime }  // until answered
            sendRequest(.createPermission(duePermissions), now: now)
        }
        for (channel, binding) in channels where binding.refreshAt <= now {
            channels[channel]?.refreshAt = now + Self.channelLifetime
            sendRequest(.channelBind(channel: channel, peer: binding.peer), now: now)
        }
    }

    /// When ``handleTimeout(now:)`` must next be called, or nil when nothing is scheduled.
    public func nextDeadline() -> NIODeadline? {
        var deadline = transactions.values.map(\.deadline).min()
        func consider(_ candidate: NIODeadline?) {
            guard let candidate else { return }
            deadline = deadline.map { min($0, candidate) } ?? candidate
        }
        if state == .allocated {
            consider(refreshAt)
            consider(permissions.values.min())
            consider(channels.values.map(\.refreshAt).min())
        }
        return deadline
    }

    /// The next output, or nil when there is none. Drain it after every call.
    public mutating func pollOutput() -> TURNClientOutput? {
        guard outputHead < outputs.count else {
            if !outputs.isEmpty {
                outputs.removeAll(keepingCapacity: true)
                outputHead = 0
            }
            return nil
        }
        defer { outputHead += 1 }
        return outputs[outputHead]
    }

    // MARK: - Requests

    private mutating func sendRequest(_ kind: RequestKind, now: NIODeadline, challenges: Int = 0) {
        var attributes = kind.attributes
        if case .allocate = kind {
            attributes.append(.lifetime(configuration.requestedLifetime))
        }
        if let software = configuration.software { attributes.append(.software(software)) }
        let authenticated = key != nil
        if let realm, let nonce {
            attributes += [.username(configuration.username), .realm(realm), .nonce(nonce)]
        }
        let message = STUNMessage(method: kind.method, messageClass: .request, attributes: attributes)
        guard let bytes = try? message.serialized(integrityKey: key, fingerprint: true, allocator: allocator) else {
            fail(kind, .errorResponse(method: kind.method.description, .badRequest), now: now)
            return
        }
        let rto = configuration.initialRetransmissionTimeout
        // Over TCP/TLS there are no retransmissions, only the overall timeout of Rc transmissions' worth.
        let firstWait = configuration.isStreamTransport ? Self.totalTimeout(configuration) : rto
        transactions[message.transactionID] = Transaction(
            kind: kind, bytes: bytes, authenticated: authenticated, transmissions: 1, rto: rto,
            deadline: now + firstWait, challenges: challenges)
        outputs.append(.send(bytes))
    }

    /// RFC 8489 §6.2.1: the time from the first transmission until a UDP transaction fails (39.5 s by default).
    static func totalTimeout(_ configuration: TURNClientConfiguration) -> TimeAmount {
        let rto = configuration.initialRetransmissionTimeout.nanoseconds
        let doublings = (1 << (configuration.maximumTransmissions - 1)) - 1
        return .nanoseconds(rto * Int64(doublings) + rto * 16)
    }

    private mutating func retransmitOrFail(_ id: STUNTransactionID, _ transaction: Transaction, now: NIODeadline) {
        var transaction = transaction
        if configuration.isStreamTransport || transaction.transmissions >= configuration.maximumTransmissions {
            transactions.removeValue(forKey: id)
            fail(transaction.kind, .timeout(method: transaction.kind.method.description), now: now)
            return
        }
        transaction.transmissions += 1
        transaction.rto = transaction.rto * 2
        // After the last transmission, wait Rm (16) × the initial RTO (RFC 8489 §6.2.1).
        let wait = transaction.transmissions == configuration.maximumTransmissions
            ? configuration.initialRetransmissionTimeout * 16 : transaction.rto
        transaction.deadline = now + wait
        transactions[id] = transaction
        outputs.append(.send(transaction.bytes))
    }

    private mutating func handleResponse(_ message: STUNMessage, bytes: ByteBuffer, now: NIODeadline) {
        guard let transaction = transactions[message.transactionID] else { return }
        if message.messageClass == .successResponse {
            // RFC 8489 §9.2.5: a success response to an authenticated request must carry valid integrity.
            if transaction.authenticated {
                guard let key, (try? STUNMessage.verifyIntegrity(of: bytes, key: key)) != nil else { return }
            }
            transactions.removeValue(forKey: message.transactionID)
            succeed(transaction.kind, message, now: now)
            return
        }
        let error = message.errorCode ?? STUNErrorCode.badRequest
        let isChallenge = (error.code == 401 && !transaction.authenticated) || error.code == 438
        if isChallenge, let nonce = message.nonce {
            transactions.removeValue(forKey: message.transactionID)
            guard transaction.challenges < 3 else {
                fail(transaction.kind, .authenticationLoop(method: transaction.kind.method.description), now: now)
                return
            }
            if let realm = message.realm { self.realm = realm }
            self.nonce = nonce
            if let realm = self.realm {
                key = .longTerm(username: configuration.username, realm: realm, password: configuration.password)
            }
            sendRequest(transaction.kind, now: now, challenges: transaction.challenges + 1)
            return
        }
        // Errors other than a challenge: accept them only with valid integrity once we have a key, except the
        // 401 that says our credentials are wrong (it cannot carry integrity).
        if let key, error.code != 401, message.first(.messageIntegrity) != nil,
            (try? STUNMessage.verifyIntegrity(of: bytes, key: key)) == nil
        {
            return
        }
        transactions.removeValue(forKey: message.transactionID)
        fail(transaction.kind, .errorResponse(method: transaction.kind.method.description, error), now: now)
    }

    private mutating func succeed(_ kind: RequestKind, _ message: STUNMessage, now: NIODeadline) {
        switch kind {
        case .allocate:
            guard state == .allocating else { return }
            guard let relayed = message.xorRelayedAddress else {
                fail(kind, .missingRelayedAddress, now: now)
                return
            }
            let lifetime = message.lifetime ?? configuration.requestedLifetime
            relayedAddress = relayed
            mappedAddress = message.xorMappedAddress
            state = .allocated
            scheduleRefresh(lifetime: lifetime, now: now)
            outputs.append(.allocated(relayed: relayed, mapped: message.xorMappedAddress, lifetime: lifetime))
        case .refresh(let requested):
            let lifetime = message.lifetime ?? requested
            if requested == 0 || lifetime == 0 {
                state = .deallocated
                transactions.removeAll()
                outputs.append(.deallocated)
                return
            }
            scheduleRefresh(lifetime: lifetime, now: now)
            outputs.append(.refreshed(lifetime: lifetime))
        case .createPermission(let addresses):
            for address in addresses {
                pendingPermissions.remove(address)
                permissions[address] = now + Self.permissionRefresh
            }
            outputs.append(.permissionCreated(addresses))
        case .channelBind(let channel, let peer):
            let isNew = channels[channel] == nil
            channels[channel] = (peer, now + Self.channelRefresh)
            // ChannelBind also installs or refreshes the permission for the peer's IP (RFC 8656 §12.2).
            if permissions[peer.address] == nil || isNew { permissions[peer.address] = now + Self.permissionRefresh }
            if isNew { outputs.append(.channelBound(channel: channel, peer: peer)) }
        }
    }

    private mutating func fail(_ kind: RequestKind, _ error: TURNClientError, now: NIODeadline) {
        switch kind {
        case .allocate, .refresh:
            guard state != .deallocated else { return }
            if case .failed = state { return }
            if case .refresh(0) = kind {
                // Deleting failed (e.g. the allocation had already expired): it is gone either way.
                state = .deallocated
                transactions.removeAll()
                outputs.append(.deallocated)
                return
            }
            state = .failed(error)
            transactions.removeAll()
            outputs.append(.failed(error))
        case .createPermission(let addresses):
            for address in addresses { pendingPermissions.remove(address) }
            outputs.append(.requestFailed(error))
        case .channelBind(let channel, let peer):
            if channels[channel] == nil, channelByPeer[peer] == channel { channelByPeer.removeValue(forKey: peer) }
            outputs.append(.requestFailed(error))
        }
    }

    private mutating func scheduleRefresh(lifetime: UInt32, now: NIODeadline) {
        let seconds = Int64(lifetime)
        // A minute before expiry, or half-way for short lifetimes.
        let lead = seconds > 120 ? seconds - 60 : max(1, seconds / 2)
        refreshAt = now + .seconds(lead)
    }
}
