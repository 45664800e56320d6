import NIOCore
import STUN

// Server-reflexive candidates (RFC 8445 §5.1.1.2): the agent emits a Binding request to each configured STUN
// server from each host candidate; the driver sends it and feeds the response back through handleReceive.
extension ICEAgent {
    mutating func startServerReflexiveGathering(for host: Candidate, now: NIODeadline) {
        for server in configuration.stunServers where server.hasSameFamily(as: host.address) {
            let transactionID = STUNTransactionID.random(using: &random)
            let request = STUNMessage(method: .binding, messageClass: .request, transactionID: transactionID)
            guard let datagram = try? request.serialized(fingerprint: true) else { continue }
            startTransaction(
                transactionID,
                PendingTransaction(
                    purpose: .serverReflexive(base: host, server: server), request: datagram, from: host.base,
                    to: server, integrityKey: nil, role: role, sentPriority: 0, attempts: 1,
                    maximumAttempts: max(configuration.maximumGatheringAttempts, 1),
                    retransmissionTimeout: configuration.initialRetransmissionTimeout,
                    deadline: now + configuration.initialRetransmissionTimeout, retransmits: true, sequence: 0))
        }
    }

    /// Adds the server-reflexive candidate unless it equals a known local address (a host without NAT:
    /// redundant, RFC 8445 §5.1.3).
    mutating func learnServerReflexive(_ address: SocketAddress, base: Candidate, server: SocketAddress) {
        guard !localCandidates.contains(where: { $0.address == address }) else { return }
        let candidate = Candidate(
            kind: .serverReflexive, address: address, base: base.base,
            priority: Candidate.priority(
                kind: .serverReflexive, localPreference: base.localPreference, component: base.component),
            foundation: Candidate.foundation(kind: .serverReflexive, base: base.base, server: server),
            component: base.component, relatedAddress: base.base)
        localCandidates.append(candidate)
        emit(.localCandidate(candidate))
    }

    var gatheringInProgress: Bool {
        transactions.values.contains { transaction in
            if case .serverReflexive = transaction.purpose { return true }
            return false
        }
    }

    mutating func maybeCompleteGathering() {
        guard localGatheringFinished, !gatheringCompleteSent, !gatheringInProgress else { return }
        gatheringCompleteSent = true
        emit(.gatheringComplete)
    }
}
