import DTLS
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import SFUCore
import ServerKit
import WebRTCDriver

/// The sfuserver: signaling WebSocket at `/rtc` (docs/signaling.md), one UDP media socket whose event loop holds
/// every room, registration with the apiserver, `/metrics` and `/healthz`.
///
/// Each participant's signaling connection is verified locally with its join token (DESIGN.md §3) and then every
/// message runs on the media loop, where the room's state and PeerConnections live, so forwarding needs no lock
/// or actor hop (DESIGN.md §5).
public final class SFUServer: Sendable {
    /// The signaling port actually bound (useful with port 0).
    public let signalingPort: Int
    /// The media socket's address: the ICE host candidate of every connection.
    public let mediaAddress: SocketAddress
    public let settings: SFUServerSettings
    let socket: MediaSocket
    let engine: NIOLoopBound<SFUEngine>
    let snapshotBox: NIOLockedValueBox<SFUMetricsSnapshot>
    let tasks: NIOLockedValueBox<[Task<Void, Never>]>
    let ticker: NIOLockedValueBox<RepeatedTask?>
    let registeredBox = NIOLockedValueBox(false)
    let metricsChannel: (any Channel)?
    let applicationTask: Task<Void, any Error>
    let logger: Logger

    init(signalingPort: Int, mediaAddress: SocketAddress, settings: SFUServerSettings, socket: MediaSocket,
        engine: NIOLoopBound<SFUEngine>, snapshotBox: NIOLockedValueBox<SFUMetricsSnapshot>,
        metricsChannel: (any Channel)?, applicationTask: Task<Void, any Error>, logger: Logger)
    {
        self.signalingPort = signalingPort
        self.mediaAddress = mediaAddress
        self.settings = settings
        self.socket = socket
        self.engine = engine
        self.snapshotBox = snapshotBox
        self.metricsChannel = metricsChannel
        self.applicationTask = applicationTask
        self.logger = logger
        tasks = NIOLockedValueBox([])
        ticker = NIOLockedValueBox(nil)
    }

    /// The latest counters (updated every 200 ms).
    public var metrics: SFUMetricsSnapshot { snapshotBox.withLockedValue { $0 } }

    /// Binds the media socket and the signaling listener, starts the room ticker, `/metrics` and registration.
    public static func start(settings: SFUServerSettings, logger: Logger = Logger(label: "meeting.sfuserver"))
        async throws(SFUServerStartError) -> SFUServer
    {
        let certificate: DTLSCertificate
        do { certificate = try DTLSCertificate.generate(commonName: "meeting-sfuserver") } catch {
            throw SFUServerStartError("cannot create the DTLS certificate: \(error)")
        }
        let socket: MediaSocket
        do {
            socket = try await MediaSocket.bind(host: settings.mediaHost, port: settings.udpPort,
                group: MultiThreadedEventLoopGroup.singleton)
        } catch {
            throw SFUServerStartError("media UDP socket on \(settings.mediaHost):\(settings.udpPort): \(error)")
        }
        let engine: NIOLoopBound<SFUEngine>
        do {
            engine = try await socket.withTransport { transport in
                NIOLoopBound(SFUEngine(transport: transport, certificate: certificate, room: settings.room,
                    maximumParticipants: settings.maximumParticipants), eventLoop: transport.eventLoop)
            }
        } catch {
            await socket.close()
            throw SFUServerStartError("cannot start the media loop: \(error)")
        }
        let snapshotBox = NIOLockedValueBox(SFUMetricsSnapshot())
        let application: Application<RouterResponder<BasicWebSocketRequestContext>>
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        do {
            application = try makeApplication(settings: settings, socket: socket, engine: engine,
                snapshotBox: snapshotBox, logger: logger) { port in portContinuation.yield(port) }
        } catch {
            await socket.close()
            throw error
        }
        let applicationTask = Task { try await application.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            await socket.close()
            let failure = await applicationTask.result
            throw SFUServerStartError("the signaling listener on \(settings.listenHost):\(settings.listenPort) did not start: \(failure)")
        }
        var metricsChannel: (any Channel)?
        if let address = settings.metricsAddress {
            do {
                metricsChannel = try await HealthAndMetricsEndpoint.bind(host: address.host, port: Int(address.port),
                    health: { snapshotBox.withLockedValue { $0.draining ? "draining" : nil } },
                    metrics: { prometheusText(snapshotBox.withLockedValue { $0 }) })
            } catch {
                applicationTask.cancel()
                await socket.close()
                throw SFUServerStartError("--metrics \(address): \(error)")
            }
        }
        let server = SFUServer(signalingPort: port, mediaAddress: socket.localAddress, settings: settings,
            socket: socket, engine: engine, snapshotBox: snapshotBox, metricsChannel: metricsChannel,
            applicationTask: applicationTask, logger: logger)
        server.startTicker()
        server.startRegistration()
        return server
    }

    func startTicker() {
        let engine = self.engine
        let snapshotBox = self.snapshotBox
        let task = socket.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(200), delay: .milliseconds(200)) { _ in
            let snapshot = engine.value.tick()
            snapshotBox.withLockedValue { $0 = snapshot }
        }
        ticker.withLockedValue { $0 = task }
    }

    func startRegistration() {
        guard let apiserver = settings.apiserver else { return }
        let configuration = RegistryClient.Configuration(
            url: RegistryClient.registryURL(apiserver: apiserver, tls: settings.apiserverTLS), kind: .sfu,
            address: settings.domainAddress, capacity: settings.maximumParticipants, tokens: settings.tokens)
        let client = RegistryClient(configuration: configuration, logger: logger)
        let snapshotBox = self.snapshotBox
        let logger = self.logger
        let registered = registeredBox
        let task = Task {
            await client.run(status: {
                let snapshot = snapshotBox.withLockedValue { $0 }
                return RegistryStatus(load: snapshot.participants, draining: snapshot.draining)
            }, onEvent: { event in
                switch event {
                case .registered(let id, _):
                    registered.withLockedValue { $0 = true }
                    logger.info("registered with the apiserver as \(id)")
                case .disconnected:
                    registered.withLockedValue { $0 = false }
                }
            })
        }
        tasks.withLockedValue { $0.append(task) }
    }

    /// Whether the apiserver has accepted the registration (and the connection is up).
    public var isRegistered: Bool { registeredBox.withLockedValue { $0 } }

    /// Waits until the apiserver accepted the registration, at most `timeout`; returns whether it did.
    public func waitUntilRegistered(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if isRegistered { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return isRegistered
    }

    /// Graceful shutdown: refuse new joins, tell every participant to rejoin elsewhere, close the connections,
    /// then the listeners and the socket.
    public func shutdown() async {
        let engine = self.engine
        let snapshot = try? await socket.eventLoop.submit {
            engine.value.drain()
            return engine.value.snapshot
        }.get()
        if let snapshot { snapshotBox.withLockedValue { $0 = snapshot } }
        ticker.withLockedValue { $0?.cancel() }
        // Let the close messages reach the participants before the listener goes.
        try? await Task.sleep(for: .milliseconds(100))
        for task in tasks.withLockedValue({ $0 }) { task.cancel() }
        applicationTask.cancel()
        _ = await applicationTask.result
        try? await metricsChannel?.close()
        await socket.close()
    }

    /// Runs until the task is cancelled (the command cancels it on SIGTERM/SIGINT), then shuts down.
    public func runUntilCancelled() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(3600))
        }
        await shutdown()
    }

    static func makeApplication(settings: SFUServerSettings, socket: MediaSocket, engine: NIOLoopBound<SFUEngine>,
        snapshotBox: NIOLockedValueBox<SFUMetricsSnapshot>, logger: Logger,
        onRunning: @escaping @Sendable (Int) -> Void) throws(SFUServerStartError)
        -> Application<RouterResponder<BasicWebSocketRequestContext>>
    {
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.get("/healthz") { _, _ -> Response in
            let draining = snapshotBox.withLockedValue { $0.draining }
            return Response(status: draining ? .serviceUnavailable : .ok,
                body: .init(byteBuffer: ByteBuffer(string: draining ? "draining\n" : "ok\n")))
        }
        let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
        let sessions = SessionCounter()
        webSocketRouter.ws("/rtc") { _, _ in
            .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            let token = context.request.uri.queryParameters["token"].map(String.init)
            try await SignalingConnection(sessionID: sessions.next(), settings: settings, socket: socket,
                engine: engine, logger: logger).serve(token: token, inbound: inbound, outbound: outbound)
        }
        var server: HTTPServerBuilder = .http1WebSocketUpgrade(webSocketRouter: webSocketRouter,
            configuration: .init(maxFrameSize: maximumSignalingMessageBytes))
        if let certificatePath = settings.certificatePath, let keyPath = settings.privateKeyPath {
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
                let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
                server = try .tls(server, tlsConfiguration: TLSConfiguration.makeServerConfiguration(
                    certificateChain: chain, privateKey: .privateKey(key)))
            } catch {
                throw SFUServerStartError(
                    "--cert \(certificatePath) / --certkey \(keyPath): cannot use them as a PEM certificate chain and key (\(error))")
            }
        }
        return Application(router: router, server: server,
            configuration: .init(address: .hostname(settings.listenHost, port: settings.listenPort),
                serverName: "meeting-sfuserver"),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}

/// Session ids for signaling connections.
final class SessionCounter: Sendable {
    private let value = NIOLockedValueBox(0)
    func next() -> Int { value.withLockedValue { $0 += 1; return $0 } }
}

/// The Prometheus text of the counters.
func prometheusText(_ snapshot: SFUMetricsSnapshot) -> String {
    var text = PrometheusText()
    text.family("meeting_sfu_rooms", .gauge, help: "Rooms with at least one participant on this sfuserver.")
    text.sample("meeting_sfu_rooms", snapshot.rooms)
    text.family("meeting_sfu_participants", .gauge, help: "Participants connected to this sfuserver.")
    text.sample("meeting_sfu_participants", snapshot.participants)
    text.family("meeting_sfu_packets_total", .counter, help: "RTP packets received from publishers and forwarded.")
    text.sample("meeting_sfu_packets_total", snapshot.packetsIn, labels: ["direction": "in"])
    text.sample("meeting_sfu_packets_total", snapshot.packetsOut, labels: ["direction": "out"])
    text.family("meeting_sfu_bytes_total", .counter, help: "RTP bytes received from publishers and forwarded.")
    text.sample("meeting_sfu_bytes_total", snapshot.bytesIn, labels: ["direction": "in"])
    text.sample("meeting_sfu_bytes_total", snapshot.bytesOut, labels: ["direction": "out"])
    text.family("meeting_sfu_keyframe_requests_total", .counter, help: "PLI/FIR from subscribers and PLIs sent to publishers.")
    text.sample("meeting_sfu_keyframe_requests_total", snapshot.keyframeRequestsFromSubscribers, labels: ["from": "subscribers"])
    text.sample("meeting_sfu_keyframe_requests_total", snapshot.keyframeRequestsToPublishers, labels: ["from": "sfu"])
    text.family("meeting_sfu_joins_total", .counter, help: "Signaling joins accepted and refused.")
    text.sample("meeting_sfu_joins_total", snapshot.joins, labels: ["result": "accepted"])
    text.sample("meeting_sfu_joins_total", snapshot.refusedJoins, labels: ["result": "refused"])
    text.family("meeting_sfu_draining", .gauge, help: "1 while the server drains for shutdown.")
    text.sample("meeting_sfu_draining", snapshot.draining ? 1 : 0)
    return text.text
}
