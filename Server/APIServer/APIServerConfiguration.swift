import HTTPTypes
import SMTP
import ServerKit

/// The apiserver's settings: what `meeting apiserver` and `meeting up` build from their flags, and what tests
/// shorten (intervals, limits) so that they finish quickly without fixed sleeps.
public struct APIServerConfiguration: Sendable {
    /// The deployment's keys (from `--secret`).
    public var keys: DeploymentKeys
    /// Code hashing (from `--secret`).
    public var signInSecrets: SignInSecrets
    /// The public base URL people reach this apiserver at, e.g. `https://apiserver.example.com` — used in
    /// join links and mails.
    public var publicURL: String
    /// Where to listen.
    public var host: String
    public var port: Int
    /// `--allocateserver`; nil: least-loaded registered servers.
    public var allocateServerURL: String?
    /// The allocateserver's answer time limit.
    public var allocateTimeout: Duration = .seconds(5)
    /// First retry delay after a not-ready allocation; doubles per failure up to ``allocationMaximumBackoff``.
    public var allocationBackoff: Duration = .seconds(2)
    public var allocationMaximumBackoff: Duration = .seconds(60)
    /// How often the background worker looks for due allocations, silent servers and mail.
    public var workerInterval: Duration = .seconds(1)
    /// E-mail addresses that are administrators (`--admin`).
    public var admins: Set<String> = []

    /// Sign-in codes live this long (10 minutes) and allow this many wrong guesses.
    public var codeLifetime: Int64 = 600
    public var codeAttempts: Int = 5
    /// Code requests per e-mail and per IP, verification failures per IP and per e-mail, per window. Counted in
    /// the database, so the limits hold across every apiserver of the deployment.
    public var codeRequestsPerEmail = RateLimit(limit: 5, windowSeconds: 900)
    public var codeRequestsPerIP = RateLimit(limit: 30, windowSeconds: 900)
    public var verifyFailuresPerIP = RateLimit(limit: 30, windowSeconds: 900)
    public var verifyFailuresPerEmail = RateLimit(limit: 15, windowSeconds: 3600)
    /// Sessions live this long (30 days).
    public var sessionLifetime: Int64 = 30 * 86_400
    /// Join and file tokens live this long: long enough to connect, short enough that a leaked one is useless.
    public var joinTokenLifetime: Int64 = 300
    /// TURN REST credentials live this long (a call may outlast a join token; relays need the credential on
    /// refresh).
    public var turnCredentialLifetime: Int64 = 12 * 3600

    /// Registered servers heartbeat this often and are dead after this much silence.
    public var heartbeatInterval: Duration = .seconds(5)
    public var deadAfter: Duration = .seconds(15)

    /// Whether sign-in codes are also written to the log (no mail server configured).
    public var logSignInCodes = false
    /// Called with each new sign-in code: `meeting up` prints it on the terminal when no mail server is set.
    public var onSignInCode: (@Sendable (_ email: String, _ code: String) -> Void)?
    /// The scheme of sfuserver signaling URLs in join answers: `wss`, or `ws` on a localhost `meeting up`.
    public var sfuSignalingScheme = "wss"
    /// Wrong passcodes per client IP and meeting, per window.
    public var passcodeFailuresPerIP = RateLimit(limit: 10, windowSeconds: 900)
    /// `--cert/--certkey`: serve HTTPS with them; nil: plain HTTP (unless ``acme`` is set).
    public var tls: TLSFiles?
    /// No `--cert/--certkey` and no `--http`: serve HTTPS with a certificate obtained and renewed by ACME.
    public var acme: APIServerACMESettings?
    /// The SMTP servers, tried in order (`--mailServer …`); empty: mail stays in the outbox.
    public var mailServers: [SMTPServerConfiguration] = []
    /// The sender of the apiserver's mail (the first `--mailFrom`).
    public var mailFrom = "meeting@localhost"

    public init(secret: String, publicURL: String, host: String = "0.0.0.0", port: Int = 443,
        allocateServerURL: String? = nil)
    {
        keys = DeploymentKeys(secret: secret)
        signInSecrets = SignInSecrets(secret: secret)
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.host = host
        self.port = port
        self.allocateServerURL = allocateServerURL
    }
}

/// At most `limit` events per fixed window of `windowSeconds`.
public struct RateLimit: Sendable, Hashable {
    public var limit: Int
    public var windowSeconds: Int64

    public init(limit: Int, windowSeconds: Int64) {
        self.limit = limit
        self.windowSeconds = windowSeconds
    }

    /// Seconds until the window containing `now` ends.
    func secondsLeft(now: Int64) -> Int {
        let start = now - ((now % windowSeconds) + windowSeconds) % windowSeconds
        return Int(max(1, start + windowSeconds - now))
    }
}

extension Duration {
    /// Whole seconds, rounded up, at least 1 — for `Retry-After` and JSON.
    var wholeSecondsRoundedUp: Int {
        let (seconds, attoseconds) = components
        return max(1, Int(seconds) + (attoseconds > 0 ? 1 : 0))
    }

    var secondsDouble: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
