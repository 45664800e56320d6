import ACME
import Foundation
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization

/// How the apiserver obtains its certificate when no `--cert/--certkey` is given (DESIGN.md §6): ACME HTTP-01
/// (RFC 8555 §8.3) against `directoryURL`, with the account key and certificates kept under `cacheDirectory`
/// (`<data>/acme`) so that a restart never orders what the cache already holds.
public struct APIServerACMESettings: Sendable, Hashable {
    /// The CA's directory URL (`--acme-directory`).
    public var directoryURL: String
    /// The name to certify: the host of `--domainaddress`.
    public var domain: String
    /// Contact e-mail addresses (`--acme-email`), without `mailto:`.
    public var contact: [String]
    /// The HTTP-01 responder's port (`--acme-http-port`, 80).
    public var httpPort: Int
    public var cacheDirectory: String
    /// PEM CA certificates trusted for the directory's HTTPS instead of the system store (`--acme-ca-file`).
    public var trustedCAFile: String?

    public init(directoryURL: String, domain: String, contact: [String], httpPort: Int, cacheDirectory: String,
        trustedCAFile: String?)
    {
        self.directoryURL = directoryURL
        self.domain = domain
        self.contact = contact
        self.httpPort = httpPort
        self.cacheDirectory = cacheDirectory
        self.trustedCAFile = trustedCAFile
    }
}

/// The certificate the apiserver presents right now. Each TLS handshake reads it (through NIOSSL's context
/// callback), so a renewal takes effect for new connections without a restart.
final class ServedCertificate: Sendable {
    struct Material: Sendable {
        var chain: [NIOSSLCertificateSource]
        var key: NIOSSLPrivateKeySource
    }

    private let material: Mutex<Material>

    init(_ certificate: ACMECertificate) throws(APIServerStartError) {
        material = Mutex(try Self.material(certificate))
    }

    var current: Material { material.withLock { $0 } }

    func replace(with certificate: ACMECertificate) throws(APIServerStartError) {
        let new = try Self.material(certificate)
        material.withLock { $0 = new }
    }

    /// A server TLS configuration that starts with the current certificate and picks up replacements per
    /// handshake.
    func tlsConfiguration() -> TLSConfiguration {
        let initial = current
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: initial.chain,
            privateKey: initial.key)
        configuration.sslContextCallback = { [self] _, promise in
            let now = current
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = now.chain
            override.privateKey = now.key
            promise.succeed(override)
        }
        return configuration
    }

    private static func material(_ certificate: ACMECertificate) throws(APIServerStartError) -> Material {
        do {
            let chain = try NIOSSLCertificate.fromPEMBytes(Array(certificate.chainPEM.utf8))
            let key = try NIOSSLPrivateKey(bytes: Array(certificate.key.pem.utf8), format: .pem)
            return Material(chain: chain.map { .certificate($0) }, key: .privateKey(key))
        } catch {
            throw APIServerStartError("ACME: the certificate from the CA or the cache is not usable by TLS (\(error))")
        }
    }
}

/// Obtains the apiserver's certificate at start (from the cache when it is still before its renewal time,
/// otherwise from the CA), keeps the HTTP-01 responder on `--acme-http-port` running, and renews at two thirds of
/// the lifetime while the server runs.
final class ACMECertificateService: Service {
    let served: ServedCertificate
    let certificate: ACMECertificate
    private let manager: ACMECertificateManager
    private let challengeServer: HTTP01ChallengeServer
    private let transport: AsyncHTTPClientTransport
    private let logger: Logger

    private init(served: ServedCertificate, certificate: ACMECertificate, manager: ACMECertificateManager,
        challengeServer: HTTP01ChallengeServer, transport: AsyncHTTPClientTransport, logger: Logger)
    {
        self.served = served
        self.certificate = certificate
        self.manager = manager
        self.challengeServer = challengeServer
        self.transport = transport
        self.logger = logger
    }

    /// Starts the responder and gets the certificate to serve; every failure names what to check.
    static func start(_ settings: APIServerACMESettings, listenHost: String, logger: Logger)
        async throws(APIServerStartError) -> ACMECertificateService
    {
        let transport: AsyncHTTPClientTransport
        do {
            transport = try AsyncHTTPClientTransport(trustedCAFile: settings.trustedCAFile)
        } catch {
            throw APIServerStartError("--acme-ca-file: \(error.message)")
        }
        let responder = HTTP01ChallengeResponder()
        let challengeServer: HTTP01ChallengeServer
        do {
            challengeServer = try await HTTP01ChallengeServer.start(host: listenHost, port: settings.httpPort,
                responder: responder)
        } catch {
            await transport.shutdown()
            throw APIServerStartError(
                "--acme-http-port \(settings.httpPort): \(error.message); or give --cert and --certkey")
        }
        let configuration = ACMEConfiguration(directoryURL: settings.directoryURL, domains: [settings.domain],
            cacheDirectory: URL(fileURLWithPath: settings.cacheDirectory), contact: settings.contact)
        let manager = ACMECertificateManager(configuration: configuration, responder: responder, transport: transport)
        do {
            let certificate = try await manager.currentCertificate(now: Int64(Date().timeIntervalSince1970))
            let served = try ServedCertificate(certificate)
            switch certificate.origin {
            case .cache:
                logger.notice("ACME: serving the cached certificate for \(settings.domain) from \(settings.cacheDirectory) (valid until \(Self.date(certificate.info.notAfter)), renewal at \(Self.date(certificate.info.renewalTime)))")
            case .issued:
                logger.notice("ACME: obtained a certificate for \(settings.domain) from \(settings.directoryURL) (valid until \(Self.date(certificate.info.notAfter)), renewal at \(Self.date(certificate.info.renewalTime)))")
            }
            return ACMECertificateService(served: served, certificate: certificate, manager: manager,
                challengeServer: challengeServer, transport: transport, logger: logger)
        } catch let error as APIServerStartError {
            await challengeServer.stop()
            await transport.shutdown()
            throw error
        } catch {
            await challengeServer.stop()
            await transport.shutdown()
            throw APIServerStartError(
                "ACME: no certificate for \(settings.domain) from \(settings.directoryURL) (\(error)); check that \(settings.domain) resolves to this machine and that port 80 reaches --acme-http-port \(settings.httpPort), or give --cert and --certkey")
        }
    }

    /// Renews until graceful shutdown, then stops the responder and the CA connection pool.
    func run() async throws {
        let served = served
        let logger = logger
        await cancelWhenGracefulShutdown {
            await self.manager.runRenewals(current: self.certificate,
                now: { Int64(Date().timeIntervalSince1970) },
                install: { renewed in
                    do {
                        try served.replace(with: renewed)
                        logger.notice("ACME: renewed the certificate (valid until \(Self.date(renewed.info.notAfter)))")
                    } catch {
                        logger.error("\(error)")
                    }
                },
                reportFailure: { error in
                    logger.error("ACME: renewal failed, retrying in an hour: \(error)")
                })
        }
        await challengeServer.stop()
        await transport.shutdown()
    }

    private static func date(_ unixSeconds: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(unixSeconds)))
    }
}
