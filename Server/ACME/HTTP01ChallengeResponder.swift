import Synchronization

/// The HTTP-01 side of domain validation (RFC 8555 §8.3): while an authorization is pending, the CA fetches
/// `http://<domain>/.well-known/acme-challenge/<token>` on port 80 and expects the key authorization as the body.
///
/// The ACME client adds and removes tokens; whatever serves port 80 asks ``response(forPath:)`` — the apiserver's
/// HTTP router can mount it, or ``HTTP01ChallengeServer`` serves it alone. Safe to use from any thread.
public final class HTTP01ChallengeResponder: Sendable {
    /// The path prefix of RFC 8555 §8.3.
    public static let pathPrefix = "/.well-known/acme-challenge/"

    private let tokens = Mutex<[String: String]>([:])

    public init() {}

    /// Serves `keyAuthorization` for `token` until removed.
    public func add(token: String, keyAuthorization: String) {
        tokens.withLock { $0[token] = keyAuthorization }
    }

    public func remove(token: String) {
        _ = tokens.withLock { $0.removeValue(forKey: token) }
    }

    /// The body to answer for a request path (query ignored), or `nil` (answer 404) when it is not a pending token.
    public func response(forPath path: String) -> String? {
        let path = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        guard path.hasPrefix(Self.pathPrefix) else { return nil }
        let token = String(path.dropFirst(Self.pathPrefix.count))
        guard !token.isEmpty, !token.contains("/") else { return nil }
        return tokens.withLock { $0[token] }
    }
}
