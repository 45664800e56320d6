import STUN
import ServerKit

/// How to run a turnserver: the core's rules plus the sockets, certificate and threads (the `meeting turnserver`
/// flags, parsed into values).
public struct TURNServerSettings: Sendable {
    public var core: TURNServerConfiguration
    /// Local addresses to listen on (IP literals); empty means all IPv4 and IPv6 addresses.
    public var listenAddresses: [String]
    /// STUN/TURN port on UDP and TCP (0: an ephemeral port, for tests).
    public var port: UInt16
    /// TURN over TLS port, with ``certificatePath`` and ``privateKeyPath``; nil for none.
    public var tlsPort: UInt16?
    public var certificatePath: String?
    public var privateKeyPath: String?
    /// Serve `/metrics` and `/healthz` here.
    public var metricsAddress: HostAndPort?
    /// Event loops (one core each); 0 means one per CPU core.
    public var threads: Int

    public init(core: TURNServerConfiguration, listenAddresses: [String] = [], port: UInt16 = 3478,
        tlsPort: UInt16? = nil, certificatePath: String? = nil, privateKeyPath: String? = nil,
        metricsAddress: HostAndPort? = nil, threads: Int = 0)
    {
        self.core = core
        self.listenAddresses = listenAddresses
        self.port = port
        self.tlsPort = tlsPort
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.metricsAddress = metricsAddress
        self.threads = threads
    }

    /// Builds settings from the command-line values of `meeting turnserver`, checking each one.
    ///
    /// - Parameters:
    ///   - deploymentSecret: `--secret`; the REST key is derived from it (HKDF-SHA256, info "turn").
    ///   - publicIP: `--ip`, written in XOR-RELAYED-ADDRESS.
    public static func fromFlags(
        deploymentSecret: String,
        publicIP: String,
        port: UInt16,
        listen: [String],
        tlsPort: UInt16?,
        certificatePath: String?,
        privateKeyPath: String?,
        relayPorts: String,
        realm: String,
        staticAuthSecret: String?,
        allowPeers: [String],
        denyPeers: [String],
        allowLoopbackPeers: Bool,
        userQuota: Int,
        maxBitsPerSecond: Int,
        metrics: String?
    ) throws(TURNServerError) -> TURNServerSettings {
        guard let ip = STUNIPAddress(publicIP) else {
            throw TURNServerError(.badFlag, "--ip '\(publicIP)' is not an IP address (the relay address clients see)")
        }
        var listenIPs: [STUNIPAddress] = []
        for address in listen {
            guard let parsed = STUNIPAddress(address) else {
                throw TURNServerError(.badFlag, "--listen '\(address)' is not an IP address")
            }
            listenIPs.append(parsed)
        }
        let range: PortRange
        do {
            range = try PortRange(parsing: relayPorts)
        } catch {
            throw TURNServerError(.badFlag, "--relay-ports: \(error)")
        }
        func ranges(_ texts: [String], flag: String) throws(TURNServerError) -> [IPAddressRange] {
            var result: [IPAddressRange] = []
            for text in texts {
                do {
                    result.append(try IPAddressRange(parsing: text))
                } catch {
                    throw TURNServerError(.badFlag, "\(flag): \(error)")
                }
            }
            return result
        }
        var rest = [TURNRESTCredentials.derived(fromDeploymentSecret: deploymentSecret)]
        if let staticAuthSecret { rest.append(.coturnStaticSecret(staticAuthSecret)) }
        // The relay address of each family: --ip for its family, else a specific --listen address of the other one.
        let relayV4: STUNIPAddress? = ip.isIPv4 ? ip : listenIPs.first { $0.isIPv4 && $0 != .v4(0) }
        let relayV6: STUNIPAddress? = !ip.isIPv4 ? ip : listenIPs.first { !$0.isIPv4 && $0 != .v6(0, 0) }
        var core = TURNServerConfiguration(
            realm: realm,
            restCredentials: rest,
            peerPolicy: PeerAddressPolicy(allowed: try ranges(allowPeers, flag: "--allow-peer"),
                denied: try ranges(denyPeers, flag: "--deny-peer"), allowLoopback: allowLoopbackPeers),
            relayPorts: range.lowerBound...range.upperBound,
            relayAddressIPv4: relayV4,
            relayAddressIPv6: relayV6)
        core.userQuota = max(0, userQuota)
        core.maximumBitsPerSecond = max(0, maxBitsPerSecond)
        var metricsAddress: HostAndPort?
        if let metrics {
            do {
                metricsAddress = try HostAndPort(parsing: metrics)
            } catch {
                throw TURNServerError(.badFlag, "--metrics: \(error)")
            }
        }
        if tlsPort != nil, certificatePath == nil || privateKeyPath == nil {
            throw TURNServerError(.badFlag, "--tls-port needs --cert and --certkey")
        }
        return TURNServerSettings(core: core, listenAddresses: listen, port: port, tlsPort: tlsPort,
            certificatePath: certificatePath, privateKeyPath: privateKeyPath, metricsAddress: metricsAddress)
    }
}

/// Why the turnserver could not start or stopped: a stable code and a message that says what to do.
public struct TURNServerError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public static let badFlag = Code(name: "turn.bad-flag")
        public static let portInUse = Code(name: "turn.port-in-use")
        public static let bindFailed = Code(name: "turn.bind-failed")
        public static let badCertificate = Code(name: "turn.bad-certificate")
        public var description: String { name }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
