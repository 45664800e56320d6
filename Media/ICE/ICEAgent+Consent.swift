import NIOCore
import STUN

// Consent freshness (RFC 7675) on the selected pair.
extension ICEAgent {
    /// RFC 7675 §5.1: consent checks go out every 5 s, randomized to 0.8–1.2 of that.
    mutating func jitteredConsentInterval() -> TimeAmount {
        let interval = configuration.consentInterval.nanoseconds
        guard interval > 0 else { return .milliseconds(1) }
        let low = interval / 5 * 4
        let span = UInt64(interval / 5 * 2)
        let offset = span > 0 ? Int64(random.next(upperBound: span)) : 0
        return .nanoseconds(max(low + offset, 1))
    }

    var consentDeadline: NIODeadline? {
        guard selected != nil, connectionState != .failed else { return nil }
        var deadline: NIODeadline?
        func consider(_ candidate: NIODeadline?) {
            guard let candidate else { return }
            if let current = deadline, current <= candidate { return }
            deadline = candidate
        }
        if mode == .full { consider(nextConsentAt) }
        if let lastConsentAt {
            if connectionState == .connected || connectionState == .completed {
                consider(lastConsentAt + configuration.disconnectedTimeout)
            }
            consider(lastConsentAt + configuration.consentTimeout)
        }
        return deadline
    }

    /// Sends the due consent check (full agents) and turns silence into ``ICEConnectionState/disconnected`` and,
    /// after ``ICEConfiguration/consentTimeout``, into consent loss (RFC 7675 §5.1).
    mutating func consentTick(now: NIODeadline) {
        guard let selected, connectionState != .failed else { return }
        if mode == .full, let due = nextConsentAt, due <= now {
            nextConsentAt = now + jitteredConsentInterval()
            sendConsentCheck(on: selected.pair, now: now)
        }
        guard let lastConsentAt else { return }
        let silence = now - lastConsentAt
        if silence >= configuration.consentTimeout {
            nextConsentAt = nil
            emit(.consentLost)
            setState(.failed)
        } else if silence >= configuration.disconnectedTimeout,
            connectionState == .connected || connectionState == .completed
        {
            stateBeforeDisconnect = connectionState
            setState(.disconnected)
        }
    }

    /// A consent check (RFC 7675 §5.1): a Binding request like a connectivity check, new transaction ID each
    /// time, without USE-CANDIDATE.
    mutating func sendConsentCheck(on pair: CandidatePair, now: NIODeadline) {
        guard let remoteCredentials else { return }
        let priority = Candidate.priority(
            kind: .peerReflexive, localPreference: pair.local.localPreference, component: pair.local.component)
        let transactionID = STUNTransactionID.random(using: &random)
        let key = STUNIntegrityKey.shortTerm(password: remoteCredentials.password)
        guard let request = checkRequest(transactionID: transactionID, priority: priority, useCandidate: false),
            let datagram = try? request.serialized(integrityKey: key, fingerprint: true)
        else { return }
        startTransaction(
            transactionID,
            PendingTransaction(
                purpose: .consent, request: datagram, from: pair.local.base, to: pair.remote.address,
                integrityKey: key, role: role, sentPriority: priority, attempts: 1,
                maximumAttempts: max(configuration.maximumConsentAttempts, 1),
                retransmissionTimeout: configuration.initialRetransmissionTimeout,
                deadline: now + configuration.initialRetransmissionTimeout, retransmits: true, sequence: 0))
    }

    /// The peer answered on the selected pair: consent is fresh again.
    mutating func refreshConsent(now: NIODeadline) {
        guard connectionState != .failed else { return }
        lastConsentAt = now
        if connectionState == .disconnected { setState(stateBeforeDisconnect) }
    }

    /// Lite agents send no consent checks; a valid check from the peer on the selected pair shows it is there.
    mutating func noteConsent(from source: SocketAddress, to local: SocketAddress, now: NIODeadline) {
        guard let selected, selected.pair.local.base == local, selected.pair.remote.address == source else { return }
        refreshConsent(now: now)
    }
}
