import ArgumentParser

/// The flags every networked server of a deployment shares (the deployment doc's `--secret`, `--cert`,
/// `--certkey`).
struct DeploymentSecretOptions: ParsableArguments {
    @Option(
        name: .customLong("secret"),
        help: ArgumentHelp(
            "The deployment's shared secret. Every server of one deployment gets the same value.",
            discussion: "Never used directly: one key per purpose (join, turn, fs, server) is derived from it with HKDF-SHA256.",
            valueName: "secret"
        )
    )
    var secret: String

    func validate() throws {
        if secret.count < 16 {
            throw ValidationError("--secret must be at least 16 characters; generate one with `openssl rand -hex 32`")
        }
    }
}

/// `--cert/--certkey`: a PEM certificate chain and its key. Without them the server obtains a certificate by
/// ACME HTTP-01 on port 80 and keeps it in its data directory.
struct CertificateOptions: ParsableArguments {
    @Option(name: .customLong("cert"), help: ArgumentHelp("PEM certificate chain (optional).", valueName: "path"))
    var cert: String?

    @Option(name: .customLong("certkey"), help: ArgumentHelp("PEM private key of --cert.", valueName: "path"))
    var certkey: String?

    func validate() throws {
        try validateCertificatePair(cert: cert, certkey: certkey)
    }
}
