import ACME
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// Our ACME client against Pebble, Let's Encrypt's test CA (Debian `pebble`), on loopback: HTTP-01 validation
/// against our challenge server, a certificate a TLS server then serves (checked by the openssl CLI against
/// Pebble's root), and a restart that reuses the cache without a single request to the CA.
@Suite("ACME against Pebble", .serialized, .enabled(if: PebblePeer.shouldRun,
    "needs pebble and openssl (apt-get install pebble openssl); under CI=true this fails instead"))
struct PebbleTests {
    @Test("A certificate is obtained, served over TLS, and reused from the cache after a restart")
    func obtainServeAndReuse() async throws {
        try await PebblePeer.withPebble { pebble in
            let responder = HTTP01ChallengeResponder()
            let challengeServer = try await HTTP01ChallengeServer.start(host: "127.0.0.1", port: pebble.httpPort,
                responder: responder)
            // Created after the last throwing set-up step: an HTTPClient dropped without shutdown traps in debug
            // builds and would take the whole test process down with it.
            let transport: AsyncHTTPClientTransport
            do { transport = try AsyncHTTPClientTransport(trustedCAFile: pebble.caFile) } catch {
                await challengeServer.stop()
                throw error
            }
            let cacheDirectory = pebble.directory.appendingPathComponent("acme-cache")
            let configuration = ACMEConfiguration(directoryURL: pebble.directoryURL, domains: ["localhost"],
                cacheDirectory: cacheDirectory)
            do {
                let now = Int64(Date().timeIntervalSince1970)
                let first = try await ACMECertificateManager(configuration: configuration, responder: responder,
                    transport: transport).currentCertificate(now: now)
                #expect(first.origin == .issued)
                #expect(first.info.notBefore <= now + 60 && now < first.info.notAfter)
                #expect(first.chainPEM.components(separatedBy: "-----BEGIN CERTIFICATE-----").count >= 3)

                // The account key and certificate key files are private.
                let keyFile = cacheDirectory.appendingPathComponent("localhost/key.pem").path
                let attributes = try FileManager.default.attributesOfItem(atPath: keyFile)
                #expect((attributes[.posixPermissions] as? Int) == 0o600)

                // A TLS server presents it; openssl verifies the chain to Pebble's root and the host name.
                let root = try await pebble.rootPEM(transport: transport)
                let rootFile = pebble.directory.appendingPathComponent("pebble-root.pem")
                try root.write(to: rootFile, atomically: true, encoding: .utf8)
                let verification = try await Self.serve(first) { port in
                    try TestCertificates.run(try TestCertificates.tool("openssl"), ["s_client", "-connect",
                        "127.0.0.1:\(port)", "-servername", "localhost", "-verify_hostname", "localhost",
                        "-CAfile", rootFile.path, "-verify_return_error", "-brief"], seconds: 30,
                        allowFailure: true)
                }
                #expect(verification.status == 0, "\(verification.output)")
                #expect(verification.output.contains("Verification: OK"), "\(verification.output)")

                // "Restart": a new manager on the same cache directory sends nothing to the CA.
                let counting = CountingTransport(transport)
                let again = try await ACMECertificateManager(configuration: configuration, responder: responder,
                    transport: counting).currentCertificate(now: now + 3600)
                #expect(again.origin == .cache)
                #expect(again.chainPEM == first.chainPEM)
                #expect(again.key == first.key)
                #expect(await counting.requests.log.isEmpty)

                // Past two thirds of the lifetime it renews — same account (no new key file), new certificate.
                let accountKey = try String(contentsOf: cacheDirectory.appendingPathComponent("account-key.pem"),
                    encoding: .utf8)
                let renewed = try await ACMECertificateManager(configuration: configuration, responder: responder,
                    transport: counting).currentCertificate(now: first.info.renewalTime + 1)
                #expect(renewed.origin == .issued)
                #expect(renewed.chainPEM != first.chainPEM)
                #expect(await counting.requests.log.contains { $0.hasPrefix("POST") && $0.hasSuffix("/order-plz") })
                #expect(try String(contentsOf: cacheDirectory.appendingPathComponent("account-key.pem"),
                    encoding: .utf8) == accountKey)
                let cached = try await ACMECertificateManager(configuration: configuration, responder: responder,
                    transport: counting).currentCertificate(now: now + 7200)
                #expect(cached.chainPEM == renewed.chainPEM)
            } catch {
                await challengeServer.stop()
                await transport.shutdown()
                throw error
            }
            await challengeServer.stop()
            await transport.shutdown()
        }
    }

    @Test("When the challenge cannot be fetched the order fails with a validation error, and nothing is cached")
    func unreachableChallenge() async throws {
        try await PebblePeer.withPebble { pebble in
            let transport = try AsyncHTTPClientTransport(trustedCAFile: pebble.caFile)
            let cacheDirectory = pebble.directory.appendingPathComponent("acme-cache")
            let configuration = ACMEConfiguration(directoryURL: pebble.directoryURL, domains: ["localhost"],
                cacheDirectory: cacheDirectory)
            // No challenge server on pebble.httpPort.
            let manager = ACMECertificateManager(configuration: configuration, responder: HTTP01ChallengeResponder(),
                transport: transport)
            let error = await #expect(throws: ACMEError.self) {
                try await manager.currentCertificate(now: Int64(Date().timeIntervalSince1970))
            }
            #expect(error?.code == .validationFailed || error?.code == .problem, "\(String(describing: error))")
            #expect(!FileManager.default.fileExists(atPath: cacheDirectory.appendingPathComponent("localhost").path))
            await transport.shutdown()
        }
    }

    /// Serves `certificate` with NIOSSL on a free loopback port while `body` runs.
    static func serve<T>(_ certificate: ACMECertificate, _ body: (Int) throws -> T) async throws -> T {
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(certificate.chainPEM.utf8))
        let key = try NIOSSLPrivateKey(bytes: Array(certificate.key.pem.utf8), format: .pem)
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        let context = try NIOSSLContext(configuration: configuration)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { channel.close(promise: nil) }
        let port = try #require(channel.localAddress?.port)
        return try body(port)
    }
}
