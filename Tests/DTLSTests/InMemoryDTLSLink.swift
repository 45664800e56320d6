import DTLS
import Foundation
import NIOCore

/// Two DTLS endpoints joined by an in-memory datagram link in virtual time, str0m-style: datagrams move
/// instantly, a drop rule can lose chosen datagrams, and every datagram is checked against the MTU.
///
/// Virtual time advances only to the earliest retransmission deadline when nothing is in flight. OpenSSL's timer
/// reads the real clock, though, so `handleTimeout` only retransmits once that much real time has passed: the link
/// then sleeps for the remaining real time (bounded by `realTimeBudget`). Loss-free runs never sleep.
final class InMemoryDTLSLink {
    enum Direction { case clientToServer, serverToClient }

    let client: DTLSEndpoint
    let server: DTLSEndpoint
    var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
    /// Decides per datagram whether it is lost: (direction, index of the datagram in that direction, from 0).
    var drop: (Direction, Int) -> Bool = { _, _ in false }
    /// Sizes of every datagram sent, per direction, including dropped ones.
    private(set) var sent: [Direction: [Int]] = [.clientToServer: [], .serverToClient: []]
    private(set) var dropped = 0
    private(set) var clientErrors: [DTLSError] = []
    private(set) var serverErrors: [DTLSError] = []
    private(set) var clientEvents: [DTLSEvent] = []
    private(set) var serverEvents: [DTLSEvent] = []
    /// The real time spent waiting for OpenSSL's clock.
    private(set) var realTimeWaited: Duration = .zero

    init(client: DTLSEndpoint, server: DTLSEndpoint) {
        self.client = client
        self.server = server
    }

    /// The largest datagram seen in either direction.
    var largestDatagram: Int {
        (sent[.clientToServer, default: []] + sent[.serverToClient, default: []]).max() ?? 0
    }

    /// Runs until `done` holds, or both sides are quiet with no timer, or `realTimeBudget` is used up.
    /// Returns whether `done` was reached.
    @discardableResult
    func run(
        realTimeBudget: Duration = .seconds(5),
        until done: (InMemoryDTLSLink) -> Bool = { $0.bothConnected }
    ) -> Bool {
        do { try client.start(now: now) } catch { clientErrors.append(error) }
        for _ in 0..<10_000 {
            drainEvents()
            if done(self) { return true }
            var moved = false
            while let datagram = client.pollTransmit() {
                moved = true
                deliver(datagram, .clientToServer)
            }
            while let datagram = server.pollTransmit() {
                moved = true
                deliver(datagram, .serverToClient)
            }
            if moved { continue }
            drainEvents()
            if done(self) { return true }
            // Idle: jump virtual time to the earliest deadline, and let real time catch up for OpenSSL.
            let deadlines = [client.nextDeadline(), server.nextDeadline()].compactMap { $0 }
            guard let deadline = deadlines.min() else { return false }
            if deadline > now {
                let wait = Duration.nanoseconds((deadline - now).nanoseconds)
                if realTimeWaited + wait > realTimeBudget { return false }
                Thread.sleep(forTimeInterval: Double(wait.components.attoseconds) / 1e18 + Double(wait.components.seconds))
                realTimeWaited += wait
                now = deadline
            } else {
                // OpenSSL has not seen its timer expire yet: give its real clock a moment.
                let wait = Duration.milliseconds(5)
                if realTimeWaited + wait > realTimeBudget { return false }
                Thread.sleep(forTimeInterval: 0.005)
                realTimeWaited += wait
                now = now + .milliseconds(5)
            }
            do { try client.handleTimeout(now: now) } catch { clientErrors.append(error) }
            do { try server.handleTimeout(now: now) } catch { serverErrors.append(error) }
        }
        return false
    }

    var bothConnected: Bool {
        client.state == .connected && server.state == .connected
    }

    private func deliver(_ datagram: ByteBuffer, _ direction: Direction) {
        let index = sent[direction, default: []].count
        sent[direction, default: []].append(datagram.readableBytes)
        if drop(direction, index) {
            dropped += 1
            return
        }
        switch direction {
        case .clientToServer:
            do { try server.handleDatagram(datagram, now: now) } catch { serverErrors.append(error) }
        case .serverToClient:
            do { try client.handleDatagram(datagram, now: now) } catch { clientErrors.append(error) }
        }
    }

    private func drainEvents() {
        while let event = client.pollEvent() { clientEvents.append(event) }
        while let event = server.pollEvent() { serverEvents.append(event) }
    }
}

/// Builds a client and server that expect each other's certificates.
func makeEndpoints(
    clientProfiles: [DTLSSRTPProfile] = DTLSSRTPProfile.webRTCDefault,
    serverProfiles: [DTLSSRTPProfile] = DTLSSRTPProfile.webRTCDefault,
    clientExpects: DTLSFingerprint? = nil,
    serverExpects: DTLSFingerprint? = nil,
    mtu: Int = 1200,
    initialRetransmitTimeout: TimeAmount = .milliseconds(100)
) throws -> (client: DTLSEndpoint, server: DTLSEndpoint) {
    let clientCertificate = try DTLSCertificate.generate()
    let serverCertificate = try DTLSCertificate.generate()
    let client = try DTLSEndpoint(
        role: .client,
        certificate: clientCertificate,
        remoteFingerprints: [clientExpects ?? serverCertificate.fingerprint],
        mtu: mtu,
        srtpProfiles: clientProfiles,
        initialRetransmitTimeout: initialRetransmitTimeout
    )
    let server = try DTLSEndpoint(
        role: .server,
        certificate: serverCertificate,
        remoteFingerprints: [serverExpects ?? clientCertificate.fingerprint],
        mtu: mtu,
        srtpProfiles: serverProfiles,
        initialRetransmitTimeout: initialRetransmitTimeout
    )
    return (client, server)
}
