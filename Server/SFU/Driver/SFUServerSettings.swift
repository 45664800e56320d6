import SFUCore
import ServerKit

/// Everything `meeting sfuserver` needs, validated by the command (flags) and by ``SFUServer/start(settings:logger:)``.
public struct SFUServerSettings: Sendable {
    /// The deployment's `--secret`: join tokens are verified with the key derived from it for "join", the registry
    /// credential with the one for "server" (DESIGN.md §3).
    public var tokens: TokenAuthority
    /// `--domainaddress`: this server's public signaling `host:port`. Join tokens must name exactly this (`sfu`
    /// claim), so a token minted for another sfuserver is refused.
    public var domainAddress: String
    /// Where the signaling HTTP/WebSocket listener binds (`--listen`, default all addresses) and its port.
    public var listenHost: String
    public var listenPort: Int
    /// The IP the media UDP socket binds and advertises as its ICE host candidate (`--public-ip`).
    public var mediaHost: String
    /// `--udp-port` (0: any free port).
    public var udpPort: Int
    /// `--cert`/`--certkey`: PEM files; nil serves plain `ws://` (only sensible on localhost).
    public var certificatePath: String?
    public var privateKeyPath: String?
    /// `--apiserver host:port` to register with (nil: do not register).
    public var apiserver: HostAndPort?
    /// Whether the apiserver speaks TLS (false for a localhost `meeting up`).
    public var apiserverTLS: Bool
    /// `--metrics host:port` for `/metrics` and `/healthz`.
    public var metricsAddress: HostAndPort?
    public var room: RoomConfiguration
    /// `--max-participants` over all rooms of this server.
    public var maximumParticipants: Int

    public init(tokens: TokenAuthority, domainAddress: String, listenHost: String = "0.0.0.0", listenPort: Int,
        mediaHost: String, udpPort: Int = 0, certificatePath: String? = nil, privateKeyPath: String? = nil,
        apiserver: HostAndPort? = nil, apiserverTLS: Bool = true, metricsAddress: HostAndPort? = nil,
        room: RoomConfiguration = RoomConfiguration(), maximumParticipants: Int = 500)
    {
        self.tokens = tokens
        self.domainAddress = domainAddress
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.mediaHost = mediaHost
        self.udpPort = udpPort
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.apiserver = apiserver
        self.apiserverTLS = apiserverTLS
        self.metricsAddress = metricsAddress
        self.room = room
        self.maximumParticipants = maximumParticipants
    }
}

/// Why the sfuserver could not start (a bad flag, a port in use), for the operator.
public struct SFUServerStartError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
