import NIOHTTP1
import APIServer
import Foundation
import HTTPTypes
import TestSupport
import Testing

@Suite("docs/api.md describes exactly the served routes", .serialized)
struct APIDocumentationTests {
    /// `### METHOD /path` headings of docs/api.md.
    static func documentedRoutes() throws -> [String] {
        let text = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("docs/api.md"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("### ") else { return nil }
            let route = line.dropFirst(4).trimmingCharacters(in: .whitespaces)
            let parts = route.split(separator: " ")
            guard parts.count == 2, ["GET", "POST", "PATCH", "DELETE", "PUT"].contains(String(parts[0])) else { return nil }
            return route
        }
    }

    @Test("Every documented route is served and every served route is documented")
    func routesMatch() async throws {
        let documented = try Self.documentedRoutes()
        #expect(Set(documented) == Set(APIServer.routes), "docs: \(documented)\nserver: \(APIServer.routes)")
        #expect(documented.count == Set(documented).count, "a route is documented twice")

        // And the server really answers each one (not route.not-found), with the one error shape where it errs.
        let (store, cleanup) = try await StoreBackends.sqlite()
        defer { cleanup() }
        let api = try await RunningAPIServer.start(store: store)
        do {
            let client = APIClient(api)
            for route in documented where route != "GET /v1/registry" {
                let parts = route.split(separator: " ")
                let path = parts[1].replacingOccurrences(of: "{id}", with: "abcdefghjkmn")
                    .replacingOccurrences(of: "{ticket}", with: "abcdefghjkmn")
                let answer = try await client.call(.init(rawValue: String(parts[0])), path,
                    parts[0] == "GET" || parts[0] == "DELETE" ? nil : [:])
                #expect(answer.errorCode != "route.not-found", "\(route) is not served: \(answer)")
                if answer.status >= 400 {
                    let error = answer.json["error"] as? [String: Any]
                    #expect(error?["code"] is String && error?["message"] is String, "\(route): \(answer)")
                }
            }
            let unknown = try await client.call(.GET, "/v1/nothing-here")
            #expect(unknown.status == 404 && unknown.errorCode == "route.not-found", "\(unknown)")
        } catch {
            await api.stop()
            throw error
        }
        await api.stop()
    }
}
