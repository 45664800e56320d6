import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NIOCore
import ServerKit
import Synchronization
import Testing

@Suite("/healthz and /metrics endpoint")
struct HealthAndMetricsEndpointTests {
    final class Health: Sendable {
        let problem = Mutex<String?>(nil)
    }

    static func get(_ port: Int, _ path: String) async throws -> (Int, String) {
        let url = try #require(URL(string: "http://127.0.0.1:\(port)\(path)"))
        let (data, response) = try await URLSession.shared.data(from: url)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test("healthz answers ok or 503 with the reason; metrics renders Prometheus text; other paths 404")
    func endpoint() async throws {
        let health = Health()
        let channel = try await HealthAndMetricsEndpoint.bind(host: "127.0.0.1", port: 0,
            health: { health.problem.withLock { $0 } },
            metrics: {
                var text = PrometheusText()
                text.family("demo_total", .counter, help: "A demo.")
                text.sample("demo_total", 3, labels: ["kind": "a\"b"])
                return text.text
            })
        let port = try #require(channel.localAddress?.port)
        do {
            #expect(try await Self.get(port, "/healthz") == (200, "ok\n"))
            let metrics = try await Self.get(port, "/metrics")
            #expect(metrics.0 == 200)
            #expect(metrics.1 == "# HELP demo_total A demo.\n# TYPE demo_total counter\ndemo_total{kind=\"a\\\"b\"} 3\n")
            health.problem.withLock { $0 = "database unreachable" }
            #expect(try await Self.get(port, "/healthz") == (503, "database unreachable\n"))
            #expect(try await Self.get(port, "/nothing").0 == 404)
        } catch {
            try? await channel.close()
            throw error
        }
        try await channel.close()
    }
}
