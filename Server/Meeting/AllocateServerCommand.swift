import Allocator
import ArgumentParser
import Logging
import ServerKit

/// `meeting allocateserver`: the reference allocation policy server.
struct AllocateServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allocateserver",
        abstract: "Answers the apiserver's question 'which sfu/turn/fs serves this meeting?' by a configured policy.",
        discussion: """
            Contract: GET <path>?Kind=SFUTURN&Email=E&BeginAt=S&EndAt=S -> {"sfu":"host:port","turn":"ip:port"}
                      GET <path>?Kind=FS&Email=E -> {"fs":"host:port"}; non-200 while a server is being prepared.
            Example:
              meeting allocateserver --config /etc/meeting/allocate.json --listen 10.0.0.2:80 --path /k3xq9-allocate
            """
    )

    @Option(name: .customLong("config"), help: ArgumentHelp("Policy configuration file (see docs/).", valueName: "file"))
    var config: String
    @Option(name: .customLong("listen"), help: ArgumentHelp("Address to listen on.", valueName: "host:port"))
    var listen: String = "127.0.0.1:8090"
    @Option(name: .customLong("path"), help: ArgumentHelp("The one URL path served; make it unguessable.", valueName: "path"))
    var path: String

    func validate() throws {
        try validateHostAndPort(listen, flag: "--listen")
        guard path.hasPrefix("/"), path.count >= 8 else {
            throw ValidationError("--path must start with '/' and be hard to guess (at least 8 characters)")
        }
    }

    func run() async throws {
        let configuration: AllocatorConfiguration
        do {
            configuration = try AllocatorConfiguration.load(path: config)
        } catch {
            writeToStandardError("meeting allocateserver: --config \(config): \(error)\n")
            throw ExitCode.failure
        }
        let address = try HostAndPort(parsing: listen)
        var logger = Logger(label: "meeting.allocateserver")
        logger.logLevel = .info
        let service: AllocatorService
        do {
            service = try await AllocatorService.open(configuration: configuration, logger: logger)
        } catch {
            writeToStandardError("meeting allocateserver: \(error)\n")
            throw ExitCode.failure
        }
        let server = AllocateServer(service: service, path: path, host: address.host, port: Int(address.port),
            logger: logger)
        do {
            try await server.run(untilSignalled: true) { port in
                writeLine("meeting allocateserver: listening on \(address.host):\(port)\(path) (health: /healthz)")
            }
        } catch {
            await service.shutdown()
            writeToStandardError("meeting allocateserver: \(error)\n")
            throw ExitCode.failure
        }
        await service.shutdown()
    }
}
