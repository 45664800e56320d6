import ArgumentParser

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

    func validate() throws {
        try validateHostAndPort(domainaddress, flag: "--domainaddress")
        try validateHostAndPort(apiserver, flag: "--apiserver")
        try validateHostAndPort(metrics, flag: "--metrics")
        if maxParticipants < 1 { throw ValidationError("--max-participants must be at least 1") }
        if lastN < 0 { throw ValidationError("--last-n must be 0 (no limit) or more") }
    }

    func run() async throws {
        try exitNotBuiltYet(command: "meeting sfuserver", tracking: "[sfu]")
    }
}
