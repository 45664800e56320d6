import APIServer
import ArgumentParser

/// `meeting apiserver`: accounts, meetings, join, allocation, registry, mail, database.
struct APIServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apiserver",
        abstract: "The hub: accounts, meetings, join links, allocation, the server registry, mail and the database.",
        discussion: """
            Example:
              meeting apiserver --secret S --mysqlAddress 127.0.0.1:3306 --mysqlUser root --mysqlPassword P \\
                --mysqlDatabase Meeting --domainaddress apiserver.example.com:443 --cert c.pem --certkey k.pem \\
                --mailServer smtp.example.com --mailPort 587 --mailUsername hi --mailPassword P --mailFrom hi@example.com \\
                --allocateserver http://10.0.0.2/an-unguessable-path
            Without any --mysql* flag the data lives in an embedded SQLite file under --data.
            Without --cert/--certkey (and without --http) the certificate comes from ACME (Let's Encrypt unless
            --acme-directory says otherwise): port 80 must reach this machine for HTTP-01.
            Firewall: open 443/TCP (and 80/TCP for ACME when no --cert is given).
            """
    )

    @OptionGroup var secret: DeploymentSecretOptions

    @Option(name: .customLong("mysqlAddress"), help: ArgumentHelp("MySQL/MariaDB server, host:port.", valueName: "host:port"))
    var mysqlAddress: String?
    @Option(name: .customLong("mysqlUser"), help: "MySQL/MariaDB user.")
    var mysqlUser: String?
    @Option(name: .customLong("mysqlPassword"), help: "MySQL/MariaDB password.")
    var mysqlPassword: String?
    @Option(name: .customLong("mysqlDatabase"), help: "MySQL/MariaDB database name (created tables are migrated on start).")
    var mysqlDatabase: String?

    @Option(
        name: .customLong("domainaddress"),
        help: ArgumentHelp("The public address people and servers reach this apiserver at.", valueName: "host:port")
    )
    var domainaddress: String

    @OptionGroup var certificate: CertificateOptions

    @Option(name: .customLong("mailServer"), help: ArgumentHelp("SMTP server; repeat for several, tried in order.", valueName: "host"))
    var mailServer: [String] = []
    @Option(name: .customLong("mailPort"), help: "SMTP port of the matching --mailServer (465 implicit TLS, 587 STARTTLS).")
    var mailPort: [UInt16] = []
    @Option(name: .customLong("mailUsername"), help: "SMTP user of the matching --mailServer.")
    var mailUsername: [String] = []
    @Option(name: .customLong("mailPassword"), help: "SMTP password of the matching --mailServer.")
    var mailPassword: [String] = []
    @Option(name: .customLong("mailFrom"), help: "From address of the matching --mailServer.")
    var mailFrom: [String] = []

    @Option(
        name: .customLong("allocateserver"),
        help: ArgumentHelp(
            "URL of the allocateserver (GET ?Kind=SFUTURN|FS). Without it, the least-loaded registered servers are used.",
            valueName: "url"
        )
    )
    var allocateserver: String?

    @Option(name: .customLong("data"), help: ArgumentHelp("Directory for the embedded SQLite database and caches.", valueName: "dir"))
    var data: String = "./meeting-data"

    @Option(name: .customLong("admin"), help: ArgumentHelp("E-mail address of an administrator; repeatable.", valueName: "email"))
    var admin: [String] = []

    @Option(
        name: .customLong("listen"),
        help: ArgumentHelp("Local address to listen on (default: all addresses, the port of --domainaddress).",
            valueName: "host:port"))
    var listen: String?

    @Flag(name: .customLong("http"), help: "Serve plain HTTP (behind a TLS-terminating proxy, or on localhost) instead of HTTPS.")
    var plainHTTP = false

    @Option(
        name: .customLong("acme-directory"),
        help: ArgumentHelp(
            "ACME CA directory used when no --cert/--certkey is given.",
            discussion: "The certificate for the --domainaddress host is obtained by HTTP-01, kept under <data>/acme, reused across restarts and renewed at two thirds of its lifetime.",
            valueName: "url"))
    var acmeDirectory: String = APIServerFlags.letsEncryptDirectory
    @Option(name: .customLong("acme-email"), help: ArgumentHelp("Contact address for the CA's expiry notices.", valueName: "email"))
    var acmeEmail: String?
    @Option(
        name: .customLong("acme-http-port"),
        help: ArgumentHelp("Port of the ACME HTTP-01 responder; the CA connects to port 80, so use another only if 80 is forwarded to it.",
            valueName: "port"))
    var acmeHTTPPort: Int = 80
    @Option(
        name: .customLong("acme-ca-file"),
        help: ArgumentHelp("PEM CA certificates to trust for the ACME directory's HTTPS instead of the system store (a private CA).",
            valueName: "path"))
    var acmeCAFile: String?

    func validate() throws {
        try validateHostAndPort(domainaddress, flag: "--domainaddress")
        try validateHostAndPort(mysqlAddress, flag: "--mysqlAddress", defaultPort: 3306)
        let mysqlGiven = [mysqlAddress, mysqlUser, mysqlPassword, mysqlDatabase].compactMap { $0 }.count
        if mysqlGiven > 0 && (mysqlAddress == nil || mysqlUser == nil || mysqlDatabase == nil) {
            throw ValidationError("MySQL needs --mysqlAddress, --mysqlUser and --mysqlDatabase together (--mysqlPassword if the user has one)")
        }
        let count = mailServer.count
        if mailPort.count != count || mailFrom.count != count || mailUsername.count > count || mailPassword.count > count {
            throw ValidationError(
                "Each --mailServer needs its own --mailPort and --mailFrom (and --mailUsername/--mailPassword if it authenticates), in the same order"
            )
        }
        if !(1...65535).contains(acmeHTTPPort) {
            throw ValidationError("--acme-http-port must be between 1 and 65535")
        }
        if let allocateserver, !(allocateserver.hasPrefix("http://") || allocateserver.hasPrefix("https://")) {
            throw ValidationError("--allocateserver must be an http:// or https:// URL")
        }
    }

    func run() async throws {
        let flags = APIServerFlags(secret: secret.secret, domainAddress: domainaddress, listen: listen,
            certificatePath: certificate.cert, privateKeyPath: certificate.certkey, plainHTTP: plainHTTP,
            mysqlAddress: mysqlAddress, mysqlUser: mysqlUser, mysqlPassword: mysqlPassword,
            mysqlDatabase: mysqlDatabase, dataDirectory: data, mailServers: mailServer, mailPorts: mailPort.map(Int.init),
            mailUsernames: mailUsername, mailPasswords: mailPassword, mailFroms: mailFrom,
            allocateServer: allocateserver, admins: admin, acmeDirectory: acmeDirectory, acmeEmail: acmeEmail,
            acmeHTTPPort: acmeHTTPPort, acmeCAFile: acmeCAFile)
        do {
            let (configuration, location) = try flags.resolve()
            let store = try await APIServer.openStore(location)
            let server = APIServer(configuration: configuration, store: store)
            try await server.run { port in
                writeLine("meeting apiserver: listening on \(configuration.host):\(port); public URL \(configuration.publicURL)"
                    + (configuration.mailServers.isEmpty ? "; no --mailServer: sign-in codes go to the log" : ""))
            }
        } catch let error as APIServerStartError {
            writeToStandardError("meeting apiserver: \(error)\n")
            throw ExitCode.failure
        }
    }
}
