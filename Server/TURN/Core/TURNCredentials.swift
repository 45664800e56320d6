import STUN
import ServerKit

/// TURN REST ephemeral credentials (draft-uberti-behave-turn-rest-00 §2.2; coturn's `use-auth-secret`):
/// username `EXPIRY:USER` (or just `EXPIRY`), where EXPIRY is a Unix time in seconds, and password
/// `base64(HMAC-SHA1(key, username))`. The server recomputes the password from the username, so it needs no user
/// database; a username whose EXPIRY has passed is refused.
public struct TURNRESTCredentials: Hashable, Sendable {
    /// The HMAC key bytes.
    public var key: [UInt8]
    /// Between the expiry and the user id; coturn's `--rest-api-separator`, `:` by default.
    public var separator: Character

    public init(key: [UInt8], separator: Character = ":") {
        self.key = key
        self.separator = separator
    }

    /// The key our deployment uses: HKDF-SHA256 of `--secret` with info "turn", 32 bytes (DESIGN.md §3). The
    /// apiserver derives the same key to mint the credentials it hands to clients.
    public static func derived(fromDeploymentSecret secret: String) -> TURNRESTCredentials {
        TURNRESTCredentials(key: TURNKeyDerivation.restKey(fromDeploymentSecret: secret))
    }

    /// coturn's `--static-auth-secret`: the secret's bytes are the HMAC key, unchanged.
    public static func coturnStaticSecret(_ secret: String) -> TURNRESTCredentials {
        TURNRESTCredentials(key: Array(secret.utf8))
    }

    /// The password for `username`: base64(HMAC-SHA1(key, username)).
    public func password(for username: String) -> String {
        TURNRESTCredential.password(key: key, username: username)
    }

    /// A username valid until `expiry` for `user` (nil: the bare timestamp form).
    public func username(expiringAt expiryUnixSeconds: Int64, user: String?) -> String {
        guard let user else { return String(expiryUnixSeconds) }
        return "\(expiryUnixSeconds)\(separator)\(user)"
    }

    /// The expiry written in `username`, or nil if it does not start with a decimal timestamp.
    public func expiry(of username: String) -> Int64? {
        let head = username.split(separator: separator, maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard !head.isEmpty, head.count <= 19, head.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(head)
    }
}

/// Key derivation from the deployment's shared `--secret` (DESIGN.md §3: one key per purpose, HKDF-SHA256).
public enum TURNKeyDerivation {
    /// HKDF-SHA256(ikm: secret's UTF-8, salt: none, info: "turn", L = 32): ServerKit's ``DeploymentKeys``, the
    /// same derivation the apiserver mints credentials with.
    public static func restKey(fromDeploymentSecret secret: String) -> [UInt8] {
        DeploymentKeys.derive(.turn, fromSecret: secret)
    }

    /// HKDF-SHA256 (RFC 5869) with an empty salt; `length` at most 8160 bytes.
    public static func hkdfSHA256(inputKey: [UInt8], info: [UInt8], length: Int) -> [UInt8] {
        KeyedHashing.hkdfSHA256(inputKey: inputKey, info: info, length: length)
    }
}
