@testable import ACME
import Foundation
import Testing

@Suite("ACME pieces: keys, JWS signatures, thumbprints, CSRs, challenge responder")
struct ACMEUnitTests {
    @Test("ES256 signatures verify with the openssl CLI; the thumbprint matches RFC 7638's recipe")
    func signAndThumbprint() throws {
        let key = try ACMEKey.generate()
        #expect(try ACMEKey(pem: key.pem) == key)
        let message = Array("eyJhbGciOiJFUzI1NiJ9.eyJ4IjoxfQ".utf8)
        let signature = try key.signES256(message)
        #expect(signature.count == 64)

        // Re-encode R||S as DER and let openssl verify it with the public key.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("acme-unit-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let openssl = try TestCertificates.tool("openssl")
        try key.pem.write(to: directory.appendingPathComponent("key.pem"), atomically: true, encoding: .utf8)
        try Data(message).write(to: directory.appendingPathComponent("message"))
        try Data(Self.der(signature)).write(to: directory.appendingPathComponent("signature"))
        try TestCertificates.run(openssl, ["pkey", "-in", directory.appendingPathComponent("key.pem").path,
            "-pubout", "-out", directory.appendingPathComponent("public.pem").path])
        let verified = try TestCertificates.run(openssl, ["dgst", "-sha256", "-verify",
            directory.appendingPathComponent("public.pem").path, "-signature",
            directory.appendingPathComponent("signature").path, directory.appendingPathComponent("message").path],
            allowFailure: true)
        #expect(verified.output.contains("Verified OK"), "\(verified.output)")

        // RFC 7638 §3: SHA-256 over the canonical JWK, base64url — recomputed with Python's hashlib.
        let python = try TestCertificates.run(try TestCertificates.tool("python3"), ["-c",
            "import sys,hashlib,base64;print(base64.urlsafe_b64encode(hashlib.sha256(sys.stdin.buffer.read()).digest()).decode().rstrip('='))"],
            input: key.canonicalJWK)
        #expect(python.output.trimmingCharacters(in: .whitespacesAndNewlines) == key.thumbprint)
        #expect(key.canonicalJWK.hasPrefix("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\""))
    }

    @Test("DER ECDSA signatures with short or padded integers become 64 octets")
    func rawSignature() {
        let r = [UInt8](repeating: 0x11, count: 31)
        let s = [0x00] + [UInt8](repeating: 0x80, count: 32)
        let der: [UInt8] = [0x30, UInt8(2 + 31 + 2 + 33), 0x02, 31] + r + [0x02, 33] + s
        #expect(ACMEKey.rawSignature(fromDER: der) == [0] + r + [UInt8](repeating: 0x80, count: 32))
        #expect(ACMEKey.rawSignature(fromDER: [0x30, 0x02, 0x05, 0x00]) == nil)
        #expect(ACMEKey.rawSignature(fromDER: []) == nil)
    }

    @Test("The CSR names every domain in subjectAltName and verifies with openssl")
    func certificateRequest() throws {
        let key = try ACMEKey.generate()
        let der = try ACMECertificateRequest.der(domains: ["meet.example.org", "www.example.org"], key: key)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("acme-csr-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(der).write(to: directory.appendingPathComponent("csr.der"))
        let text = try TestCertificates.run(try TestCertificates.tool("openssl"), ["req", "-inform", "DER", "-in",
            directory.appendingPathComponent("csr.der").path, "-noout", "-verify", "-text"])
        #expect(text.output.contains("verify OK") || text.output.contains("Certificate request self-signature verify OK"),
            "\(text.output)")
        #expect(text.output.contains("DNS:meet.example.org, DNS:www.example.org"), "\(text.output)")
        #expect(text.output.contains("CN = meet.example.org") || text.output.contains("CN=meet.example.org"))
    }

    @Test("The responder answers only pending tokens under /.well-known/acme-challenge/")
    func responder() {
        let responder = HTTP01ChallengeResponder()
        responder.add(token: "abc_DEF-123", keyAuthorization: "abc_DEF-123.thumb")
        #expect(responder.response(forPath: "/.well-known/acme-challenge/abc_DEF-123") == "abc_DEF-123.thumb")
        #expect(responder.response(forPath: "/.well-known/acme-challenge/abc_DEF-123?x=1") == "abc_DEF-123.thumb")
        #expect(responder.response(forPath: "/.well-known/acme-challenge/other") == nil)
        #expect(responder.response(forPath: "/.well-known/acme-challenge/") == nil)
        #expect(responder.response(forPath: "/abc_DEF-123") == nil)
        responder.remove(token: "abc_DEF-123")
        #expect(responder.response(forPath: "/.well-known/acme-challenge/abc_DEF-123") == nil)
    }

    @Test("Renewal time is two thirds into the lifetime")
    func renewalTime() {
        #expect((try? ACMECertificateInfo(chainPEM: "", key: nil)) == nil)
        let start: Int64 = 1_000_000
        let info = ACMECertificateInfo(notBefore: start, notAfter: start + 90 * 86_400)
        #expect(info.renewalTime == start + 60 * 86_400)
    }

    static func der(_ raw: [UInt8]) -> [UInt8] {
        func integer(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            var value = Array(bytes.drop { $0 == 0 })
            if value.isEmpty { value = [0] }
            if value[0] & 0x80 != 0 { value.insert(0, at: 0) }
            return [0x02, UInt8(value.count)] + value
        }
        let body = integer(raw[0..<32]) + integer(raw[32..<64])
        return [0x30, UInt8(body.count)] + body
    }
}
