import Foundation

/// What the apiserver configures for ACME (used when no `--cert/--certkey` is given).
public struct ACMEConfiguration: Sendable, Hashable {
    /// The CA's directory URL (Let's Encrypt: https://acme-v02.api.letsencrypt.org/directory).
    public var directoryURL: String
    /// The names to certify (the `--domainaddress` host); the first names the cache folder.
    public var domains: [String]
    /// Where the account key and certificates live (`<data>/acme`).
    public var cacheDirectory: URL
    /// Contact addresses for the CA's expiry notices (without `mailto:`).
    public var contact: [String]

    public init(directoryURL: String, domains: [String], cacheDirectory: URL, contact: [String] = []) {
        self.directoryURL = directoryURL
        self.domains = domains
        self.cacheDirectory = cacheDirectory
        self.contact = contact
    }
}

/// Keeps a certificate for the configured domains: serves the cached one while it is within the first two thirds
/// of its lifetime, and only then (or when there is none) orders a new one, so restarts never re-issue.
public struct ACMECertificateManager: Sendable {
    public let configuration: ACMEConfiguration
    public let responder: HTTP01ChallengeResponder
    let transport: any ACMEHTTPTransport
    let cache: ACMECertificateCache

    public init(configuration: ACMEConfiguration, responder: HTTP01ChallengeResponder,
        transport: any ACMEHTTPTransport)
    {
        self.configuration = configuration
        self.responder = responder
        self.transport = transport
        self.cache = ACMECertificateCache(directory: configuration.cacheDirectory)
    }

    /// The certificate to serve at `now` (Unix seconds): the cached one unless it is missing, unreadable, or past
    /// its renewal time (two thirds of its lifetime); otherwise a new one from the CA, stored before it is returned.
    public func currentCertificate(now: Int64) async throws(ACMEError) -> ACMECertificate {
        if let cached = try? cache.certificate(for: configuration.domains), now < cached.info.renewalTime {
            return cached
        }
        return try await issue()
    }

    /// Orders a new certificate now, whatever the cache holds (for renewal), and stores it.
    public func issue() async throws(ACMEError) -> ACMECertificate {
        let accountKey = try cache.accountKey()
        let client = ACMEClient(directoryURL: configuration.directoryURL, accountKey: accountKey,
            transport: transport)
        let certificateKey = try ACMEKey.generate()
        let chain = try await client.issueCertificate(domains: configuration.domains, certificateKey: certificateKey,
            responder: responder, contact: configuration.contact)
        let certificate = ACMECertificate(chainPEM: chain, key: certificateKey,
            info: try ACMECertificateInfo(chainPEM: chain, key: certificateKey), origin: .issued)
        try cache.store(certificate, for: configuration.domains)
        return certificate
    }

    /// Runs until cancelled: sleeps until the current certificate's renewal time, renews, and hands each new
    /// certificate to `install` (which swaps the TLS context). A failed renewal is retried after `retryDelay`.
    public func runRenewals(current: ACMECertificate, retryDelay: Duration = .seconds(3600),
        now: @Sendable () -> Int64, install: @Sendable (ACMECertificate) async -> Void,
        reportFailure: @Sendable (ACMEError) async -> Void) async
    {
        var renewalTime = current.info.renewalTime
        while !Task.isCancelled {
            let wait = max(0, renewalTime - now())
            do {
                try await Task.sleep(for: wait > 0 ? .seconds(wait) : .zero)
            } catch {
                return
            }
            do {
                let renewed = try await issue()
                await install(renewed)
                renewalTime = renewed.info.renewalTime
            } catch {
                await reportFailure(error)
                do { try await Task.sleep(for: retryDelay) } catch { return }
            }
        }
    }
}
