import ArgumentParser
import ServerKit
import TURN

/// `meeting turnserver`: STUN/TURN relay.
struct TURNServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "turnserver",
        abstract: "STUN/TURN relay (UDP, TCP, TLS) so participants behind NAT and firewalls reach the meeting.",
        discussion: """
            Example:
              meeting turnserver --secret S --port 3478 --ip 203.0.113.7 --apiserver apiserver.example.com:443
            Relaying to loopback, private, link-local and metadata addresses is denied unless --allow-peer says so.
            Firewall: open --port (UDP and TCP), --tls-port (TCP) and --relay-ports (UDP).
            """
    )

    @OptionGroup var secret: DeploymentSecretOptions
    @Option(name: .customLong("port"), help: "STUN/TURN port on UDP and TCP.")
    var port: UInt16 = 3478
    @Option(name: .customLong("ip"), help: ArgumentHelp("The address clients reach this server at (public IP for outside users).", valueName: "ip"))
    var ip: String
    @Option(
        name: .customLong("apiserver"),
        help: ArgumentHelp(
            "The apiserver to register with (wss://host:port/v1/registry; ws:// for a loopback apiserver).",
            discussion: "Authenticated with a key derived from --secret; announces --ip:--port and heartbeats the number of allocations.",
            valueName: "host:port"))
    var apiserver: String?
    @Option(name: .customLong("listen"), help: ArgumentHelp("Local address to listen on; repeatable (default: all).", valueName: "addr"))
    var listen: [String] = []
    @Option(name: .customLong("tls-port"), help: "TURN over TLS port (e.g. 443); needs --cert/--certkey.")
    var tlsPort: UInt16?
    @OptionGroup var certificate: CertificateOptions
    @Option(name: .customLong("relay-ports"), help: ArgumentHelp("UDP ports for relayed addresses.", valueName: "low-high"))
    var relayPorts: String = "49152-65535"
    @Option(name: .customLong("realm"), help: "Realm for long-term credentials.")
    var realm: String = "meeting"
    @Option(name: .customLong("static-auth-secret"), help: "Accept coturn's TURN REST credentials made with this raw key.")
    var staticAuthSecret: String?
    @Option(name: .customLong("allow-peer"), help: ArgumentHelp("Allow relaying to this CIDR; repeatable.", valueName: "cidr"))
    var allowPeer: [String] = []
    @Option(name: .customLong("deny-peer"), help: ArgumentHelp("Deny relaying to this CIDR; repeatable.", valueName: "cidr"))
    var denyPeer: [String] = []
    @Flag(name: .customLong("allow-loopback-peers"), help: "Allow relaying to 127.0.0.0/8 and ::1 (tests only).")
    var allowLoopbackPeers = false
    @Option(name: .customLong("user-quota"), help: "Maximum simultaneous allocations per user (0 = no limit).")
    var userQuota: Int = 10
    @Option(name: .customLong("max-bps"), help: "Maximum relayed bits per second per allocation (0 = no limit).")
    var maxBPS: Int = 0
    @Option(name: .customLong("metrics"), help: ArgumentHelp("Serve Prometheus /metrics and /healthz on this address.", valueName: "host:port"))
    var metrics: String?

    func validate() throws {
        try validateHostAndPort(apiserver, flag: "--apiserver")
        try validateHostAndPort(metrics, flag: "--metrics")
        do {
            _ = try PortRange(parsing: relayPorts)
        } catch {
            throw ValidationError("--relay-ports: \(error)")
        }
        if tlsPort != nil && certificate.cert == nil {
            throw ValidationError("--tls-port needs --cert and --certkey")
        }
        do {
            _ = try settings()
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// The flags as library values; the rules live in ``TURNServerSettings/fromFlags``.
    func settings() throws(TURNServerError) -> TURNServerSettings {
        try TURNServerSettings.fromFlags(
            deploymentSecret: secret.secret, publicIP: ip, port: port, listen: listen, tlsPort: tlsPort,
            certificatePath: certificate.cert, privateKeyPath: certificate.certkey, relayPorts: relayPorts,
            realm: realm, staticAuthSecret: staticAuthSecret, allowPeers: allowPeer, denyPeers: denyPeer,
            allowLoopbackPeers: allowLoopbackPeers, userQuota: userQuota, maxBitsPerSecond: maxBPS,
            metrics: metrics)
    }

    /// `ip:port`, with brackets around an IPv6 address.
    static func announced(ip: String, port: Int) -> String {
        ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    func run() async throws {
        let server: TURNServer
        do {
            server = try await TURNServer.start(settings: try settings())
        } catch {
            writeToStandardError("meeting turnserver: \(error)\n")
            throw ExitCode.failure
        }
        writeLine("meeting turnserver: STUN/TURN on UDP and TCP port \(server.port)"
            + (server.tlsPort.map { ", TLS port \($0)" } ?? "")
            + (server.metricsPort.map { ", metrics on port \($0)" } ?? "")
            + "; relaying on \(relayPorts) as \(ip)")
        var registration: Task<Void, Never>?
        if let apiserver {
            let api = try HostAndPort(parsing: apiserver, defaultPort: 443)
            let relayCount = (try? PortRange(parsing: relayPorts))?.count ?? 0
            registration = server.registerWithAPIServer(api, tls: !SFUServerCommand.isLoopback(api.host),
                tokens: TokenAuthority(secret: secret.secret), address: Self.announced(ip: ip, port: server.port),
                capacity: relayCount) { event in
                    switch event {
                    case .registered(let id, _):
                        writeLine("meeting turnserver: registered with the apiserver \(apiserver) as \(id)")
                    case .disconnected(let reason, let retryIn):
                        writeToStandardError(
                            "meeting turnserver: apiserver \(apiserver): \(reason); retrying in \(retryIn)\n")
                    }
                }
        }
        await server.runUntilShutdownSignal()
        registration?.cancel()
        await registration?.value
        writeLine("meeting turnserver: stopped")
    }
}
