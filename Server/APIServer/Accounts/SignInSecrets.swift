import HTTPTypes
import ServerKit

/// The secrets of signing in: one-time codes and session tokens, and how they are kept at rest.
///
/// - A sign-in code is 6 decimal digits drawn uniformly from the CSPRNG. Only its HMAC-SHA256 under a key derived
///   from `--secret` (HKDF info "signin-code") is stored, bound to the e-mail address: a leaked database does not
///   reveal codes, and a 10⁶-entry table of plain hashes would not help without the key. Comparison is
///   constant-time.
/// - A session token is 32 random bytes (base64url, 43 characters). Only its SHA-256 is stored; it has 256 bits of
///   entropy, so no key is needed to make the hash irreversible.
public struct SignInSecrets: Sendable {
    let codeKey: [UInt8]

    public init(secret: String) {
        codeKey = KeyedHashing.hkdfSHA256(inputKey: Array(secret.utf8), info: Array("signin-code".utf8), length: 32)
    }

    /// A fresh 6-digit code, uniform over 000000–999999 (rejection sampling, no modulo bias).
    public static func newCode() -> String {
        while true {
            let bytes = KeyedHashing.randomBytes(4)
            let value = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            // 4_294_000_000 is the largest multiple of 10⁶ not above 2³²; values past it would bias low codes.
            guard value < 4_294_000_000 else { continue }
            let code = String(value % 1_000_000)
            return String(repeating: "0", count: 6 - code.count) + code
        }
    }

    /// What is stored for `code` sent to `email` (lower-cased); the store compares it in constant time.
    public func codeHash(email: String, code: String) -> [UInt8] {
        KeyedHashing.hmac(.sha256, key: codeKey, data: Array((email.lowercased() + "\n" + code).utf8))
    }

    /// What is stored for a meeting's passcode: keyed like codes, bound to the meeting id.
    public func passcodeHash(meetingID: String, passcode: String) -> [UInt8] {
        KeyedHashing.hmac(.sha256, key: codeKey, data: Array(("passcode\n" + meetingID + "\n" + passcode).utf8))
    }

    /// A fresh session token and the hash to store.
    public static func newSessionToken() -> (token: String, hash: [UInt8]) {
        let token = Base64.encodeURL(KeyedHashing.randomBytes(32))
        return (token, sessionHash(token))
    }

    /// The stored form of a session token.
    public static func sessionHash(_ token: String) -> [UInt8] {
        KeyedHashing.sha256(Array(token.utf8))
    }
}
