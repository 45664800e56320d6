import APIServer
import ArgumentParser
import Foundation
import Logging
import NIOCore
import SFU
import ServerKit
import TURN

/// `meeting up`: every server on this machine with embedded SQLite. Glue only: each server comes from its library.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Runs every server on this machine with embedded SQLite, and prints a join link.",
        discussion: """
            For trying Meeting out and for tests. Listens on localhost unless --public-ip is given. Without a mail \
            server, sign-in codes are printed here. The deployment secret is generated once and kept in --data.
            """
    )

    @Option(name: .customLong("data"), help: ArgumentHelp("Directory for the database, files and certificates.", valueName: "dir"))
    var data: String = "./meeting-data"
    @Option(name: .customLong("http-port"), help: "Port of the web page and API.")
    var httpPort: UInt16 = 8080
    @Option(name: .customLong("turn-port"), help: "STUN/TURN port (UDP and TCP).")
    var turnPort: UInt16 = 3478
    @Option(name: .customLong("sfu-port"), help: "Port of the sfuserver's signaling WebSocket (/rtc).")
    var sfuPort: UInt16 = 8081
    @Option(name: .customLong("sfu-udp-port"), help: "UDP port of the sfuserver's media.")
    var sfuUDPPort: UInt16 = 3479
    @Option(name: .customLong("public-ip"), help: ArgumentHelp("Serve the LAN at this address instead of localhost only.", valueName: "ip"))
    var publicIP: String?
    @Option(name: .customLong("admin"), help: ArgumentHelp("The administrator, who owns the first meeting.", valueName: "email"))
    var admin: String = "admin@meeting.localhost"

    func run() async throws {
        let host = publicIP ?? "127.0.0.1"
        var logger = Logger(label: "meeting.up")
        logger.logLevel = .warning
        do {
            let secret = try UpEnvironment.secret(dataDirectory: data)
            var configuration = APIServerConfiguration(secret: secret, publicURL: "http://\(host):\(httpPort)",
                host: host, port: Int(httpPort))
            configuration.admins = [admin]
            configuration.sfuSignalingScheme = "ws"
            configuration.mailFrom = "meeting@meeting.localhost"
            configuration.onSignInCode = { email, code in
                writeLine("meeting up: sign-in code for \(email): \(code)  (no mail server configured; valid 10 minutes)")
            }
            let store = try await APIServer.openStore(.sqlite(directory: data))
            let server = APIServer(configuration: configuration, store: store, logger: logger)

            let turn: TURNServer
            do {
                turn = try await TURNServer.start(settings: TURNServerSettings.fromFlags(
                    deploymentSecret: secret, publicIP: host, port: turnPort, listen: [host], tlsPort: nil,
                    certificatePath: nil, privateKeyPath: nil, relayPorts: "49152-65535", realm: "meeting",
                    staticAuthSecret: nil, allowPeers: [], denyPeers: [], allowLoopbackPeers: publicIP == nil,
                    userQuota: 10, maxBitsPerSecond: 0, metrics: nil))
            } catch {
                throw APIServerStartError("turnserver: \(error)")
            }
            let (started, continuation) = AsyncStream<Int>.makeStream()
            let appTask = Task {
                defer { continuation.finish() }
                try await server.run { port in continuation.yield(port) }
            }
            var iterator = started.makeAsyncIterator()
            guard await iterator.next() != nil else {
                await turn.shutdown()
                if case .failure(let error) = await appTask.result {
                    throw APIServerStartError("apiserver on \(host):\(httpPort): \(error)")
                }
                throw APIServerStartError("the apiserver on \(host):\(httpPort) did not start")
            }
            let registration = RegistryClient(configuration: .init(
                url: RegistryClient.registryURL(apiserver: HostAndPort(host: host, port: httpPort), tls: false),
                kind: .turn, address: "\(host):\(turn.port)", capacity: 1000, tokens: TokenAuthority(secret: secret)),
                logger: logger)
            let registrationTask = Task { await registration.run(status: { RegistryStatus(load: 0) }) }
            let sfu: SFUServer
            do {
                sfu = try await SFUServer.start(settings: SFUServerSettings(tokens: TokenAuthority(secret: secret),
                    domainAddress: "\(host):\(sfuPort)", listenHost: host, listenPort: Int(sfuPort), mediaHost: host,
                    udpPort: Int(sfuUDPPort), apiserver: HostAndPort(host: host, port: httpPort), apiserverTLS: false),
                    logger: logger)
            } catch {
                appTask.cancel()
                await turn.shutdown()
                throw APIServerStartError("sfuserver: \(error)")
            }
            // The link works once the sfuserver is in the registry (otherwise the first join would be told to wait).
            if !(await sfu.waitUntilRegistered(timeout: .seconds(15))) {
                writeToStandardError("meeting up: the sfuserver has not registered with the apiserver yet; joins wait until it does\n")
            }
            let link = try await server.personalRoomLink(for: admin)
            writeLine("""

                meeting up: running from \(data) (SQLite)
                  apiserver   http://\(host):\(httpPort)   (API: docs/api.md; health: /healthz, metrics: /metrics)
                  turnserver  \(host):\(turn.port) UDP+TCP, registered with the apiserver
                  sfuserver   ws://\(host):\(sfu.signalingPort)/rtc, media UDP \(host):\(sfu.mediaAddress.port ?? 0), registered
                  not built yet: fsserver ([fs+alloc]). No allocateserver: the apiserver picks the least-loaded
                  registered servers (meeting allocateserver, docs/allocateserver/, for policies).

                Join link (\(admin)'s room):  \(link)
                Sign in:  curl -s -X POST http://\(host):\(httpPort)/v1/signin/code -H 'Content-Type: application/json' \\
                            -d '{"email":"\(admin)"}'
                          the one-time code is printed here; then POST /v1/signin/verify {"email","code"}.
                Join with the terminal client:  meetclient join \(link)

                Stop with Ctrl-C.
                """)
            _ = await appTask.result
            registrationTask.cancel()
            await sfu.shutdown()
            await turn.shutdown()
        } catch let error as APIServerStartError {
            writeToStandardError("meeting up: \(error)\n")
            throw ExitCode.failure
        }
    }
}
