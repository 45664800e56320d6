/// One TURN REST credential (draft-uberti-behave-turn-rest-00 §2.2, coturn's `use-auth-secret`) as the apiserver
/// hands it to a client in the ICE servers of a join answer: username `EXPIRY:USER` with EXPIRY a Unix time in
/// seconds, password `base64(HMAC-SHA1(key, username))`. Any turnserver holding the same key (ours, derived with
/// ``KeyPurpose/turn``, or coturn given that key) recomputes the password from the username; no user database.
public struct TURNRESTCredential: Sendable, Hashable, Codable {
    public var username: String
    public var password: String
    /// Unix seconds after which the turnserver refuses the username.
    public var expiresAt: Int64

    public init(username: String, password: String, expiresAt: Int64) {
        self.username = username
        self.password = password
        self.expiresAt = expiresAt
    }

    /// Mints a credential for `user` valid until `expiresAt`, under `key` (``DeploymentKeys/turn``).
    /// The separator is coturn's default `:`; `user` must not contain it (it is cut at the first `:` if it does,
    /// since the turnserver reads the expiry as the text before the first separator, and anything after is the
    /// user's label only).
    public static func mint(key: [UInt8], user: String, expiresAt: Int64) -> TURNRESTCredential {
        let username = "\(expiresAt):\(user)"
        return TURNRESTCredential(username: username, password: password(key: key, username: username),
            expiresAt: expiresAt)
    }

    /// base64(HMAC-SHA1(key, username)).
    public static func password(key: [UInt8], username: String) -> String {
        Base64.encode(KeyedHashing.hmac(.sha1, key: key, data: Array(username.utf8)))
    }
}
