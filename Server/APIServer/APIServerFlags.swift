import Foundation
import SMTP
import ServerKit

/// The `meeting apiserver` flags as values: what the executable parses, the library checks and turns into a
/// configuration (so the rules are tested here, not in the command).
public struct APIServerFlags: Sendable {
    public var secret: String
    public var domainAddress: String
    /// `--listen host:port`; defaults to all addresses on the port of `--domainaddress`.
    public var listen: String?
    public var certificatePath: String?
    public var privateKeyPath: String?
    /// `--http`: serve plain HTTP (behind a TLS-terminating proxy, or on localhost).
    public var plainHTTP: Bool
    public var mysqlAddress: String?
    public var mysqlUser: String?
    public var mysqlPassword: String?
    public var mysqlDatabase: String?
    public var dataDirectory: String
    public var mailServers: [String]
    public var mailPorts: [Int]
    public var mailUsernames: [String]
    public var mailPasswords: [String]
    public var mailFroms: [String]
    public var allocateServer: String?
    public var admins: [String]
    /// `--acme-directory`: the ACME CA used when neither `--cert/--certkey` nor `--http` is given.
    public var acmeDirectory: String
    /// `--acme-email`: contact for the CA's expiry notices.
    public var acmeEmail: String?
    /// `--acme-http-port`: where the HTTP-01 responder listens (80; a port-forward or test may use another).
    public var acmeHTTPPort: Int
    /// `--acme-ca-file`: PEM CA certificates to trust for the ACME directory's HTTPS instead of the system store
    /// (a private CA, or Pebble).
    public var acmeCAFile: String?

    /// Let's Encrypt's production directory (RFC 8555 §7.1.1).
    public static let letsEncryptDirectory = "https://acme-v02.api.letsencrypt.org/directory"

    public init(secret: String, domainAddress: String, listen: String? = nil, certificatePath: String? = nil,
        privateKeyPath: String? = nil, plainHTTP: Bool = false, mysqlAddress: String? = nil, mysqlUser: String? = nil,
        mysqlPassword: String? = nil, mysqlDatabase: String? = nil, dataDirectory: String, mailServers: [String] = [],
        mailPorts: [Int] = [], mailUsernames: [String] = [], mailPasswords: [String] = [], mailFroms: [String] = [],
        allocateServer: String? = nil, admins: [String] = [], acmeDirectory: String = Self.letsEncryptDirectory,
        acmeEmail: String? = nil, acmeHTTPPort: Int = 80, acmeCAFile: String? = nil)
    {
        self.acmeDirectory = acmeDirectory
        self.acmeEmail = acmeEmail
        self.acmeHTTPPort = acmeHTTPPort
        self.acmeCAFile = acmeCAFile
        self.secret = secret
        self.domainAddress = domainAddress
        self.listen = listen
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.plainHTTP = plainHTTP
        self.mysqlAddress = mysqlAddress
        self.mysqlUser = mysqlUser
        self.mysqlPassword = mysqlPassword
        self.mysqlDatabase = mysqlDatabase
        self.dataDirectory = dataDirectory
        self.mailServers = mailServers
        self.mailPorts = mailPorts
        self.mailUsernames = mailUsernames
        self.mailPasswords = mailPasswords
        self.mailFroms = mailFroms
        self.allocateServer = allocateServer
        self.admins = admins
    }

    /// The configuration and the store location these flags describe, or what to fix.
    public func resolve() throws(APIServerStartError) -> (APIServerConfiguration, StoreLocation) {
        let domain: HostAndPort
        do {
            domain = try HostAndPort(parsing: domainAddress, defaultPort: 443)
        } catch {
            throw APIServerStartError("--domainaddress: \(error)")
        }
        var listenAddress = HostAndPort(host: "0.0.0.0", port: domain.port)
        if let listen {
            do {
                listenAddress = try HostAndPort(parsing: listen)
            } catch {
                throw APIServerStartError("--listen: \(error)")
            }
        }
        let files = certificatePath != nil && privateKeyPath != nil
        let acme = !files && !plainHTTP
        if acme && Self.cannotBeCertified(domain.host) {
            throw APIServerStartError(
                "--domainaddress \(domain.host) is localhost or an IP address, for which no ACME CA issues certificates: give --cert and --certkey, or --http to serve plain HTTP (localhost, or behind a TLS-terminating proxy)")
        }
        let tls = files || acme
        let scheme = tls ? "https" : "http"
        let defaultPort: UInt16 = tls ? 443 : 80
        let authority = domain.port == defaultPort ? (domain.host.contains(":") ? "[\(domain.host)]" : domain.host)
            : domain.description
        var configuration = APIServerConfiguration(secret: secret, publicURL: "\(scheme)://\(authority)",
            host: listenAddress.host, port: Int(listenAddress.port), allocateServerURL: allocateServer)
        if tls, let certificatePath, let privateKeyPath {
            configuration.tls = TLSFiles(certificatePath: certificatePath, privateKeyPath: privateKeyPath)
        }
        if acme {
            guard acmeDirectory.hasPrefix("https://") || acmeDirectory.hasPrefix("http://") else {
                throw APIServerStartError("--acme-directory must be the CA's directory URL (https://…)")
            }
            guard (1...65535).contains(acmeHTTPPort) else {
                throw APIServerStartError("--acme-http-port must be a port number (80 unless port 80 is forwarded)")
            }
            configuration.acme = APIServerACMESettings(directoryURL: acmeDirectory, domain: domain.host,
                contact: acmeEmail.map { [$0] } ?? [], httpPort: acmeHTTPPort,
                cacheDirectory: (dataDirectory as NSString).appendingPathComponent("acme"), trustedCAFile: acmeCAFile)
        }
        configuration.admins = Set(admins.map { $0.lowercased() })
        do {
            configuration.mailServers = try SMTPServerConfiguration.fromFlags(servers: mailServers, ports: mailPorts,
                usernames: mailUsernames, passwords: mailPasswords, froms: mailFroms)
        } catch {
            throw APIServerStartError("mail flags: \(error.message)")
        }
        if let first = configuration.mailServers.first {
            configuration.mailFrom = first.from
        } else {
            configuration.mailFrom = "meeting@\(domain.host)"
            configuration.logSignInCodes = true
        }
        let mysqlFlags = [mysqlAddress, mysqlUser, mysqlPassword, mysqlDatabase].compactMap { $0 }
        if mysqlFlags.isEmpty {
            return (configuration, .sqlite(directory: dataDirectory))
        }
        guard let mysqlAddress, let mysqlUser, let mysqlDatabase else {
            throw APIServerStartError(
                "MySQL needs --mysqlAddress, --mysqlUser and --mysqlDatabase together (--mysqlPassword if the user has one)")
        }
        do {
            let address = try HostAndPort(parsing: mysqlAddress, defaultPort: 3306)
            return (configuration, .mysql(address: address, user: mysqlUser, password: mysqlPassword ?? "",
                database: mysqlDatabase))
        } catch {
            throw APIServerStartError("--mysqlAddress: \(error)")
        }
    }
}

extension APIServerFlags {
    /// Whether `host` is a name no public ACME CA certifies: localhost (RFC 6761 §6.3) or an IP literal.
    static func cannotBeCertified(_ host: String) -> Bool {
        let lower = host.lowercased()
        if lower == "localhost" || lower.hasSuffix(".localhost") || host.contains(":") { return true }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count == 4 && labels.allSatisfy { UInt8($0) != nil }
    }
}

/// A PEM certificate chain and its key (`--cert`, `--certkey`).
public struct TLSFiles: Sendable, Hashable {
    public var certificatePath: String
    public var privateKeyPath: String

    public init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }
}
