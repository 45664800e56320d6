import Foundation

/// JSON Web Tokens (RFC 7519) signed with HMAC-SHA256 (JWS "HS256", RFC 7518 §3.2) under one purpose's key
/// (``DeploymentKeys``). Only compact JWS serialization and only HS256: verification never takes the algorithm
/// from the token (RFC 8725 §2.1, §3.1), so "none", RS256-with-an-HMAC-key and other confusions are refused.
///
/// Registered claims used: `aud` (the purpose: "join", "fs", "server"; checked, so a token for one purpose is not
/// accepted for another even if keys were misconfigured to be equal), `exp` (required), `nbf` and `iat`.
public struct JSONWebTokenSigner: Sendable {
    /// The HMAC key.
    public let key: [UInt8]
    /// The `aud` value written and required.
    public let audience: String
    /// Tokens longer than this are refused before any decoding (a join token is ~400 bytes).
    public static let maximumLength = 8192

    public init(key: [UInt8], audience: String) {
        self.key = key
        self.audience = audience
    }

    /// A signer for `purpose` with that purpose's key from `keys`; the audience is the purpose's name.
    public init(keys: DeploymentKeys, purpose: KeyPurpose) {
        self.init(key: keys.key(for: purpose), audience: purpose.rawValue)
    }

    /// `{"alg":"HS256","typ":"JWT"}`, base64url.
    private static let encodedHeader = Base64.encodeURL(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))

    /// Signs `claims` merged with `aud`, `iat` = `issuedAt` and `exp` = `expiresAt` (Unix seconds).
    public func sign<Claims: Encodable>(_ claims: Claims, issuedAt: Int64, expiresAt: Int64)
        throws(TokenError) -> String
    {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let payload: Data
        do {
            payload = try encoder.encode(Envelope(registered: RegisteredClaims(aud: audience, exp: expiresAt,
                nbf: nil, iat: issuedAt), claims: claims))
        } catch {
            throw TokenError(.malformed, "the claims cannot be encoded as JSON: \(error)")
        }
        let signingInput = Self.encodedHeader + "." + Base64.encodeURL(Array(payload))
        let signature = KeyedHashing.hmac(.sha256, key: key, data: Array(signingInput.utf8))
        return signingInput + "." + Base64.encodeURL(signature)
    }

    /// Verifies `token` and returns its claims, or throws why not: malformed, an algorithm other than HS256, a
    /// signature that does not match (forged, or signed with another deployment's key), another purpose's token,
    /// expired (`exp` ≤ `now` − `leeway`) or not yet valid (`nbf` > `now` + `leeway`). `now` is Unix seconds, given
    /// by the caller (sans-IO: tests pass any time).
    public func verify<Claims: Decodable>(_ token: String, as type: Claims.Type = Claims.self, now: Int64,
        leeway: Int64 = 0) throws(TokenError) -> Claims
    {
        guard token.utf8.count <= Self.maximumLength else {
            throw TokenError(.malformed, "the token is longer than \(Self.maximumLength) bytes")
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw TokenError(.malformed, "a token has three dot-separated parts (header.payload.signature)")
        }
        guard let headerBytes = Base64.decodeURL(parts[0]),
            let header = try? JSONDecoder().decode(Header.self, from: Data(headerBytes))
        else {
            throw TokenError(.malformed, "the token header is not base64url JSON")
        }
        guard header.alg == "HS256" else {
            throw TokenError(.unsupportedAlgorithm, "algorithm '\(header.alg)' is not accepted; only HS256 is")
        }
        guard header.crit == nil else {
            throw TokenError(.unsupportedAlgorithm, "critical header extensions are not supported (RFC 7515 §4.1.11)")
        }
        guard let signature = Base64.decodeURL(parts[2]) else {
            throw TokenError(.malformed, "the token signature is not base64url")
        }
        let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        let expected = KeyedHashing.hmac(.sha256, key: key, data: signingInput)
        guard KeyedHashing.constantTimeEquals(signature, expected) else {
            throw TokenError(.badSignature, "the token's signature does not match (forged, altered, or from another deployment)")
        }
        guard let payloadBytes = Base64.decodeURL(parts[1]) else {
            throw TokenError(.malformed, "the token payload is not base64url")
        }
        let payload = Data(payloadBytes)
        let registered: RegisteredClaims
        do {
            registered = try JSONDecoder().decode(RegisteredClaims.self, from: payload)
        } catch {
            throw TokenError(.malformed, "the token payload lacks aud/exp or is not JSON")
        }
        guard registered.aud == audience else {
            throw TokenError(.wrongAudience, "this is a '\(registered.aud)' token; a '\(audience)' token is needed")
        }
        guard now < registered.exp + leeway else {
            throw TokenError(.expired, "the token expired at \(registered.exp) (now \(now)); ask for a new one")
        }
        if let notBefore = registered.nbf, notBefore > now + leeway {
            throw TokenError(.notYetValid, "the token is not valid before \(notBefore) (now \(now))")
        }
        do {
            return try JSONDecoder().decode(Claims.self, from: payload)
        } catch {
            throw TokenError(.malformed, "the token's claims do not have the expected shape: \(error)")
        }
    }

    private struct Header: Decodable {
        var alg: String
        var crit: [String]?
    }

    /// `aud`, `exp`, `nbf`, `iat` (RFC 7519 §4.1).
    struct RegisteredClaims: Codable {
        var aud: String
        var exp: Int64
        var nbf: Int64?
        var iat: Int64?
    }

    /// Writes the registered claims and the caller's claims into one JSON object.
    private struct Envelope<Claims: Encodable>: Encodable {
        var registered: RegisteredClaims
        var claims: Claims

        func encode(to encoder: any Encoder) throws {
            try registered.encode(to: encoder)
            try claims.encode(to: encoder)
        }
    }
}

/// Why a token was refused. `code` is stable (logs, metrics and API error bodies carry it); `message` says what
/// happened for a person.
public struct TokenError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public static let malformed = Code(name: "token.malformed")
        public static let unsupportedAlgorithm = Code(name: "token.unsupported-algorithm")
        public static let badSignature = Code(name: "token.bad-signature")
        public static let wrongAudience = Code(name: "token.wrong-audience")
        public static let expired = Code(name: "token.expired")
        public static let notYetValid = Code(name: "token.not-yet-valid")
        public var description: String { name }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
