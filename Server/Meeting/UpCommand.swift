import ArgumentParser

/// `meeting up`: every server in one process on one machine.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Runs every server in one process on this machine with embedded SQLite, and prints a join link.",
        discussion: "For trying Meeting out and for tests. Listens on localhost unless --public-ip is given."
    )

    @Option(name: .customLong("data"), help: ArgumentHelp("Directory for the database, files and certificates.", valueName: "dir"))
    var data: String = "./meeting-data"
    @Option(name: .customLong("http-port"), help: "Port of the web page and API.")
    var httpPort: UInt16 = 8080
    @Option(name: .customLong("public-ip"), help: ArgumentHelp("Serve the LAN at this address instead of localhost only.", valueName: "ip"))
    var publicIP: String?

    func run() async throws {
        try exitNotBuiltYet(command: "meeting up", tracking: "[api] (with [sfu], [turn], [fs+alloc])")
    }
}
