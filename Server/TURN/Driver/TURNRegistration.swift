import NIOSSL
import ServerKit
import Synchronization

extension TURNServer {
    /// Keeps this turnserver registered with the apiserver's registry (DESIGN.md §2, `--apiserver`) as kind
    /// `turn`: announces `address` (the `--ip` and port clients use) and `capacity`, and heartbeats the current
    /// number of allocations as its load, reconnecting with back-off whenever the connection drops. Runs until the
    /// returned task is cancelled. The credential is derived from the deployment secret (DESIGN.md §3), so an
    /// apiserver of another deployment refuses it.
    ///
    /// - Parameter tls: `wss://` (the default for a remote apiserver) or `ws://` (a loopback one serving plain HTTP).
    public func registerWithAPIServer(_ apiserver: HostAndPort, tls: Bool, tokens: TokenAuthority, address: String,
        capacity: Int, tlsConfiguration: TLSConfiguration? = nil,
        onEvent: @escaping @Sendable (RegistryEvent) -> Void = { _ in }) -> Task<Void, Never>
    {
        var configuration = RegistryClient.Configuration(
            url: RegistryClient.registryURL(apiserver: apiserver, tls: tls), kind: .turn, address: address,
            capacity: capacity, tokens: tokens)
        configuration.tlsConfiguration = tlsConfiguration
        let client = RegistryClient(configuration: configuration)
        let load = AllocationGauge()
        return Task {
            await withDiscardingTaskGroup { group in
                // The heartbeat reads the gauge synchronously; this refreshes it from every core once a second.
                group.addTask {
                    while !Task.isCancelled {
                        load.count.store(await self.metrics().allocations, ordering: .relaxed)
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
                group.addTask {
                    await client.run(status: { RegistryStatus(load: load.count.load(ordering: .relaxed)) },
                        onEvent: onEvent)
                }
            }
        }
    }
}

/// The allocation count last read from the cores, for the registry heartbeat.
private final class AllocationGauge: Sendable {
    let count = Atomic<Int>(0)
}
