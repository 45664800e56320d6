import APIServer
import ServerKit
import Testing

@Suite("meeting apiserver flags")
struct APIServerFlagsTests {
    @Test("No --mysql* flag means SQLite under --data; the public URL follows --domainaddress and TLS")
    func sqliteDefault() throws {
        let (configuration, location) = try APIServerFlags(secret: "0123456789abcdef0123", domainAddress: "api.example.com:443",
            certificatePath: "/c.pem", privateKeyPath: "/k.pem", dataDirectory: "/var/lib/meeting").resolve()
        #expect(location == .sqlite(directory: "/var/lib/meeting"))
        #expect(configuration.publicURL == "https://api.example.com")
        #expect(configuration.port == 443 && configuration.host == "0.0.0.0")
        #expect(configuration.logSignInCodes && configuration.mailServers.isEmpty)
    }

    @Test("MySQL flags, mail servers in order, --http with a listen address")
    func mysqlAndMail() throws {
        let (configuration, location) = try APIServerFlags(secret: "0123456789abcdef0123",
            domainAddress: "meet.example.com:8443", listen: "127.0.0.1:9000", plainHTTP: true,
            mysqlAddress: "10.0.0.5", mysqlUser: "root", mysqlPassword: "111111", mysqlDatabase: "Meeting",
            dataDirectory: "/d", mailServers: ["smtp1.example.com", "smtp2.example.com"], mailPorts: [587, 465],
            mailUsernames: ["hello"], mailPasswords: ["pw"], mailFroms: ["hi@example.com", "hi2@example.com"],
            allocateServer: "http://10.0.0.2/path", admins: ["Boss@Example.com"]).resolve()
        #expect(location == .mysql(address: .init(host: "10.0.0.5", port: 3306), user: "root", password: "111111",
            database: "Meeting"))
        #expect(configuration.publicURL == "http://meet.example.com:8443")
        #expect(configuration.host == "127.0.0.1" && configuration.port == 9000)
        #expect(configuration.mailServers.map(\.host) == ["smtp1.example.com", "smtp2.example.com"])
        #expect(configuration.mailFrom == "hi@example.com" && !configuration.logSignInCodes)
        #expect(configuration.allocateServerURL == "http://10.0.0.2/path")
        #expect(configuration.admins == ["boss@example.com"])
    }

    @Test("Without --cert/--certkey or --http, a domain name gets a certificate by ACME, cached under --data")
    func acme() throws {
        let (configuration, _) = try APIServerFlags(secret: "0123456789abcdef0123",
            domainAddress: "meet.example.com:443", dataDirectory: "/var/lib/meeting", acmeEmail: "ops@example.com")
            .resolve()
        #expect(configuration.publicURL == "https://meet.example.com")
        #expect(configuration.tls == nil)
        let acme = try #require(configuration.acme)
        #expect(acme.directoryURL == "https://acme-v02.api.letsencrypt.org/directory")
        #expect(acme.domain == "meet.example.com" && acme.httpPort == 80 && acme.contact == ["ops@example.com"])
        #expect(acme.cacheDirectory == "/var/lib/meeting/acme")
        let (withFiles, _) = try APIServerFlags(secret: "0123456789abcdef0123", domainAddress: "meet.example.com:443",
            certificatePath: "/c.pem", privateKeyPath: "/k.pem", dataDirectory: "/d").resolve()
        #expect(withFiles.acme == nil)
        let (plain, _) = try APIServerFlags(secret: "0123456789abcdef0123", domainAddress: "meet.example.com:80",
            plainHTTP: true, dataDirectory: "/d").resolve()
        #expect(plain.acme == nil && plain.publicURL == "http://meet.example.com")
    }

    @Test("Missing pieces are refused with the flag to fix", arguments: [
        (APIServerFlags(secret: "0123456789abcdef0123", domainAddress: "localhost:8443", dataDirectory: "/d"),
            "--cert and --certkey"),
        (APIServerFlags(secret: "0123456789abcdef0123", domainAddress: "10.1.2.3:443", dataDirectory: "/d"),
            "no ACME CA issues certificates"),
        (APIServerFlags(secret: "0123456789abcdef0123", domainAddress: "[2001:db8::1]:443", dataDirectory: "/d"),
            "--http"),
        (APIServerFlags(secret: "0123456789abcdef0123", domainAddress: "a.example.com:443", dataDirectory: "/d",
            acmeDirectory: "ftp://ca"), "--acme-directory"),
        (APIServerFlags(secret: "0123456789abcdef0123", domainAddress: "a.example.com:443", plainHTTP: true,
            mysqlAddress: "db:3306", dataDirectory: "/d"), "--mysqlUser"),
        (APIServerFlags(secret: "0123456789abcdef0123", domainAddress: "a.example.com:443", plainHTTP: true,
            dataDirectory: "/d", mailServers: ["smtp.example.com"]), "--mailFrom"),
    ])
    func refused(flags: APIServerFlags, mentions: String) {
        do {
            _ = try flags.resolve()
            Issue.record("accepted")
        } catch {
            #expect(error.message.contains(mentions), "\(error.message)")
        }
    }
}
