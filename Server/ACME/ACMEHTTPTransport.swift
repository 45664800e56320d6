import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOSSL

/// One HTTP exchange as the ACME client sees it.
public struct ACMEHTTPResponse: Sendable, Hashable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: [String]]
    public var body: [UInt8]

    public init(status: Int, headers: [String: [String]], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()]?.first }
}

/// How the ACME client reaches the CA. ``AsyncHTTPClientTransport`` is the real one; tests may wrap it (to count
/// requests, for instance).
public protocol ACMEHTTPTransport: Sendable {
    /// Performs `method` on `url` with an optional body of `contentType`.
    func perform(method: String, url: String, body: [UInt8]?, contentType: String?)
        async throws(ACMEError) -> ACMEHTTPResponse
}

/// HTTPS to the CA through swift-server/async-http-client, verifying the server certificate against the system
/// trust store or, for a private CA or Pebble, only against the CA certificates in a PEM file.
public final class AsyncHTTPClientTransport: ACMEHTTPTransport {
    let client: HTTPClient
    let timeout: TimeAmount

    /// - Parameter trustedCAFile: a PEM file of CA certificates to trust instead of the system store.
    public init(trustedCAFile: String? = nil, timeout: TimeAmount = .seconds(30)) throws(ACMEError) {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        if let trustedCAFile {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(trustedCAFile))
            } catch {
                throw ACMEError(.configuration, "cannot read the CA file \(trustedCAFile): \(error)")
            }
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.timeout = timeout
    }

    /// Closes the connection pool; call once when done.
    public func shutdown() async {
        try? await client.shutdown()
    }

    public func perform(method: String, url: String, body: [UInt8]?, contentType: String?)
        async throws(ACMEError) -> ACMEHTTPResponse
    {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "User-Agent", value: "meeting-acme/1")
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await client.execute(request, timeout: timeout)
            var headers: [String: [String]] = [:]
            for header in response.headers { headers[header.name.lowercased(), default: []].append(header.value) }
            let collected = try await response.body.collect(upTo: 4 << 20)
            return ACMEHTTPResponse(status: Int(response.status.code), headers: headers,
                body: Array(collected.readableBytesView))
        } catch {
            throw ACMEError(.transport, "\(method) \(url): \(error)")
        }
    }
}
