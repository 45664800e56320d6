import Foundation
import ServerKit
import Testing

private func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

private func bytes(hex text: String) -> [UInt8] {
    var out: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex, let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex) {
        out.append(UInt8(text[index..<next], radix: 16) ?? 0)
        index = next
    }
    return out
}

@Suite("Deployment keys (HKDF-SHA256)")
struct DeploymentKeyTests {
    @Test("RFC 5869 test cases 1 and 3")
    func rfc5869() {
        let okm1 = KeyedHashing.hkdfSHA256(inputKey: [UInt8](repeating: 0x0b, count: 22),
            salt: bytes(hex: "000102030405060708090a0b0c"), info: bytes(hex: "f0f1f2f3f4f5f6f7f8f9"), length: 42)
        #expect(hex(okm1) == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
        let okm3 = KeyedHashing.hkdfSHA256(inputKey: [UInt8](repeating: 0x0b, count: 22), info: [], length: 42)
        #expect(hex(okm3) == "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
    }

    @Test("One key per purpose: distinct, deterministic, none equal to the secret")
    func perPurpose() {
        let secret = "0123456789abcdef0123456789abcdef"
        let keys = DeploymentKeys(secret: secret)
        let all = KeyPurpose.allCases.map { keys.key(for: $0) }
        #expect(Set(all).count == 4)
        #expect(all.allSatisfy { $0.count == 32 && $0 != Array(secret.utf8) })
        #expect(DeploymentKeys(secret: secret) == keys)
        #expect(DeploymentKeys(secret: secret + "x").join != keys.join)
        #expect(keys.turn == KeyedHashing.hkdfSHA256(inputKey: Array(secret.utf8), info: Array("turn".utf8), length: 32))
    }

    @Test("SHA-256 (FIPS 180-4 'abc') and constant-time comparison")
    func digestAndCompare() {
        #expect(hex(KeyedHashing.sha256(Array("abc".utf8)))
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(KeyedHashing.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!KeyedHashing.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!KeyedHashing.constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(KeyedHashing.randomBytes(16).count == 16)
        #expect(KeyedHashing.randomBytes(16) != KeyedHashing.randomBytes(16))
    }
}

@Suite("Base64 and base64url")
struct Base64Tests {
    @Test("RFC 4648 §10 vectors, both ways")
    func vectors() {
        let cases = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")]
        for (plain, encoded) in cases {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
            #expect(Base64.encodeURL(Array(plain.utf8)) == encoded.replacingOccurrences(of: "=", with: ""))
            #expect(Base64.decodeURL(encoded.replacingOccurrences(of: "=", with: "")) == Array(plain.utf8))
        }
        #expect(Base64.encodeURL([0xfb, 0xff]) == "-_8")
        #expect(Base64.decodeURL("-_8") == [0xfb, 0xff])
    }

    @Test("Strict: foreign characters, impossible lengths and non-canonical tails are nil", arguments: [
        "Zm9v!", "Z", "Zm9vY", "Zh==", "+/8", "Zm 9v",
    ])
    func strict(text: String) {
        #expect(Base64.decodeURL(text) == nil)
    }
}

@Suite("JWT HS256 tokens")
struct JSONWebTokenTests {
    static let keys = DeploymentKeys(secret: "0123456789abcdef0123456789abcdef")
    static let authority = TokenAuthority(keys: keys)
    static let claims = JoinClaims(meetingID: "m-42", participantID: "u-7", displayName: "Ada Lovelace",
        role: .coHost, grants: .defaults(for: .coHost), sfu: "sfu1.example.com:443")

    @Test("RFC 7515 A.1: HMAC-SHA256 over the signing input gives the RFC's signature")
    func rfc7515() throws {
        let key = try #require(Base64.decodeURL(
            "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"))
        let input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
            + ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
        #expect(Base64.encodeURL(KeyedHashing.hmac(.sha256, key: key, data: Array(input.utf8)))
            == "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    }

    @Test("A join token round-trips with every claim")
    func roundTrip() throws {
        let token = try Self.authority.join.sign(Self.claims, issuedAt: 1_000, expiresAt: 1_300)
        let parts = token.split(separator: ".")
        #expect(parts.count == 3)
        let header = try #require(Base64.decodeURL(parts[0]))
        #expect(String(decoding: header, as: UTF8.self) == #"{"alg":"HS256","typ":"JWT"}"#)
        let payload = String(decoding: try #require(Base64.decodeURL(parts[1])), as: UTF8.self)
        #expect(payload.contains(#""aud":"join""#) && payload.contains(#""exp":1300"#)
            && payload.contains(#""role":"co-host""#) && payload.contains(#""mid":"m-42""#))
        #expect(try Self.authority.join.verify(token, as: JoinClaims.self, now: 1_100) == Self.claims)
    }

    @Test("Expired tokens are refused with token.expired; leeway applies")
    func expired() throws {
        let token = try Self.authority.join.sign(Self.claims, issuedAt: 1_000, expiresAt: 1_300)
        #expect(throws: TokenError.self) { _ = try Self.authority.join.verify(token, as: JoinClaims.self, now: 1_300) }
        do {
            _ = try Self.authority.join.verify(token, as: JoinClaims.self, now: 5_000)
            Issue.record("an expired token was accepted")
        } catch {
            #expect(error.code == .expired)
        }
        #expect(try Self.authority.join.verify(token, as: JoinClaims.self, now: 1_310, leeway: 30) == Self.claims)
    }

    @Test("A token signed with another deployment's secret or altered in any part is refused as bad-signature")
    func forged() throws {
        let other = TokenAuthority(secret: "another-deployment-secret-000000")
        let foreign = try other.join.sign(Self.claims, issuedAt: 1_000, expiresAt: 1_300)
        #expect(Self.code(foreign) == .badSignature)
        let token = try Self.authority.join.sign(Self.claims, issuedAt: 1_000, expiresAt: 1_300)
        let parts = token.split(separator: ".").map(String.init)
        // Raise the role to host in the payload, keep the signature.
        var claims = Self.claims
        claims.role = .host
        let raised = try other.join.sign(claims, issuedAt: 1_000, expiresAt: 1_300).split(separator: ".")[1]
        #expect(Self.code(parts[0] + "." + raised + "." + parts[2]) == .badSignature)
        var signature = Array(parts[2])
        signature[0] = signature[0] == "A" ? "B" : "A"
        #expect(Self.code(parts[0] + "." + parts[1] + "." + String(signature)) == .badSignature)
    }

    @Test("Algorithms other than HS256 (none, HS512, RS256) are refused before any signature check")
    func algorithms() throws {
        let token = try Self.authority.join.sign(Self.claims, issuedAt: 1_000, expiresAt: 1_300)
        let parts = token.split(separator: ".").map(String.init)
        for alg in ["none", "HS512", "RS256", "hs256"] {
            let header = Base64.encodeURL(Array(#"{"alg":"\#(alg)","typ":"JWT"}"#.utf8))
            #expect(Self.code(header + "." + parts[1] + "." + parts[2]) == .unsupportedAlgorithm)
            #expect(Self.code(header + "." + parts[1] + ".") == .unsupportedAlgorithm)
        }
    }

    @Test("A token for one purpose is not accepted for another")
    func purposes() throws {
        let fsClaims = FileClaims(meetingID: "m-42", participantID: "u-7", displayName: "Ada", fs: "fs:443",
            upload: true, download: true)
        let fsToken = try Self.authority.fs.sign(fsClaims, issuedAt: 1_000, expiresAt: 1_300)
        #expect(Self.code(fsToken) == .badSignature)
        // Even with equal keys the audience differs.
        let sameKey = JSONWebTokenSigner(key: Self.keys.join, audience: "fs")
        let confused = try sameKey.sign(fsClaims, issuedAt: 1_000, expiresAt: 1_300)
        #expect(Self.code(confused) == .wrongAudience)
        #expect(try Self.authority.fs.verify(fsToken, as: FileClaims.self, now: 1_001) == fsClaims)
    }

    @Test("Malformed tokens are refused without trapping", arguments: [
        "", ".", "..", "a.b.c", "a.b", "a.b.c.d", "eyJhbGciOiJIUzI1NiJ9..", "eyJ9.e30.AAAA", "\u{0}.\u{0}.\u{0}",
        String(repeating: "a", count: 9000),
    ])
    func malformed(token: String) {
        #expect(Self.code(token) != nil)
    }

    @Test("Server credentials verify with the server key and carry kind and address")
    func serverCredential() throws {
        let credential = try Self.authority.serverCredential(kind: .sfu, address: "sfu1:443", now: 2_000)
        let claims = try Self.authority.server.verify(credential, as: ServerClaims.self, now: 2_030)
        #expect(claims.kind == .sfu && claims.address == "sfu1:443")
        #expect(throws: TokenError.self) { _ = try Self.authority.server.verify(credential, as: ServerClaims.self, now: 2_061) }
        let other = TokenAuthority(secret: "wrong-secret-wrong-secret-000000")
        let wrong = try other.serverCredential(kind: .sfu, address: "sfu1:443", now: 2_000)
        #expect(throws: TokenError.self) { _ = try Self.authority.server.verify(wrong, as: ServerClaims.self, now: 2_001) }
    }

    static func code(_ token: String) -> TokenError.Code? {
        do {
            _ = try authority.join.verify(token, as: JoinClaims.self, now: 1_100)
            return nil
        } catch {
            return error.code
        }
    }
}

@Suite("TURN REST credentials")
struct TURNRESTCredentialTests {
    @Test("coturn's scheme: username expiry:user, password base64(HMAC-SHA1(key, username))")
    func coturnScheme() {
        // printf '%s' '1700000000:user' | openssl dgst -sha1 -hmac secret -binary | base64
        let credential = TURNRESTCredential.mint(key: Array("secret".utf8), user: "user", expiresAt: 1_700_000_000)
        #expect(credential.username == "1700000000:user")
        #expect(credential.password == "I/MZeIG6MwzOV8Uubr9liB2556o=")
    }
}
