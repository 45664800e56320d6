import APIStore
import HTTPTypes
import ServerKit
import Synchronization

/// The apiserver's `/metrics`: request counters kept in this process, and registry gauges read from the database
/// (so every apiserver of a deployment reports the same registry).
final class APIMetrics: Sendable {
    let joins = Atomic<Int>(0)

    func render(store: any Store) async throws -> String {
        var text = PrometheusText()
        text.family("meeting_api_joins_total", .counter, help: "Join requests answered.")
        text.sample("meeting_api_joins_total", joins.load(ordering: .relaxed))
        let servers = try await store.servers(kind: nil)
        text.family("meeting_registry_servers", .gauge, help: "Registered servers by kind and state.")
        for kind in APIStore.ServerKind.allCases {
            for state in ServerState.allCases {
                let count = servers.filter { $0.kind == kind && $0.state == state }.count
                text.sample("meeting_registry_servers", count, labels: ["kind": kind.rawValue, "state": state.rawValue])
            }
        }
        return text.text
    }
}

extension Atomic where Value == Int {
    func add(_ amount: Int) { _ = wrappingAdd(amount, ordering: .relaxed) }
}
