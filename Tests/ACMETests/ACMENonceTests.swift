@testable import ACME
import Foundation
import Testing

/// The JWS request layer against a scripted CA: nonce reuse from Replay-Nonce, the badNonce retry (RFC 8555
/// §6.5), the `jwk`-then-`kid` rule (§6.2), and problem documents becoming typed errors.
@Suite("ACME requests: nonces and JWS headers")
struct ACMENonceTests {
    /// A CA that answers from a script and records each request's decoded protected header.
    final class ScriptedCA: ACMEHTTPTransport {
        let state = State()

        actor State {
            var replies: [ACMEHTTPResponse] = []
            var headers: [[String: String]] = []
            var methods: [String] = []

            func push(_ replies: [ACMEHTTPResponse]) { self.replies += replies }

            func next(method: String, url: String, body: [UInt8]?) -> ACMEHTTPResponse {
                methods.append("\(method) \(url)")
                if let body, let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
                    let protected = object["protected"] as? String, let decoded = Base64URL.decode(protected),
                    let header = try? JSONSerialization.jsonObject(with: Data(decoded)) as? [String: Any]
                {
                    // Strings as sent; the jwk object recorded as present.
                    headers.append(header.mapValues { $0 as? String ?? "object" })
                }
                if url.hasSuffix("/dir") {
                    return ACMEScript.json(200, ["newNonce": "https://ca.test/nonce",
                        "newAccount": "https://ca.test/account", "newOrder": "https://ca.test/order"])
                }
                if method == "HEAD" {
                    return ACMEHTTPResponse(status: 200, headers: ["replay-nonce": ["fresh-nonce"]], body: [])
                }
                return replies.isEmpty ? ACMEScript.json(500, ["detail": "script exhausted"]) : replies.removeFirst()
            }
        }

        func perform(method: String, url: String, body: [UInt8]?, contentType: String?)
            async throws(ACMEError) -> ACMEHTTPResponse
        {
            await state.next(method: method, url: url, body: body)
        }
    }

    @Test("badNonce is retried with the nonce that came with it; the account URL becomes the kid")
    func badNonceRetry() async throws {
        let ca = ScriptedCA()
        await ca.state.push([
            ACMEScript.json(400, ["type": "urn:ietf:params:acme:error:badNonce", "detail": "stale"],
                nonce: "nonce-from-error"),
            ACMEScript.json(201, ["status": "valid"], nonce: "nonce-after-account",
                location: "https://ca.test/acct/1"),
            ACMEScript.json(200, ["status": "valid"], nonce: "unused"),
        ])
        let client = ACMEClient(directoryURL: "https://ca.test/dir", accountKey: try ACMEKey.generate(),
            transport: ca)
        try await client.ensureAccount(contact: [])
        _ = try await client.post("https://ca.test/acct/1", payload: nil)

        let headers = await ca.state.headers
        #expect(headers.count == 3)
        #expect(headers.map { $0["nonce"] } == ["fresh-nonce", "nonce-from-error", "nonce-after-account"])
        #expect(headers.map { $0["alg"] } == ["ES256", "ES256", "ES256"])
        #expect(headers[0]["jwk"] == "object" && headers[0]["kid"] == nil)
        #expect(headers[1]["jwk"] == "object")
        #expect(headers[2]["kid"] == "https://ca.test/acct/1" && headers[2]["jwk"] == nil)
        #expect(headers[2]["url"] == "https://ca.test/acct/1")
        // One HEAD for the first nonce only; afterwards every nonce came with a reply.
        #expect(await ca.state.methods.filter { $0.hasPrefix("HEAD") }.count == 1)
    }

    @Test("Other problems are typed errors carrying the problem type; eight badNonces in a row give up")
    func problems() async throws {
        let ca = ScriptedCA()
        await ca.state.push([ACMEScript.json(403, ["type": "urn:ietf:params:acme:error:unauthorized",
            "detail": "no"], nonce: "n")])
        let client = ACMEClient(directoryURL: "https://ca.test/dir", accountKey: try ACMEKey.generate(),
            transport: ca)
        let error = await #expect(throws: ACMEError.self) { try await client.ensureAccount(contact: []) }
        #expect(error?.code == .problem)
        #expect(error?.problemType == "urn:ietf:params:acme:error:unauthorized")

        let stubborn = ScriptedCA()
        await stubborn.state.push((0..<8).map { _ in
            ACMEScript.json(400, ["type": "urn:ietf:params:acme:error:badNonce"], nonce: "again")
        })
        let patient = ACMEClient(directoryURL: "https://ca.test/dir", accountKey: try ACMEKey.generate(),
            transport: stubborn)
        let gaveUp = await #expect(throws: ACMEError.self) { try await patient.ensureAccount(contact: []) }
        #expect(gaveUp?.problemType == "urn:ietf:params:acme:error:badNonce")
        #expect(await stubborn.state.headers.count == 8)
    }
}

enum ACMEScript {
    static func json(_ status: Int, _ object: [String: Any], nonce: String? = nil, location: String? = nil)
        -> ACMEHTTPResponse
    {
        var headers: [String: [String]] = [:]
        if let nonce { headers["replay-nonce"] = [nonce] }
        if let location { headers["location"] = [location] }
        let body = (try? JSONSerialization.data(withJSONObject: object)).map { Array($0) } ?? []
        return ACMEHTTPResponse(status: status, headers: headers, body: body)
    }
}
