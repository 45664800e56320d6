import NIOCore
import NIOPosix

/// How often and how patiently ``SMTPSender`` goes round its servers before giving the message back to the
/// outbox.
public struct SMTPRetryPolicy: Sendable, Hashable {
    /// How many times the whole list of servers is tried (at least 1).
    public var rounds: Int
    /// The pause before the second round; doubled for each further round.
    public var initialBackoff: Duration
    /// The longest pause between rounds.
    public var maximumBackoff: Duration

    public init(rounds: Int = 3, initialBackoff: Duration = .seconds(2), maximumBackoff: Duration = .seconds(60)) {
        self.rounds = max(1, rounds)
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
    }

    /// One attempt at each server, no waiting: for a caller (the outbox worker) that schedules its own retries.
    public static let oncePerServer = SMTPRetryPolicy(rounds: 1)

    /// The pause after round `round` (0-based) failed transiently.
    public func backoff(afterRound round: Int) -> Duration {
        var pause = initialBackoff
        for _ in 0..<min(round, 30) {
            pause = pause * 2
            if pause >= maximumBackoff { return maximumBackoff }
        }
        return min(pause, maximumBackoff)
    }
}

/// Sends a message through the configured servers in order (the apiserver's repeatable `--mailServer …` sets):
/// the first server that accepts it wins; a failure that another server might not have (connection, TLS, 4yz,
/// AUTH, SIZE) moves on to the next; a permanent failure of the message itself (5yz to MAIL, RCPT or DATA) stops
/// at once. After a round of transient failures it waits (exponential back-off) and goes round again.
///
/// The outbox calls ``send(to:composing:)`` and, on a thrown ``SMTPError``, keeps the message when
/// ``SMTPError/isTransient`` and drops (and reports) it otherwise. A successful report may still list recipients
/// refused transiently (``SMTPDeliveryReport/transientlyRejected``); the outbox retries those alone.
public struct SMTPSender: Sendable {
    public var servers: [SMTPServerConfiguration]
    public var retryPolicy: SMTPRetryPolicy
    public var timeouts: SMTPTimeouts
    let group: any EventLoopGroup

    public init(servers: [SMTPServerConfiguration], retryPolicy: SMTPRetryPolicy = SMTPRetryPolicy(),
        timeouts: SMTPTimeouts = SMTPTimeouts(), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton)
    {
        self.servers = servers
        self.retryPolicy = retryPolicy
        self.timeouts = timeouts
        self.group = group
    }

    /// Delivers to `recipients`. `composing` renders the whole message for a server, given that server's
    /// `--mailFrom` (its From header should match the envelope sender, or receivers' SPF/DMARC checks fail).
    public func send(to recipients: [String], composing: (_ from: String) -> [UInt8])
        async throws(SMTPError) -> SMTPDeliveryReport
    {
        guard !servers.isEmpty else {
            throw SMTPError(.noServers, "no mail server is configured (--mailServer)", transient: false)
        }
        var failures: [SMTPError] = []
        for round in 0..<retryPolicy.rounds {
            var roundWasTransient = false
            for server in servers {
                let envelope = SMTPEnvelope(sender: server.from, recipients: recipients)
                do {
                    return try await SMTPConnection.deliver(composing(server.from), envelope: envelope,
                        through: server, timeouts: timeouts, group: group)
                } catch {
                    failures.append(error)
                    guard error.triesNextServer else { throw error }
                    roundWasTransient = roundWasTransient || error.isTransient
                }
            }
            guard roundWasTransient, round + 1 < retryPolicy.rounds else { break }
            do {
                try await Task.sleep(for: retryPolicy.backoff(afterRound: round))
            } catch {
                break
            }
        }
        throw Self.combine(failures)
    }

    /// One error for the outbox: transient if any server failed transiently, carrying the last reply and every
    /// server's reason in the message.
    static func combine(_ failures: [SMTPError]) -> SMTPError {
        guard var last = failures.last else {
            return SMTPError(.noServers, "no mail server is configured", transient: false)
        }
        if failures.count > 1 {
            last.message = failures.map(\.message).joined(separator: "; then ")
        }
        last.isTransient = failures.contains(where: \.isTransient)
        return last
    }
}
