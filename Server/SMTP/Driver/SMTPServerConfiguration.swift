/// One mail server as the apiserver's repeatable flags describe it
/// (`--mailServer --mailPort --mailUsername --mailPassword --mailFrom`, one set per server).
public struct SMTPServerConfiguration: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var security: SMTPTransportSecurity
    /// `nil` sends without AUTH.
    public var credentials: SMTPCredentials?
    /// The envelope sender (MAIL FROM) and the address the message's From header should carry for this server.
    public var from: String
    /// Which certificate authorities a TLS server certificate must chain to. Verification is always on.
    public var trust: SMTPTLSTrust
    /// The name we announce in EHLO; defaults to the domain of ``from``.
    public var clientName: String?
    /// Allows AUTH without TLS (only for a relay on loopback); off by default.
    public var allowsAuthenticationWithoutTLS: Bool

    public init(host: String, port: Int, security: SMTPTransportSecurity? = nil, credentials: SMTPCredentials? = nil,
        from: String, trust: SMTPTLSTrust = .systemDefault, clientName: String? = nil,
        allowsAuthenticationWithoutTLS: Bool = false)
    {
        self.host = host
        self.port = port
        self.security = security ?? SMTPServerConfiguration.defaultSecurity(port: port)
        self.credentials = credentials
        self.from = from
        self.trust = trust
        self.clientName = clientName
        self.allowsAuthenticationWithoutTLS = allowsAuthenticationWithoutTLS
    }

    /// The usual protection for a port: 465 implicit TLS (RFC 8314 §3.3), 25 opportunistic STARTTLS (relays),
    /// anything else (587, submission) required STARTTLS (RFC 8314 §3.4 says clients should not fall back to
    /// plaintext).
    public static func defaultSecurity(port: Int) -> SMTPTransportSecurity {
        switch port {
        case 465: .implicitTLS
        case 25: .startTLSIfAvailable
        default: .startTLS
        }
    }

    /// Builds one configuration per `--mailServer`, pairing the other repeatable flags by position. The username
    /// and password lists may be shorter (servers without AUTH) and `--mailFrom` may be given once for all;
    /// `--mailPort` may be given once for all, else defaults to 587.
    public static func fromFlags(servers: [String], ports: [Int], usernames: [String], passwords: [String],
        froms: [String], trust: SMTPTLSTrust = .systemDefault) throws(SMTPError) -> [SMTPServerConfiguration]
    {
        guard !servers.isEmpty else { return [] }
        func pick<T>(_ values: [T], _ index: Int, _ flag: String) throws(SMTPError) -> T? {
            if values.count == servers.count { return values[index] }
            if values.count == 1 { return values[0] }
            if values.isEmpty { return nil }
            throw SMTPError(.noServers, "\(flag) is given \(values.count) times for \(servers.count) --mailServer;"
                + " give it once for all or once per server", transient: false)
        }
        var result: [SMTPServerConfiguration] = []
        for (index, host) in servers.enumerated() {
            let port = try pick(ports, index, "--mailPort") ?? 587
            guard (1...65535).contains(port) else {
                throw SMTPError(.noServers, "--mailPort \(port) is not a port (1–65535)", transient: false)
            }
            guard let from = try pick(froms, index, "--mailFrom") else {
                throw SMTPError(.noServers, "--mailFrom is required with --mailServer \(host)", transient: false)
            }
            let username = index < usernames.count ? usernames[index] : (usernames.count == 1 ? usernames[0] : nil)
            let password = index < passwords.count ? passwords[index] : (passwords.count == 1 ? passwords[0] : nil)
            var credentials: SMTPCredentials?
            if let username, !username.isEmpty {
                credentials = SMTPCredentials(username: username, password: password ?? "")
            }
            result.append(SMTPServerConfiguration(host: host, port: port, credentials: credentials, from: from,
                trust: trust))
        }
        return result
    }

    /// `host:port`, with brackets around an IPv6 literal.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    var dialogueConfiguration: SMTPDialogueConfiguration {
        let domain = from.split(separator: "@").last.map(String.init) ?? "localhost"
        return SMTPDialogueConfiguration(clientName: clientName ?? (domain.isEmpty ? "localhost" : domain),
            security: security, credentials: credentials,
            allowsAuthenticationWithoutTLS: allowsAuthenticationWithoutTLS)
    }
}

/// Which certificate authorities an SMTP server's certificate must chain to. There is deliberately no option to
/// switch verification off.
public enum SMTPTLSTrust: Sendable, Hashable {
    /// The system's trust store (Debian: /etc/ssl/certs).
    case systemDefault
    /// Only the CA certificates in this PEM file (a company CA, or a test's self-signed CA).
    case certificateAuthorityFile(String)
}
