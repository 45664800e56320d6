import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import WSClient

/// What a registered server reports in each heartbeat.
public struct RegistryStatus: Sendable, Hashable {
    public var load: Int
    public var draining: Bool

    public init(load: Int, draining: Bool = false) {
        self.load = load
        self.draining = draining
    }
}

/// What happened on the registry connection, for logs and tests.
public enum RegistryEvent: Sendable, Hashable {
    /// The apiserver accepted the server and gave it an id and a heartbeat interval.
    case registered(serverID: String, heartbeatSeconds: Double)
    /// The connection ended or could not be made; the client reconnects after `retryIn`.
    case disconnected(reason: String, retryIn: Duration)
}

/// Keeps an sfu/turn/fs server registered with the apiserver (``RegistryMessage`` describes the protocol):
/// connects with a fresh server credential, announces capacity, heartbeats the load on the interval the apiserver
/// names, and reconnects with exponential back-off (capped) whenever the connection drops — for as long as the
/// task running ``run(status:onEvent:)`` is not cancelled.
public struct RegistryClient: Sendable {
    public struct Configuration: Sendable {
        /// The registry URL, e.g. `wss://apiserver.example.com:443/v1/registry` (see ``registryURL(apiserver:tls:)``).
        public var url: String
        public var kind: ServerKind
        /// The public address this server announces (`host:port`).
        public var address: String
        public var capacity: Int
        /// The deployment's keys (only the server key is used).
        public var tokens: TokenAuthority
        /// TLS settings for `wss://` (nil: system trust roots).
        public var tlsConfiguration: TLSConfiguration?
        /// First reconnect delay; doubles per failure up to ``maximumReconnectDelay``.
        public var reconnectDelay: Duration = .milliseconds(500)
        public var maximumReconnectDelay: Duration = .seconds(30)

        public init(url: String, kind: ServerKind, address: String, capacity: Int, tokens: TokenAuthority,
            tlsConfiguration: TLSConfiguration? = nil)
        {
            self.url = url
            self.kind = kind
            self.address = address
            self.capacity = capacity
            self.tokens = tokens
            self.tlsConfiguration = tlsConfiguration
        }
    }

    public let configuration: Configuration
    public let logger: Logger

    public init(configuration: Configuration, logger: Logger = Logger(label: "meeting.registry-client")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// `wss://host:port/v1/registry` for an `--apiserver host:port` flag (`ws://` when `tls` is false, as on a
    /// `meeting up` machine serving plain HTTP on localhost).
    public static func registryURL(apiserver: HostAndPort, tls: Bool = true) -> String {
        "\(tls ? "wss" : "ws")://\(apiserver)\(RegistryMessage.path)"
    }

    /// Runs until cancelled. `status` is read for every heartbeat.
    public func run(status: @escaping @Sendable () -> RegistryStatus,
        onEvent: @escaping @Sendable (RegistryEvent) -> Void = { _ in }) async
    {
        var delay = configuration.reconnectDelay
        while !Task.isCancelled {
            let reason: String
            do {
                let registered = try await connectOnce(status: status, onEvent: onEvent)
                if registered { delay = configuration.reconnectDelay }
                reason = "the apiserver closed the registry connection"
            } catch {
                reason = "\(error)"
            }
            if Task.isCancelled { return }
            logger.warning("registry: \(reason); reconnecting in \(delay)")
            onEvent(.disconnected(reason: reason, retryIn: delay))
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, configuration.maximumReconnectDelay)
        }
    }

    /// One connection: returns whether the apiserver welcomed the server before the connection ended.
    private func connectOnce(status: @escaping @Sendable () -> RegistryStatus,
        onEvent: @escaping @Sendable (RegistryEvent) -> Void) async throws -> Bool
    {
        let now = Int64(Date().timeIntervalSince1970)
        let credential = try configuration.tokens.serverCredential(kind: configuration.kind,
            address: configuration.address, now: now)
        var wsConfiguration = WebSocketClientConfiguration()
        wsConfiguration.additionalHeaders[.authorization] = "Bearer \(credential)"
        let capacity = configuration.capacity
        let logger = self.logger
        let welcomed = RegistryWelcomeFlag()
        let client = WebSocketClient(url: configuration.url, configuration: wsConfiguration,
            tlsConfiguration: configuration.tlsConfiguration, logger: logger)
        { inbound, outbound, _ in
            let first = status()
            try await outbound.write(.text(try Self.encode(.announce(capacity: capacity, load: first.load,
                draining: first.draining))))
            var messages = inbound.messages(maxSize: 64 * 1024).makeAsyncIterator()
            guard case .text(let text)? = try await messages.next() else { return }
            let welcome = try JSONDecoder().decode(RegistryMessage.self, from: Data(text.utf8))
            guard welcome.type == .welcome, let serverID = welcome.serverID,
                let interval = welcome.heartbeatSeconds, interval > 0, interval <= 3600
            else {
                throw RegistryClientError(message: "the apiserver refused the registration: \(welcome.message ?? text)")
            }
            welcomed.set()
            onEvent(.registered(serverID: serverID, heartbeatSeconds: interval))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: .milliseconds(Int64(interval * 1000)))
                        let current = status()
                        try await outbound.write(.text(try Self.encode(.heartbeat(load: current.load,
                            draining: current.draining))))
                    }
                }
                // Inbound ends when the apiserver closes; anything it sends meanwhile is logged.
                while let message = try await messages.next() {
                    if case .text(let text) = message { logger.info("registry: apiserver says \(text)") }
                }
                group.cancelAll()
            }
        }
        try await client.run()
        return welcomed.value
    }

    static func encode(_ message: RegistryMessage) throws -> String {
        String(decoding: try JSONEncoder().encode(message), as: UTF8.self)
    }
}

/// Why registering failed.
public struct RegistryClientError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Set once from inside the WebSocket handler, read after it returns.
private final class RegistryWelcomeFlag: Sendable {
    private let box = Mutex(false)
    func set() { box.withLock { $0 = true } }
    var value: Bool { box.withLock { $0 } }
}
