import NIOCore
import STUN

extension TURNServerCore {
    enum AuthenticationResult {
        case authenticated(Credentials)
        /// The answer to send instead (possibly none).
        case rejected([TURNAction])
    }

    /// The long-term credential mechanism, server side (RFC 8489 §9.2.4), with TURN REST passwords:
    /// 1. no MESSAGE-INTEGRITY → 401 with REALM and NONCE (the challenge);
    /// 2. MESSAGE-INTEGRITY without USERNAME, REALM or NONCE → 400;
    /// 3. a nonce that is not ours, not for this IP, or expired → 438 Stale Nonce with a fresh NONCE;
    /// 4. an unknown, malformed or expired username, or a MESSAGE-INTEGRITY that does not match → 401.
    /// Failures of 4 count toward the per-source rate limit.
    mutating func authenticate(_ context: RequestContext, raw: ByteBuffer) -> AuthenticationResult {
        let message = context.message
        let client = context.fiveTuple.client.address
        guard message.first(.messageIntegrity) != nil || message.first(.messageIntegritySHA256) != nil else {
            return .rejected(challenge(context, code: .unauthenticated))
        }
        guard let username = message.username, let realm = message.realm, let nonce = message.nonce else {
            return .rejected(respondError(context, .badRequest, key: nil))
        }
        switch nonces.check(nonce, from: client, now: context.now) {
        case .valid: break
        case .stale, .invalid: return .rejected(challenge(context, code: .staleNonce))
        }
        // From here on the nonce is valid: failures answer 401 with the same nonce, so a client with wrong
        // credentials sees that retrying cannot help (coturn's uclient then gives up instead of looping).
        guard realm == configuration.realm, username.utf8.count <= 512 else {
            recordFailure(client, now: context.now)
            return .rejected(challenge(context, code: .unauthenticated, nonce: nonce))
        }
        // The allocation's key first: most requests come from a client that already authenticated.
        if let slot = slotByFiveTuple[context.fiveTuple], let allocation = slots[Int(slot)],
            allocation.username == username,
            (try? STUNMessage.verifyIntegrity(of: raw, key: allocation.key, algorithm: .hmacSHA1)) != nil
        {
            if isExpiredRESTUsername(username, now: context.now) {
                recordFailure(client, now: context.now)
                return .rejected(challenge(context, code: .unauthenticated, nonce: nonce))
            }
            return .authenticated(Credentials(username: username, key: allocation.key))
        }
        for password in candidatePasswords(for: username, now: context.now) {
            let key = STUNIntegrityKey.longTerm(username: username, realm: realm, password: password)
            if (try? STUNMessage.verifyIntegrity(of: raw, key: key, algorithm: .hmacSHA1)) != nil {
                return .authenticated(Credentials(username: username, key: key))
            }
        }
        recordFailure(client, now: context.now)
        return .rejected(challenge(context, code: .unauthenticated, nonce: nonce))
    }

    /// Passwords that `username` may hold: its static password, and the REST password under each configured key
    /// if the username's expiry has not passed.
    func candidatePasswords(for username: String, now: TURNTime) -> [String] {
        var passwords: [String] = []
        if let password = configuration.staticUsers[username] { passwords.append(password) }
        for rest in configuration.restCredentials {
            guard let expiry = rest.expiry(of: username), expiry >= now.unixSeconds else { continue }
            passwords.append(rest.password(for: username))
        }
        return passwords
    }

    /// True when `username` is only valid as a REST username and its expiry has passed.
    func isExpiredRESTUsername(_ username: String, now: TURNTime) -> Bool {
        guard configuration.staticUsers[username] == nil, let rest = configuration.restCredentials.first,
            let expiry = rest.expiry(of: username)
        else { return false }
        return expiry < now.unixSeconds
    }

    /// 401 or 438 with REALM and a fresh NONCE, without MESSAGE-INTEGRITY (RFC 8489 §9.2.4).
    mutating func challenge(_ context: RequestContext, code: STUNErrorCode, nonce reused: String? = nil)
        -> [TURNAction]
    {
        let nonce = reused ?? nonces.issue(for: context.fiveTuple.client.address, now: context.now)
        return respondError(context, code, key: nil, extra: [.realm(configuration.realm), .nonce(nonce)], isChallenge: true)
    }

    func isRateLimited(_ source: STUNIPAddress, now: TURNTime) -> Bool {
        guard configuration.failedAuthenticationLimit > 0, let window = failedAuthentications[source],
            now < window.windowEnd
        else { return false }
        return window.count >= configuration.failedAuthenticationLimit
    }

    mutating func recordFailure(_ source: STUNIPAddress, now: TURNTime) {
        metrics.authenticationFailures += 1
        if var window = failedAuthentications[source], now < window.windowEnd {
            window.count += 1
            failedAuthentications[source] = window
        } else {
            // Bound the table: a spoofed flood from many addresses must not grow it without limit.
            guard failedAuthentications.count < 65_536 else { return }
            failedAuthentications[source] = FailureWindow(count: 1,
                windowEnd: now.adding(seconds: configuration.failedAuthenticationWindow))
        }
    }
}
