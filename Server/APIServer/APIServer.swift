import APIStore
import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL
import SMTP
import ServerKit
import ServiceLifecycle

/// The apiserver: the HTTP API (``APIRoutes``), the registry WebSocket, and a background worker that retries
/// pending allocations, marks silent servers dead and reallocates their meetings.
///
/// Every piece of state lives in the ``APIServerStore``, so several apiservers can share one database.
public struct APIServer: Sendable {
    public let configuration: APIServerConfiguration
    public let store: any Store
    let routes: APIRoutes
    let allocation: AllocationService
    let registry: RegistryService
    let logger: Logger

    public init(configuration: APIServerConfiguration, store: any Store,
        httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "meeting.apiserver"))
    {
        self.configuration = configuration
        self.store = store
        self.logger = logger
        let tokens = TokenAuthority(keys: configuration.keys)
        let mail = MailComposer(publicURL: configuration.publicURL, sender: configuration.mailFrom)
        let allocation = AllocationService(store: store, configuration: configuration, httpClient: httpClient,
            logger: logger)
        let registry = RegistryService(store: store, configuration: configuration, tokens: tokens,
            allocation: allocation, logger: logger)
        self.allocation = allocation
        self.registry = registry
        let accounts = AccountService(store: store, configuration: configuration, mail: mail, logger: logger)
        routes = APIRoutes(
            accounts: accounts,
            meetings: MeetingService(store: store, configuration: configuration, allocation: allocation,
                accounts: accounts, mail: mail, tokens: tokens, logger: logger),
            registry: registry, store: store, metrics: APIMetrics())
    }

    /// Every route as "METHOD /path" (docs/api.md lists the same).
    public static var routes: [String] { APIRoutes.documented }

    /// Builds the Hummingbird application. `onRunning` receives the bound port (useful with port 0). With
    /// ``APIServerConfiguration/acme`` set, use ``run(onRunning:)``, which obtains the certificate first.
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        throws(APIServerStartError) -> some ApplicationProtocol
    {
        if configuration.acme != nil {
            throw APIServerStartError("ACME: the certificate must be obtained first; start the server with run()")
        }
        return try application(acme: nil, onRunning: onRunning)
    }

    func application(acme: ACMECertificateService?, onRunning: @escaping @Sendable (Int) async -> Void)
        throws(APIServerStartError) -> some ApplicationProtocol
    {
        let router = Router(context: APIRequestContext.self)
        router.middlewares.add(APIErrorMiddleware())
        routes.register(on: router)
        let webSocketRouter = Router(context: APIRequestContext.self)
        routes.registerWebSockets(on: webSocketRouter)
        var server: HTTPServerBuilder = .http1WebSocketUpgrade(webSocketRouter: webSocketRouter)
        if let acme {
            do {
                server = try .tls(server, tlsConfiguration: acme.served.tlsConfiguration())
            } catch {
                throw APIServerStartError("ACME: cannot set up TLS with the certificate (\(error))")
            }
        } else if let tls = configuration.tls {
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map { NIOSSLCertificateSource.certificate($0) }
                let key = try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem)
                server = try .tls(server, tlsConfiguration: TLSConfiguration.makeServerConfiguration(
                    certificateChain: chain, privateKey: .privateKey(key)))
            } catch {
                throw APIServerStartError(
                    "--cert \(tls.certificatePath) / --certkey \(tls.privateKeyPath): cannot use them as a PEM certificate chain and key (\(error))")
            }
        }
        var services: [any Service] = [BackgroundWorker(server: self)]
        if let acme { services.append(acme) }
        if !configuration.mailServers.isEmpty {
            services.append(MailDelivery(store: store, sender: SMTPSender(servers: configuration.mailServers),
                interval: configuration.workerInterval, logger: logger))
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                serverName: "meeting-apiserver"),
            services: services,
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Serves until SIGINT/SIGTERM (graceful shutdown). `onRunning` receives the bound port. With ACME, the
    /// certificate is obtained (or read from the cache) before the port opens, and renewed while it runs.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        var acme: ACMECertificateService?
        if let settings = configuration.acme {
            acme = try await ACMECertificateService.start(settings, listenHost: configuration.host, logger: logger)
        }
        try await application(acme: acme, onRunning: onRunning).runService()
    }

    /// One pass of the background work (also callable from tests).
    public func runBackgroundPass(now: Date) async {
        do {
            try await registry.sweep(now: now)
        } catch {
            logger.error("registry sweep failed: \(error)")
        }
        do {
            // Claimed for a lease, so two apiservers never retry the same meeting at once.
            let lease = now.addingTimeInterval(max(30, configuration.allocateTimeout.secondsDouble * 2))
            for meeting in try await store.claimDueAllocations(now: now, leaseUntil: lease, limit: 50)
            where !meeting.cancelled {
                guard let owner = try await store.user(id: meeting.ownerID) else { continue }
                _ = try? await allocation.allocate(meeting, ownerEmail: owner.email, now: now)
            }
        } catch {
            logger.error("allocation retries failed: \(error)")
        }
    }
}

/// Runs ``APIServer/runBackgroundPass(now:)`` every ``APIServerConfiguration/workerInterval`` until shutdown.
struct BackgroundWorker: Service {
    let server: APIServer

    func run() async throws {
        let interval = server.configuration.workerInterval
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await server.runBackgroundPass(now: Date())
                try? await Task.sleep(for: interval)
            }
        }
    }
}

/// Turns anything thrown that is not already an ``APIError`` (bad JSON, unknown routes, database failures) into
/// the one error body shape, so clients never see another format.
struct APIErrorMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            switch error.status {
            case .notFound: throw APIError.notFound
            case .badRequest: throw APIError.badRequest(error.body ?? "the request body is not the expected JSON")
            default: throw APIError(error.status, "http.\(error.status.code)", error.body ?? error.status.reasonPhrase)
            }
        } catch let error as StoreError {
            switch error {
            case .notFound(let what): throw APIError(.notFound, error.code, "Not found: \(what)")
            case .duplicate(let what): throw APIError(.conflict, error.code, "Already exists: \(what)")
            case .invalid(let what): throw APIError.badRequest(what)
            case .database:
                context.logger.error("database error on \(request.method) \(request.uri.path): \(error)")
                throw APIError(.serviceUnavailable, error.code, "The database is not answering; try again shortly.",
                    retryAfterSeconds: 5)
            }
        } catch let error as DecodingError {
            throw APIError.badRequest("the request body is not the expected JSON: \(Self.describe(error))")
        } catch {
            context.logger.error("internal error on \(request.method) \(request.uri.path): \(error)")
            throw APIError.internalError("The server failed to answer; it has been logged.")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "missing field '\(key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            (context.codingPath.map(\.stringValue).joined(separator: ".") + " " + context.debugDescription)
                .trimmingWhitespace()
        @unknown default: "\(error)"
        }
    }
}
