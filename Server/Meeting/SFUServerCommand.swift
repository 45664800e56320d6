import ArgumentParser
import NIOCore
import NIOPosix
import SFU
import SFUCore
import ServerKit

/// `meeting sfuserver`: the WebRTC selective forwarding unit.
struct SFUServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sfuserver",
        abstract: "The media server: receives each participant's audio and video once and forwards it to the others.",
        discussion: """
            Example:
              meeting sfuserver --secret S --domainaddress 1.sfu.example.com:443 --cert c.pem --certkey k.pem \\
                --apiserver apiserver.example.com:443
            Firewall: open all TCP and UDP the server uses (signaling and ICE-TCP on 443, media on --udp-port).
            Participants connect to wss://<domainaddress>/rtc with the join token the apiserver gave them
            (docs/signaling.md). Media goes to --public-ip:--udp-port: that address must be this machine's and
            reachable by every participant; when it cannot be told unambiguously, the server refuses to start
            rather than advertise a wrong one.
            """
    )

    @OptionGroup var secret: DeploymentSecretOptions
    @Option(name: .customLong("domainaddress"), help: ArgumentHelp("Public address of this sfuserver's signaling.", valueName: "host:port"))
    var domainaddress: String
    @OptionGroup var certificate: CertificateOptions
    @Option(name: .customLong("apiserver"), help: ArgumentHelp("The apiserver to register with.", valueName: "host:port"))
    var apiserver: String
    @Option(name: .customLong("udp-port"), help: "UDP port for all media (ICE, DTLS, SRTP are multiplexed on it).")
    var udpPort: UInt16 = 3479
    @Option(name: .customLong("tcp-port"), help: "TCP port for ICE-TCP (RFC 4571 framing); may equal the signaling port.")
    var tcpPort: UInt16?
    @Option(name: .customLong("public-ip"), help: ArgumentHelp("The IP address advertised in ICE candidates.", valueName: "ip"))
    var publicIP: String?
    @Option(name: .customLong("max-participants"), help: "Refuse joins past this many participants on this server.")
    var maxParticipants: Int = 500
    @Option(name: .customLong("last-n"), help: "Forward at most this many video streams to each participant (0 = no limit).")
    var lastN: Int = 25
    @Option(name: .customLong("metrics"), help: ArgumentHelp("Serve Prometheus /metrics and /healthz on this address.", valueName: "host:port"))
    var metrics: String?
    @Option(name: .customLong("listen"), help: ArgumentHelp("Address the signaling listener binds (default: all).", valueName: "ip"))
    var listen: String = "0.0.0.0"

    func validate() throws {
        try validateHostAndPort(domainaddress, flag: "--domainaddress")
        try validateHostAndPort(apiserver, flag: "--apiserver")
        try validateHostAndPort(metrics, flag: "--metrics")
        if maxParticipants < 1 { throw ValidationError("--max-participants must be at least 1") }
        if lastN < 0 { throw ValidationError("--last-n must be 0 (no limit) or more") }
    }

    func run() async throws {
        let settings: SFUServerSettings
        do { settings = try self.settings() } catch {
            writeToStandardError("meeting sfuserver: \(error)\n")
            throw ExitCode.failure
        }
        let server: SFUServer
        do { server = try await SFUServer.start(settings: settings) } catch {
            writeToStandardError("meeting sfuserver: \(error)\n")
            throw ExitCode.failure
        }
        writeLine("meeting sfuserver: signaling \(settings.certificatePath == nil ? "ws" : "wss")://\(domainaddress)/rtc "
            + "(listening on \(listen):\(server.signalingPort)), media UDP \(server.mediaAddress.ipAddress ?? "?"):\(server.mediaAddress.port ?? 0)"
            + (settings.apiserver.map { ", registering with \($0)" } ?? ""))
        await ShutdownSignal.wait()
        writeLine("meeting sfuserver: draining")
        await server.shutdown()
        writeLine("meeting sfuserver: stopped")
    }

    func settings() throws -> SFUServerSettings {
        let domain = try HostAndPort(parsing: domainaddress)
        let api = try HostAndPort(parsing: apiserver)
        let mediaIP = try Self.mediaAddress(publicIP: publicIP, domainHost: domain.host)
        if certificate.cert == nil && !Self.isLoopback(domain.host) {
            writeToStandardError("meeting sfuserver: WARNING: no --cert/--certkey: signaling is plain ws://, which browsers refuse from an https page; use TLS everywhere but localhost\n")
        }
        var room = RoomConfiguration()
        room.maximumParticipants = maxParticipants
        if lastN > 0 { room.slots.video = min(lastN, room.slots.video) }
        return SFUServerSettings(tokens: TokenAuthority(secret: secret.secret), domainAddress: domainaddress,
            listenHost: listen, listenPort: Int(domain.port), mediaHost: mediaIP, udpPort: Int(udpPort),
            certificatePath: certificate.cert, privateKeyPath: certificate.certkey, apiserver: api,
            apiserverTLS: !Self.isLoopback(api.host), metricsAddress: try metrics.map { try HostAndPort(parsing: $0) },
            room: room, maximumParticipants: maxParticipants)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.") || host == "::1"
    }

    /// The media address: `--public-ip`, else the domain's host when it is an IP literal, else the only
    /// non-loopback IPv4 address of this machine. Anything ambiguous is an error that says what to pass.
    static func mediaAddress(publicIP: String?, domainHost: String) throws -> String {
        if let publicIP {
            guard (try? SocketAddress(ipAddress: publicIP, port: 0)) != nil else {
                throw ValidationError("--public-ip \(publicIP) is not an IP address")
            }
            return publicIP
        }
        if (try? SocketAddress(ipAddress: domainHost, port: 0)) != nil { return domainHost }
        let candidates = Set(((try? System.enumerateDevices()) ?? []).compactMap { device -> String? in
            guard let address = device.address, case .v4 = address, let ip = address.ipAddress,
                !ip.hasPrefix("127.")
            else { return nil }
            return ip
        })
        guard candidates.count == 1, let only = candidates.first else {
            throw ValidationError("""
                cannot tell which IP address participants reach this sfuserver on \
                (\(candidates.isEmpty ? "no non-loopback IPv4 address" : "candidates: " + candidates.sorted().joined(separator: ", "))): \
                pass --public-ip. A wrong advertised address is how "works with two, breaks with three" happens.
                """)
        }
        writeToStandardError("meeting sfuserver: advertising media on \(only), the only IPv4 address of this machine (set --public-ip to override)\n")
        return only
    }
}
