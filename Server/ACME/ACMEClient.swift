import Foundation

/// The ACME protocol (RFC 8555) from the client side, for one account: directory, nonces, JWS-signed requests,
/// account, order, HTTP-01 authorization, finalize and download.
///
/// Every POST is a flattened JWS (RFC 8555 §6.2) signed ES256 with the account key: `jwk` for newAccount, `kid`
/// (the account URL) afterwards; reads are POST-as-GET (§6.3). Each request uses the freshest Replay-Nonce; a
/// `badNonce` error is retried with the nonce that came with it (§6.5).
public actor ACMEClient {
    let directoryURL: String
    let accountKey: ACMEKey
    let transport: any ACMEHTTPTransport
    /// Maximum wait for an authorization or order to settle.
    let settleTimeout: Duration
    /// Pause between polls when the server gives no Retry-After.
    let pollInterval: Duration

    private var directory: ACMEDirectory?
    private var nonce: String?
    private var accountURL: String?

    public init(directoryURL: String, accountKey: ACMEKey, transport: any ACMEHTTPTransport,
        settleTimeout: Duration = .seconds(120), pollInterval: Duration = .milliseconds(500))
    {
        self.directoryURL = directoryURL
        self.accountKey = accountKey
        self.transport = transport
        self.settleTimeout = settleTimeout
        self.pollInterval = pollInterval
    }

    /// Obtains a certificate for `domains` proving control with HTTP-01 through `responder` (which must be
    /// reachable at `http://<domain>/.well-known/acme-challenge/`), with a CSR signed by `certificateKey`. Returns
    /// the PEM chain, leaf first.
    public func issueCertificate(domains: [String], certificateKey: ACMEKey, responder: HTTP01ChallengeResponder,
        contact: [String] = []) async throws(ACMEError) -> String
    {
        guard !domains.isEmpty else { throw ACMEError(.configuration, "no domain to certify") }
        try await ensureAccount(contact: contact)
        let directory = try await loadDirectory()

        // §7.4: newOrder with the identifiers.
        let identifiers = domains.map { ["type": "dns", "value": $0] }
        let created = try await post(directory.newOrder, payload: ["identifiers": identifiers])
        guard let orderURL = created.header("Location") else {
            throw ACMEError(.malformedResponse, "newOrder answered without a Location")
        }
        var order: ACMEOrder = try decode(created)

        // §7.5: each authorization, by HTTP-01 (§8.3).
        var tokens: [String] = []
        defer { for token in tokens { responder.remove(token: token) } }
        for authorizationURL in order.authorizations {
            let authorization: ACMEAuthorization = try decode(try await post(authorizationURL, payload: nil))
            if authorization.status == "valid" { continue }
            guard let challenge = authorization.challenges.first(where: { $0.type == "http-01" }),
                let token = challenge.token
            else {
                throw ACMEError(.validationFailed,
                    "\(authorization.identifier.value): the CA offers no http-01 challenge")
            }
            guard token.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), token.count >= 22 else {
                throw ACMEError(.malformedResponse, "http-01 token is not base64url: \(token)")
            }
            // §8.1: keyAuthorization = token || '.' || base64url(JWK_Thumbprint(accountKey)).
            responder.add(token: token, keyAuthorization: token + "." + accountKey.thumbprint)
            tokens.append(token)
            _ = try await post(challenge.url, payload: [String: String]())
            try await waitForAuthorization(authorizationURL, domain: authorization.identifier.value)
        }

        // §7.4: once ready, finalize with the CSR, then wait for "valid".
        order = try await pollOrder(orderURL, until: ["ready", "valid"])
        if order.status == "ready" {
            let csr = try ACMECertificateRequest.der(domains: domains, key: certificateKey)
            order = try decode(try await post(order.finalize, payload: ["csr": Base64URL.encode(csr)]))
            if order.status != "valid" { order = try await pollOrder(orderURL, until: ["valid"]) }
        }
        guard let certificateURL = order.certificate else {
            throw ACMEError(.malformedResponse, "valid order without a certificate URL")
        }
        // §7.4.2: the default format is application/pem-certificate-chain.
        let download = try await post(certificateURL, payload: nil)
        let chain = String(decoding: download.body, as: UTF8.self)
        guard chain.contains("-----BEGIN CERTIFICATE-----") else {
            throw ACMEError(.malformedResponse, "the certificate download is not a PEM chain")
        }
        return chain
    }

    // MARK: Account

    /// §7.3: newAccount with the account key; an existing account for the key answers 200 with its URL.
    func ensureAccount(contact: [String]) async throws(ACMEError) {
        guard accountURL == nil else { return }
        let directory = try await loadDirectory()
        var payload: [String: Any] = ["termsOfServiceAgreed": true]
        if !contact.isEmpty { payload["contact"] = contact.map { "mailto:" + $0 } }
        let response = try await post(directory.newAccount, payload: payload, useJWK: true)
        guard let location = response.header("Location") else {
            throw ACMEError(.malformedResponse, "newAccount answered without the account URL (Location)")
        }
        accountURL = location
    }

    // MARK: Polling

    private func waitForAuthorization(_ url: String, domain: String) async throws(ACMEError) {
        let deadline = ContinuousClock.now + settleTimeout
        while true {
            let response = try await post(url, payload: nil)
            let authorization: ACMEAuthorization = try decode(response)
            switch authorization.status {
            case "valid":
                return
            case "pending", "processing":
                break
            default:
                let reason = authorization.challenges.compactMap { $0.error?.summary }.joined(separator: "; ")
                throw ACMEError(.validationFailed, "\(domain): authorization \(authorization.status)"
                    + (reason.isEmpty ? "" : " — \(reason)")
                    + " (is http://\(domain)/.well-known/acme-challenge/ served by this process on port 80?)")
            }
            try await pause(response, deadline: deadline, what: "authorization of \(domain)")
        }
    }

    private func pollOrder(_ url: String, until wanted: Set<String>) async throws(ACMEError) -> ACMEOrder {
        let deadline = ContinuousClock.now + settleTimeout
        while true {
            let response = try await post(url, payload: nil)
            let order: ACMEOrder = try decode(response)
            if wanted.contains(order.status) { return order }
            if order.status == "invalid" {
                throw ACMEError(.validationFailed, "order invalid" + (order.error.map { ": \($0.summary)" } ?? ""))
            }
            try await pause(response, deadline: deadline, what: "order")
        }
    }

    /// Waits as Retry-After asks (capped) or the poll interval, unless the deadline would pass.
    private func pause(_ response: ACMEHTTPResponse, deadline: ContinuousClock.Instant, what: String)
        async throws(ACMEError)
    {
        var wait = pollInterval
        if let retryAfter = response.header("Retry-After").flatMap(Int.init), retryAfter > 0 {
            wait = .seconds(min(retryAfter, 10))
        }
        guard ContinuousClock.now + wait < deadline else {
            throw ACMEError(.timeout, "\(what) did not settle within \(settleTimeout)")
        }
        do {
            try await Task.sleep(for: wait)
        } catch {
            throw ACMEError(.timeout, "\(what): cancelled")
        }
    }

    // MARK: JWS requests

    func loadDirectory() async throws(ACMEError) -> ACMEDirectory {
        if let directory { return directory }
        let response = try await transport.perform(method: "GET", url: directoryURL, body: nil, contentType: nil)
        guard response.status == 200 else {
            throw ACMEError(.transport, "GET \(directoryURL) answered \(response.status)")
        }
        let loaded: ACMEDirectory = try decode(response)
        directory = loaded
        return loaded
    }

    private func freshNonce() async throws(ACMEError) -> String {
        if let nonce {
            self.nonce = nil
            return nonce
        }
        let directory = try await loadDirectory()
        let response = try await transport.perform(method: "HEAD", url: directory.newNonce, body: nil, contentType: nil)
        guard let nonce = response.header("Replay-Nonce") else {
            throw ACMEError(.malformedResponse, "newNonce answered without Replay-Nonce")
        }
        return nonce
    }

    /// A signed POST (`payload` nil: POST-as-GET). Retries `badNonce` up to 8 times; other problems throw.
    func post(_ url: String, payload: Any?, useJWK: Bool = false)
        async throws(ACMEError) -> ACMEHTTPResponse
    {
        let payloadBytes: [UInt8]
        if let payload {
            guard JSONSerialization.isValidJSONObject(payload),
                let data = try? JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys])
            else { throw ACMEError(.configuration, "payload is not JSON") }
            payloadBytes = Array(data)
        } else {
            payloadBytes = []
        }
        for attempt in 1...8 {
            let nonce = try await freshNonce()
            var header = "{\"alg\":\"ES256\","
            if useJWK {
                header += "\"jwk\":" + accountKey.canonicalJWK + ","
            } else {
                guard let accountURL else { throw ACMEError(.configuration, "no account yet") }
                header += "\"kid\":" + Self.jsonString(accountURL) + ","
            }
            header += "\"nonce\":" + Self.jsonString(nonce) + ",\"url\":" + Self.jsonString(url) + "}"
            let protected = Base64URL.encode(header)
            let encodedPayload = payload == nil ? "" : Base64URL.encode(payloadBytes)
            let signature = try accountKey.signES256(Array((protected + "." + encodedPayload).utf8))
            let body = "{\"protected\":\"\(protected)\",\"payload\":\"\(encodedPayload)\",\"signature\":\""
                + Base64URL.encode(signature) + "\"}"
            let response = try await transport.perform(method: "POST", url: url, body: Array(body.utf8),
                contentType: "application/jose+json")
            if let next = response.header("Replay-Nonce") { self.nonce = next }
            if (200..<300).contains(response.status) { return response }
            let problem = try? JSONDecoder().decode(ACMEProblem.self, from: Data(response.body))
            if problem?.type == "urn:ietf:params:acme:error:badNonce" && attempt < 8 { continue }
            throw ACMEError(.problem, "POST \(url) answered \(response.status)"
                + (problem.map { ": \($0.summary)" } ?? ""), problemType: problem?.type)
        }
        throw ACMEError(.problem, "POST \(url): the CA refused eight fresh nonces", problemType:
            "urn:ietf:params:acme:error:badNonce")
    }

    private func decode<T: Decodable>(_ response: ACMEHTTPResponse) throws(ACMEError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body))
        } catch {
            throw ACMEError(.malformedResponse, "cannot read \(T.self): \(error)")
        }
    }

    static func jsonString(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case _ where scalar.value < 0x20: output += String(format: "\\u%04x", scalar.value)
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }
}
