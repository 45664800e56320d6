import Dispatch
import NIOCore
import NIOPosix
import NIOSSL
import STUN
import ServerKit

/// The running turnserver: NIO drivers around one ``TURNServerCore`` per event loop (DESIGN.md §5: one event loop
/// per core, `SO_REUSEPORT` so the kernel spreads clients over them by 5-tuple).
///
/// Per loop it binds a UDP and a TCP listener on each listen address, a TLS listener when configured, and one UDP
/// relay socket per allocation in its share of the relay ports. Use ``start(settings:)``, then
/// ``runUntilShutdownSignal()`` or ``shutdown()``.
public final class TURNServer: Sendable {
    let group: MultiThreadedEventLoopGroup
    let contexts: [NIOLoopBound<TURNLoopContext>]
    let listeners: [any Channel]
    /// The UDP/TCP port actually bound (differs from the setting when that was 0).
    public let port: Int
    /// The TLS port actually bound, if TLS is on.
    public let tlsPort: Int?
    /// The metrics port actually bound, if metrics are on.
    public let metricsPort: Int?

    private init(group: MultiThreadedEventLoopGroup, contexts: [NIOLoopBound<TURNLoopContext>],
        listeners: [any Channel], port: Int, tlsPort: Int?, metricsPort: Int?)
    {
        self.group = group
        self.contexts = contexts
        self.listeners = listeners
        self.port = port
        self.tlsPort = tlsPort
        self.metricsPort = metricsPort
    }

    /// Binds every socket and starts serving. Throws a ``TURNServerError`` that says what to fix (port in use, bad
    /// certificate, bad address); nothing is left running then.
    public static func start(settings: TURNServerSettings) async throws(TURNServerError) -> TURNServer {
        do {
            return try await startUntyped(settings: settings)
        } catch let error as TURNServerError {
            throw error
        } catch {
            throw TURNServerError(.bindFailed, "could not start: \(error)")
        }
    }

    private static func startUntyped(settings: TURNServerSettings) async throws -> TURNServer {
        let sslContext = try makeSSLContext(settings)
        let threads = settings.threads > 0 ? settings.threads : System.coreCount
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let loops = Array(group.makeIterator())
        do {
            let contexts = try await makeContexts(settings: settings, loops: loops)
            let explicitListen = !settings.listenAddresses.isEmpty
            let listenAddresses = explicitListen ? settings.listenAddresses : ["0.0.0.0", "::"]
            var listeners: [any Channel] = []
            var port = Int(settings.port)
            var tlsPort = settings.tlsPort.map(Int.init)
            for address in listenAddresses {
                let bound = await bindListeners(host: address, port: port, tlsPort: tlsPort, contexts: contexts,
                    tls: sslContext)
                switch bound {
                case .success(let result):
                    listeners += result.channels
                    port = result.port
                    tlsPort = result.tlsPort
                case .failure(let error):
                    // Without --listen, a host with no IPv6 simply serves IPv4.
                    if !explicitListen && address == "::" { continue }
                    throw error
                }
            }
            var metricsPort: Int?
            if let metrics = settings.metricsAddress {
                let channel = try await TURNMetricsEndpoint.bind(host: metrics.host, port: Int(metrics.port),
                    group: group, contexts: contexts)
                listeners.append(channel)
                metricsPort = channel.localAddress?.port
            }
            for context in contexts {
                try? await context.eventLoop.submit {
                    let loopContext = context.value
                    loopContext.timer = loopContext.eventLoop.scheduleRepeatedTask(
                        initialDelay: .seconds(1), delay: .seconds(1)
                    ) { _ in
                        context.value.tick()
                    }
                }.get()
            }
            return TURNServer(group: group, contexts: contexts, listeners: listeners, port: port, tlsPort: tlsPort,
                metricsPort: metricsPort)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    static func makeSSLContext(_ settings: TURNServerSettings) throws(TURNServerError) -> NIOSSLContext? {
        guard settings.tlsPort != nil else { return nil }
        guard let certificatePath = settings.certificatePath, let keyPath = settings.privateKeyPath else {
            throw TURNServerError(.badFlag, "--tls-port needs --cert and --certkey")
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw TURNServerError(.badCertificate,
                "--cert \(certificatePath): cannot read a PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else {
            throw TURNServerError(.badCertificate, "--cert \(certificatePath): no certificate in the file")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw TURNServerError(.badCertificate, "--certkey \(keyPath): cannot read a PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw TURNServerError(.badCertificate,
                "--cert/--certkey: the key does not fit the certificate or is unusable (\(error))")
        }
    }

    static func makeContexts(settings: TURNServerSettings, loops: [any EventLoop]) async throws
        -> [NIOLoopBound<TURNLoopContext>]
    {
        let listenIPs = settings.listenAddresses.compactMap { STUNIPAddress($0) }
        let bindV4 = listenIPs.first { $0.isIPv4 && $0 != .v4(0) }?.description ?? "0.0.0.0"
        let bindV6 = listenIPs.first { !$0.isIPv4 && $0 != .v6(0, 0) }?.description ?? "::"
        // Each loop gets its own slice of the relay ports, so cores never hand out the same port.
        let range = settings.core.relayPorts
        let total = range.count
        let share = max(1, total / loops.count)
        var contexts: [NIOLoopBound<TURNLoopContext>] = []
        for (index, loop) in loops.enumerated() {
            var configuration = settings.core
            configuration.coreIndex = UInt8(truncatingIfNeeded: index)
            let low = Int(range.lowerBound) + index * share
            let high = index == loops.count - 1 ? Int(range.upperBound) : min(Int(range.upperBound), low + share - 1)
            if let lowPort = UInt16(exactly: min(low, Int(range.upperBound))), let highPort = UInt16(exactly: high),
                lowPort <= highPort
            {
                configuration.relayPorts = lowPort...highPort
            }
            let coreConfiguration = configuration
            let bound = try await loop.submit {
                NIOLoopBound(
                    TURNLoopContext(eventLoop: loop, core: TURNServerCore(configuration: coreConfiguration),
                        relayBindIPv4: bindV4, relayBindIPv6: bindV6),
                    eventLoop: loop)
            }.get()
            contexts.append(bound)
        }
        let all = contexts
        for context in contexts {
            try await context.eventLoop.submit {
                context.value.siblings = all
                context.value.loopBoundSelf = context
            }.get()
        }
        return contexts
    }

    struct BoundListeners {
        var channels: [any Channel]
        var port: Int
        var tlsPort: Int?
    }

    /// Binds UDP, TCP (and TLS) on `host` for every loop; a port of 0 is resolved by the first bind and reused.
    static func bindListeners(host: String, port: Int, tlsPort: Int?, contexts: [NIOLoopBound<TURNLoopContext>],
        tls: NIOSSLContext?) async -> Result<BoundListeners, TURNServerError>
    {
        var result = BoundListeners(channels: [], port: port, tlsPort: tlsPort)
        do {
            // SO_REUSEPORT would let a second server of the same user share the port silently: probe first
            // with plain sockets, so "port in use" is reported as such.
            if let group = contexts.first?.eventLoop {
                if port != 0 {
                    try await probe(host: host, port: port, group: group)
                }
                if let tlsPort, tlsPort != 0, tls != nil {
                    try await probe(host: host, port: tlsPort, group: group, tcpOnly: true)
                }
            }
            for context in contexts {
                let udp = try await bindUDP(host: host, port: result.port, context: context)
                result.channels.append(udp)
                if result.port == 0 { result.port = udp.localAddress?.port ?? 0 }
                result.channels.append(try await bindStream(host: host, port: result.port, context: context, tls: nil))
                if let tls, let wanted = result.tlsPort {
                    let channel = try await bindStream(host: host, port: wanted, context: context, tls: tls)
                    result.channels.append(channel)
                    if wanted == 0 { result.tlsPort = channel.localAddress?.port }
                }
            }
            return .success(result)
        } catch {
            for channel in result.channels { try? await channel.close() }
            return .failure(error)
        }
    }

    /// Binds and closes plain (no SO_REUSEPORT) UDP and TCP sockets on `host:port`.
    static func probe(host: String, port: Int, group: any EventLoop, tcpOnly: Bool = false)
        async throws(TURNServerError)
    {
        do {
            if !tcpOnly {
                let udp = try await DatagramBootstrap(group: group).bind(host: host, port: port).get()
                try? await udp.close()
            }
        } catch {
            throw bindError(error, what: "UDP", host: host, port: port)
        }
        do {
            let tcp = try await ServerBootstrap(group: group).bind(host: host, port: port).get()
            try? await tcp.close()
        } catch {
            throw bindError(error, what: "TCP", host: host, port: port)
        }
    }

    static let reusePort = ChannelOptions.Types.SocketOption(level: Int(SOL_SOCKET), name: SO_REUSEPORT)
    static let ipv6Only = ChannelOptions.Types.SocketOption(level: .ipv6, name: .ipv6_v6only)

    static func bindUDP(host: String, port: Int, context: NIOLoopBound<TURNLoopContext>) async throws(TURNServerError)
        -> any Channel
    {
        let bootstrap = DatagramBootstrap(group: context.eventLoop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(reusePort, value: 1)
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelOption(.socketOption(.so_sndbuf), value: 4 << 20)
            .channelOption(.maxMessagesPerRead, value: 16)
            .channelOption(.datagramVectorReadMessageCount, value: 16)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 16 * 4096))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if host.contains(":") {
                        try channel.syncOptions?.setOption(
                            ipv6Only, value: 1)
                    }
                    try channel.pipeline.syncOperations.addHandler(TURNUDPListenerHandler(context: context.value))
                }
            }
        do {
            return try await bootstrap.bind(host: host, port: port).get()
        } catch {
            throw bindError(error, what: "UDP", host: host, port: port)
        }
    }

    static func bindStream(host: String, port: Int, context: NIOLoopBound<TURNLoopContext>, tls: NIOSSLContext?)
        async throws(TURNServerError) -> any Channel
    {
        let bootstrap = ServerBootstrap(group: context.eventLoop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(reusePort, value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if host.contains(":") {
                        try channel.syncOptions?.setOption(
                            ipv6Only, value: 1)
                    }
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        TURNStreamHandler(context: context.value, transport: tls == nil ? .tcp : .tls))
                }
            }
        do {
            return try await bootstrap.bind(host: host, port: port).get()
        } catch {
            throw bindError(error, what: tls == nil ? "TCP" : "TLS", host: host, port: port)
        }
    }

    static func bindError(_ error: any Error, what: String, host: String, port: Int) -> TURNServerError {
        if let io = error as? IOError, io.errnoCode == EADDRINUSE {
            return TURNServerError(.portInUse,
                "\(what) \(host):\(port) is already in use by another process; stop it or choose another --port")
        }
        if let io = error as? IOError, io.errnoCode == EACCES {
            return TURNServerError(.bindFailed,
                "\(what) \(host):\(port): permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)")
        }
        if let io = error as? IOError, io.errnoCode == EADDRNOTAVAIL {
            return TURNServerError(.bindFailed, "\(what) \(host):\(port): no such local address (check --listen)")
        }
        return TURNServerError(.bindFailed, "\(what) \(host):\(port): cannot bind (\(error))")
    }

    /// The counters of every core, summed.
    public func metrics() async -> TURNMetrics {
        var total = TURNMetrics()
        for context in contexts {
            if let metrics = try? await context.eventLoop.submit({ context.value.core.metrics }).get() {
                total.add(metrics)
            }
        }
        return total
    }

    /// Stops accepting, closes every listener and relay, and stops the event loops.
    public func shutdown() async {
        for listener in listeners { try? await listener.close() }
        for context in contexts {
            try? await context.eventLoop.submit {
                let loopContext = context.value
                loopContext.timer?.cancel()
                for channel in loopContext.relays.values { channel.close(promise: nil) }
                for channel in loopContext.streamConnections.values { channel.close(promise: nil) }
                loopContext.relays.removeAll()
            }.get()
        }
        try? await group.shutdownGracefully()
    }

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully.
    public func runUntilShutdownSignal() async {
        await ShutdownSignal.wait()
        await shutdown()
    }
}
