import ArgumentParser

/// `meeting fsserver`: meeting-minutes files.
struct FSServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsserver",
        abstract: "Stores the images and files written into meeting minutes, under --directory.",
        discussion: """
            Example:
              meeting fsserver --secret S --domainaddress fs.example.com:443 --cert c.pem --certkey k.pem \\
                --directory /var/lib/meeting/files --apiserver apiserver.example.com:443
            Firewall: open 443/TCP (and 80/TCP for ACME when no --cert is given).
            """
    )

    @OptionGroup var secret: DeploymentSecretOptions
    @Option(name: .customLong("domainaddress"), help: ArgumentHelp("Public address of this fsserver.", valueName: "host:port"))
    var domainaddress: String
    @OptionGroup var certificate: CertificateOptions
    @Option(name: .customLong("directory"), help: ArgumentHelp("Directory the files are stored in.", valueName: "dir"))
    var directory: String
    @Option(name: .customLong("apiserver"), help: ArgumentHelp("The apiserver to register with.", valueName: "host:port"))
    var apiserver: String

    func validate() throws {
        try validateHostAndPort(domainaddress, flag: "--domainaddress")
        try validateHostAndPort(apiserver, flag: "--apiserver")
    }

    func run() async throws {
        try exitNotBuiltYet(command: "meeting fsserver", tracking: "[fs+alloc]")
    }
}
