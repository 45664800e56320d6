import NIOCore
import STUN

// Forming the check list, pacing checks, retransmissions and nomination (RFC 8445 §6.1.2, §6.1.4, §7.2, §8.1).
extension ICEAgent {
    /// Pairs a local and a remote candidate (RFC 8445 §6.1.2.2): same component and address family; a
    /// server-reflexive local candidate is represented by its base (§6.1.2.4), so only host and relayed local
    /// candidates are paired. Redundant pairs and pairs beyond ``ICEConfiguration/maximumPairs`` are not added.
    mutating func formPair(local localIndex: Int, remote remoteIndex: Int) {
        let local = localCandidates[localIndex]
        let remote = remoteCandidates[remoteIndex]
        guard local.kind == .host || local.kind == .relay, local.component == remote.component,
            local.address.hasSameFamily(as: remote.address)
        else { return }
        _ = findOrCreatePair(local: localIndex, remote: remoteIndex)
    }

    /// The pair of these two candidates, created if absent (initial state per RFC 8445 §6.1.2.6: Waiting unless
    /// a pair of the same foundation is already Waiting or In-Progress, then Frozen). Nil when the check list is full.
    mutating func findOrCreatePair(local localIndex: Int, remote remoteIndex: Int) -> Int? {
        if let index = pairs.firstIndex(where: { $0.local == localIndex && $0.remote == remoteIndex }) {
            return index
        }
        let localBase = localCandidates[localIndex].base
        let remoteAddress = remoteCandidates[remoteIndex].address
        // Redundant (same base and remote address, RFC 8445 §6.1.2.4): keep the existing one.
        if localCandidates[localIndex].kind != .peerReflexive,
            let index = pairs.firstIndex(where: {
                localCandidates[$0.local].base == localBase && remoteCandidates[$0.remote].address == remoteAddress
                    && localCandidates[$0.local].kind != .peerReflexive
            })
        {
            return index
        }
        guard pairs.count < configuration.maximumPairs else { return nil }
        let foundation = localCandidates[localIndex].foundation + ":" + remoteCandidates[remoteIndex].foundation
        let busy = pairs.contains { $0.foundation == foundation && ($0.state == .waiting || $0.state == .inProgress) }
        pairs.append(
            PairEntry(
                local: localIndex, remote: remoteIndex,
                priority: CandidatePair.priority(
                    local: localCandidates[localIndex].priority, remote: remoteCandidates[remoteIndex].priority,
                    role: role),
                foundation: foundation, state: busy ? .frozen : .waiting))
        return pairs.count - 1
    }

    /// Ordinary checks stop once a pair of the current generation is nominated (RFC 8445 §8.1.2).
    var ordinaryChecksStopped: Bool {
        guard let selected else { return false }
        return selected.generation == generation
    }

    var hasCheckToSend: Bool {
        if !triggeredQueue.isEmpty { return true }
        guard !ordinaryChecksStopped else { return false }
        return pairs.contains { $0.state == .waiting || $0.state == .frozen }
    }

    /// When the next paced check may go out: one every Ta (RFC 8445 §6.1.4.2, §14.2). Full agents only, and only
    /// with the peer's credentials.
    var nextPacingDeadline: NIODeadline? {
        guard mode == .full, remoteCredentials != nil, hasCheckToSend else { return nil }
        guard let last = lastCheckSentAt else { return lastNow }
        return max(last + configuration.pacingInterval, lastNow)
    }

    /// Sends one check: the head of the triggered-check queue, else the highest-priority Waiting pair, else the
    /// highest-priority Frozen pair, unfrozen (RFC 8445 §6.1.4.2).
    mutating func pacingTick(now: NIODeadline) {
        if !triggeredQueue.isEmpty {
            let index = triggeredQueue.removeFirst()
            sendCheck(pair: index, now: now)
            return
        }
        guard !ordinaryChecksStopped else { return }
        if let index = highestPriorityPair(in: .waiting) ?? highestPriorityPair(in: .frozen) {
            sendCheck(pair: index, now: now)
        }
    }

    func highestPriorityPair(in state: CandidatePairState) -> Int? {
        var best: Int?
        for index in pairs.indices where pairs[index].state == state {
            if let current = best, pairs[current].priority >= pairs[index].priority { continue }
            best = index
        }
        return best
    }

    mutating func enqueueTriggeredCheck(_ index: Int) {
        if !triggeredQueue.contains(index) { triggeredQueue.append(index) }
    }

    /// A connectivity check (RFC 8445 §7.2.2): USERNAME `<remote ufrag>:<local ufrag>`, PRIORITY of a
    /// peer-reflexive candidate from this base (§7.1.1), ICE-CONTROLLING or ICE-CONTROLLED with the tie-breaker
    /// (§7.1.3), USE-CANDIDATE when nominating (§7.1.2), MESSAGE-INTEGRITY with the remote password and
    /// FINGERPRINT.
    mutating func sendCheck(pair index: Int, now: NIODeadline) {
        guard let remoteCredentials else { return }
        let local = localCandidates[pairs[index].local]
        let remote = remoteCandidates[pairs[index].remote]
        let useCandidate = role == .controlling && pairs[index].nominateOnNextCheck
        let priority = Candidate.priority(
            kind: .peerReflexive, localPreference: local.localPreference, component: local.component)
        let transactionID = STUNTransactionID.random(using: &random)
        let key = STUNIntegrityKey.shortTerm(password: remoteCredentials.password)
        guard let request = checkRequest(transactionID: transactionID, priority: priority, useCandidate: useCandidate),
            let datagram = try? request.serialized(integrityKey: key, fingerprint: true)
        else {
            pairs[index].state = .failed
            return
        }
        if let previous = pairs[index].activeTransaction { transactions[previous]?.retransmits = false }
        // RFC 8445 §14.3: RTO = MAX(500 ms, Ta × (number of Waiting and In-Progress pairs)).
        let active = pairs.reduce(0) { $0 + ($1.state == .waiting || $1.state == .inProgress ? 1 : 0) }
        let rto = max(configuration.initialRetransmissionTimeout, configuration.pacingInterval * Int64(max(active, 1)))
        startTransaction(
            transactionID,
            PendingTransaction(
                purpose: .check(pair: index, useCandidate: useCandidate), request: datagram, from: local.base,
                to: remote.address, integrityKey: key, role: role, sentPriority: priority, attempts: 1,
                maximumAttempts: max(configuration.maximumCheckAttempts, 1), retransmissionTimeout: rto,
                deadline: now + rto, retransmits: true, sequence: 0))
        pairs[index].activeTransaction = transactionID
        pairs[index].nominateOnNextCheck = false
        if pairs[index].state != .succeeded { pairs[index].state = .inProgress }
        if useCandidate { nominationInProgress = index }
        lastCheckSentAt = now
        if connectionState == .new { setState(.checking) }
    }

    /// A Binding request carrying the ICE attributes, or nil without remote credentials.
    func checkRequest(transactionID: STUNTransactionID, priority: UInt32, useCandidate: Bool) -> STUNMessage? {
        guard let remoteCredentials else { return nil }
        var attributes: [STUNAttribute] = [
            .username("\(remoteCredentials.usernameFragment):\(localCredentials.usernameFragment)"),
            role == .controlling ? .iceControlling(tieBreaker: tieBreaker) : .iceControlled(tieBreaker: tieBreaker),
        ]
        if useCandidate { attributes.append(.useCandidate) }
        attributes.append(.priority(priority))
        return STUNMessage(method: .binding, messageClass: .request, transactionID: transactionID, attributes: attributes)
    }

    mutating func startTransaction(_ transactionID: STUNTransactionID, _ transaction: PendingTransaction) {
        var transaction = transaction
        transactionSequence &+= 1
        transaction.sequence = transactionSequence
        transactions[transactionID] = transaction
        transmit(transaction.request, from: transaction.from, to: transaction.to)
    }

    /// Retransmits due requests with a doubled RTO (RFC 8489 §6.2.1, capped at
    /// ``ICEConfiguration/maximumRetransmissionTimeout``) and times out those that used their attempts.
    /// Transactions are visited in deadline order, so output order does not depend on hashing.
    mutating func processTransactionTimeouts(now: NIODeadline) {
        let due = transactions.filter { $0.value.deadline <= now }
            .sorted { ($0.value.deadline, $0.value.sequence) < ($1.value.deadline, $1.value.sequence) }
        for (transactionID, transaction) in due {
            if transaction.retransmits, transaction.attempts < transaction.maximumAttempts {
                var next = transaction
                next.attempts += 1
                next.retransmissionTimeout = min(
                    transaction.retransmissionTimeout * 2, configuration.maximumRetransmissionTimeout)
                next.deadline = now + next.retransmissionTimeout
                transactions[transactionID] = next
                transmit(transaction.request, from: transaction.from, to: transaction.to)
                continue
            }
            transactions[transactionID] = nil
            if transaction.retransmits { transactionTimedOut(transactionID, transaction, now: now) }
        }
    }

    mutating func transactionTimedOut(_ transactionID: STUNTransactionID, _ transaction: PendingTransaction, now: NIODeadline) {
        switch transaction.purpose {
        case .check(let index, _):
            guard index < pairs.count, pairs[index].activeTransaction == transactionID else { return }
            failPair(index)
        case .consent:
            break  // Consent is judged by the time since the last response (RFC 7675 §5.1).
        case .serverReflexive:
            maybeCompleteGathering()
        }
    }

    /// A pair failed (timeout, error response or asymmetric response, RFC 8445 §7.2.5.2).
    mutating func failPair(_ index: Int) {
        pairs[index].state = .failed
        pairs[index].isValid = false
        pairs[index].activeTransaction = nil
        if nominationInProgress == index { nominationInProgress = nil }
        for other in pairs.indices where pairs[other].validPair == index { pairs[other].validPair = nil }
        checkForFailure()
    }

    /// RFC 8838 §8: with the peer's end-of-candidates, no pair left to check and none valid, ICE has failed.
    mutating func checkForFailure() {
        guard mode == .full, connectionState != .failed, remoteEndOfCandidates, selected == nil, !pairs.isEmpty,
            triggeredQueue.isEmpty, pairs.allSatisfy({ $0.state == .failed })
        else { return }
        setState(.failed)
    }

    var nominationDeadline: NIODeadline? {
        guard mode == .full, role == .controlling, nominationInProgress == nil, !ordinaryChecksStopped,
            let firstValidAt, bestValidPair != nil
        else { return nil }
        return firstValidAt + configuration.nominationTimeout
    }

    var bestValidPair: Int? {
        var best: Int?
        for index in pairs.indices where pairs[index].isValid && pairs[index].state == .succeeded {
            if let current = best, pairs[current].priority >= pairs[index].priority { continue }
            best = index
        }
        return best
    }

    /// Regular nomination (RFC 8445 §8.1.1): once the best valid pair can no longer be beaten by a pair still
    /// being checked, or ``ICEConfiguration/nominationTimeout`` after the first valid pair, the controlling agent
    /// re-checks it with USE-CANDIDATE.
    mutating func maybeNominate(now: NIODeadline) {
        guard mode == .full, role == .controlling, nominationInProgress == nil, !ordinaryChecksStopped,
            let best = bestValidPair, let firstValidAt
        else { return }
        let bestPriority = pairs[best].priority
        let higherPending = pairs.contains {
            !$0.isValid && $0.priority > bestPriority
                && ($0.state == .waiting || $0.state == .inProgress || $0.state == .frozen)
        }
        guard !higherPending || now >= firstValidAt + configuration.nominationTimeout else { return }
        pairs[best].nominateOnNextCheck = true
        nominationInProgress = best
        triggeredQueue.removeAll { $0 == best }
        triggeredQueue.insert(best, at: 0)
    }

    /// Marks a valid pair nominated and selects it (RFC 8445 §8.1.1, §7.3.1.5). A controlled agent with several
    /// nominated pairs keeps the highest-priority one while it is alive (a consent response, or for a lite agent
    /// a check, within ``ICEConfiguration/consentInterval``); once it has gone quiet, the pair the controlling agent
    /// nominates now replaces it (the peer moved to another network). A pair of a new ICE generation replaces an
    /// old one.
    mutating func nominate(_ index: Int, now: NIODeadline) {
        pairs[index].isNominated = true
        if nominationInProgress == index { nominationInProgress = nil }
        // After consent was lost only an ICE restart recovers (RFC 7675 §5.1).
        guard connectionState != .failed else { return }
        let pair = publicPair(index)
        if let current = selected, current.generation == generation {
            if current.pair.local.base == pair.local.base && current.pair.remote.address == pair.remote.address {
                return
            }
            let currentAlive = lastConsentAt.map { now - $0 < configuration.consentInterval } ?? false
            if current.pair.priority > pair.priority && currentAlive { return }
        }
        selected = SelectedPair(pair: pair, generation: generation)
        emit(.selectedPairChanged(pair))
        lastConsentAt = now
        nextConsentAt = mode == .full ? now + jitteredConsentInterval() : nil
        setState(.connected)
        if mode == .full { setState(.completed) }
    }
}
