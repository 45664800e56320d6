import SMTP
import TestSupport

extension SMTPPeer {
    /// A configuration for one of the peer's listeners, trusting the test CA.
    func server(_ listener: String, security: SMTPTransportSecurity, credentials: SMTPCredentials? = nil,
        from: String = "meeting@example.org") throws -> SMTPServerConfiguration
    {
        SMTPServerConfiguration(host: "127.0.0.1", port: try port(listener), security: security,
            credentials: credentials, from: from, trust: .certificateAuthorityFile(caFile))
    }
}
