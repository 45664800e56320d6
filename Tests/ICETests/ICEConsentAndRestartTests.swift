import ICE
import NIOCore
import Testing

/// Consent freshness (RFC 7675) and ICE restart (RFC 8445 §9) in virtual time.
struct ICEConsentAndRestartTests {
    static let clientAddress = ICEConnectivityTests.clientAddress
    static let serverAddress = ICEConnectivityTests.serverAddress

    static func connectedClientAndServer(seed: UInt64) throws -> VirtualICENetwork {
        var network = try ICEConnectivityTests.clientAndLiteServer(seed: seed)
        try network.signal()
        let reached1 = network.progress(until: { $0.bothConnected }, maxSteps: 500)
        #expect(reached1)
        network.progress(for: .seconds(7))  // at least one consent round trip
        #expect(network.bothConnected)
        return network
    }

    static func isState(_ state: ICEConnectionState) -> (ICEEvent) -> Bool {
        { $0 == .connectionStateChanged(state) }
    }

    /// The server stops answering: the client goes disconnected after ~10 s and loses consent at 30 s after the
    /// last response (RFC 7675 §5.1).
    @Test func consentLostWhenThePeerStopsAnswering() throws {
        var network = try Self.connectedClientAndServer(seed: 81)
        let blockedAt = network.now
        network.silenced.insert(Self.serverAddress)
        let reached2 = network.progress(until: { $0.state(.left) == .failed }, maxSteps: 5000, limit: .seconds(120))
        #expect(reached2)
        let disconnectedAt = try #require(network.firstTime(.left, where: Self.isState(.disconnected)))
        let failedAt = try #require(network.firstTime(.left, where: Self.isState(.failed)))
        let consentLostAt = try #require(network.firstTime(.left, where: { $0 == .consentLost }))
        let disconnectedAfter = Double((disconnectedAt - blockedAt).nanoseconds) / 1e9
        let failedAfter = Double((failedAt - blockedAt).nanoseconds) / 1e9
        // The last response came at most one consent interval (≤ 6 s) before the block.
        #expect(disconnectedAfter > 4 && disconnectedAfter <= 10.1, "disconnected after \(disconnectedAfter) s")
        #expect(failedAfter > 24 && failedAfter <= 30.1, "failed after \(failedAfter) s")
        #expect(consentLostAt == failedAt)
        // Consent lost: the client stops sending consent checks.
        network.inFlight.removeAll()
        network.progress(for: .seconds(30))
        #expect(network.inFlight.isEmpty)
        #expect(network[.left].nextDeadline() == nil)
    }

    /// The client goes away: the lite server sees no more checks and fails at 30 s after the last one.
    @Test func liteServerNoticesASilentClient() throws {
        var network = try Self.connectedClientAndServer(seed: 82)
        let blockedAt = network.now
        network.silenced.insert(Self.clientAddress)
        let reached3 = network.progress(until: { $0.state(.right) == .failed }, maxSteps: 5000, limit: .seconds(120))
        #expect(reached3)
        let failedAt = try #require(network.firstTime(.right, where: Self.isState(.failed)))
        let failedAfter = Double((failedAt - blockedAt).nanoseconds) / 1e9
        #expect(failedAfter > 24 && failedAfter <= 30.1, "failed after \(failedAfter) s")
        #expect(network.eventList(.right).contains(.connectionStateChanged(.disconnected)))
    }

    /// A disconnected pair that answers again is connected again.
    @Test func disconnectedRecovers() throws {
        var network = try Self.connectedClientAndServer(seed: 83)
        network.silenced.insert(Self.serverAddress)
        let reached4 = network.progress(until: { $0.state(.left) == .disconnected }, maxSteps: 2000)
        #expect(reached4)
        network.silenced.removeAll()
        let reached5 = network.progress(until: { $0.state(.left) == .completed }, maxSteps: 2000, limit: .seconds(60))
        #expect(reached5)
        #expect(!network.eventList(.left).contains(.consentLost))
    }

    /// ICE restart while connected: new credentials on both sides, the old pair stays selected meanwhile, and a
    /// pair of the new generation is nominated.
    @Test func restartReconnects() throws {
        var network = try Self.connectedClientAndServer(seed: 84)
        let oldClientCredentials = network[.left].localCredentials
        let oldServerCredentials = network[.right].localCredentials
        var generator = SplitMix64(seed: 99)
        network.agents[0].restart(using: &generator)
        network.agents[1].restart(using: &generator)
        #expect(network[.left].localCredentials != oldClientCredentials)
        #expect(network[.right].localCredentials != oldServerCredentials)
        #expect(network[.left].selectedPair != nil && network[.right].selectedPair != nil)
        network.progress(for: .seconds(2))  // signaling takes a while; media keeps the old pair
        #expect(network.bothConnected)
        try network.signal()
        let selectionsBefore = network.eventList(.right).filter { if case .selectedPairChanged = $0 { true } else { false } }.count
        let reached6 = network.progress(until: { network in
            network.eventList(.right).filter { if case .selectedPairChanged = $0 { true } else { false } }.count > selectionsBefore
        }, maxSteps: 1000)
        #expect(reached6)
        #expect(network.bothConnected)
        // Checks now use the new credentials; consent keeps the new pair alive.
        network.progress(for: .seconds(45))
        #expect(network.bothConnected)
        #expect(!network.eventList(.left).contains(.consentLost))
    }

    /// After consent was lost, an ICE restart brings the connection back (through checking).
    @Test func restartAfterFailureReconnects() throws {
        var network = try Self.connectedClientAndServer(seed: 85)
        network.silenced.insert(Self.serverAddress)
        let reached7 = network.progress(until: { $0.state(.left) == .failed }, maxSteps: 5000, limit: .seconds(120))
        #expect(reached7)
        network.silenced.removeAll()
        var generator = SplitMix64(seed: 100)
        network.agents[0].restart(using: &generator)
        network.agents[1].restart(using: &generator)
        #expect(network.state(.left) == .checking)
        #expect(network[.left].selectedPair == nil)
        try network.signal()
        let reached8 = network.progress(until: { $0.bothConnected }, maxSteps: 1000)
        #expect(reached8)
        #expect(network.state(.left) == .completed)
    }
}
