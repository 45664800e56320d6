import NIOCore
import STUN

// Received datagrams: Binding requests (RFC 8445 §7.3) and responses (§7.2.5).
extension ICEAgent {
    /// Hands the agent a datagram received on the local socket bound to `local` (for a relayed candidate: data
    /// the TURN allocation delivered from `source`). STUN Binding messages are processed; anything else comes
    /// back as ``ICEReceiveOutcome/notICE`` for the caller's other protocols (RFC 7983 demultiplexing).
    ///
    /// Never traps on malformed input; dropped or refused messages report why.
    public mutating func handleReceive(
        _ datagram: ByteBuffer, from source: SocketAddress, to local: SocketAddress, now: NIODeadline
    ) -> ICEReceiveOutcome {
        advance(to: now)
        guard STUNMessage.looksLikeSTUN(datagram) else { return .notICE }
        let message: STUNMessage
        do {
            message = try STUNMessage(parsing: datagram)
        } catch {
            return .rejected(.malformedSTUN(error))
        }
        guard message.method == .binding else { return .notICE }
        switch message.messageClass {
        case .request:
            return handleRequest(message, datagram: datagram, from: source, to: local, now: now)
        case .successResponse, .errorResponse:
            return handleResponse(message, datagram: datagram, from: source, to: local, now: now)
        case .indication:
            return .handled  // A keepalive (RFC 8445 §11): nothing to do.
        }
    }

    /// RFC 8445 §7.3: authenticate, resolve role conflicts, answer, learn peer-reflexive candidates, trigger a
    /// check (full) and record nominations.
    mutating func handleRequest(
        _ message: STUNMessage, datagram: ByteBuffer, from source: SocketAddress, to local: SocketAddress,
        now: NIODeadline
    ) -> ICEReceiveOutcome {
        // RFC 8489 §9.1.3 with the ICE rules of RFC 8445 §7.3: USERNAME must start with our ufrag, and
        // MESSAGE-INTEGRITY is keyed with our password.
        guard let username = message.username else {
            answerError(.badRequest, to: message, from: local, to: source, authenticated: false)
            return .rejected(.missingUsername)
        }
        let target = username.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard target == localCredentials.usernameFragment, username.contains(":") else {
            answerError(.unauthenticated, to: message, from: local, to: source, authenticated: false)
            return .rejected(.unknownUsername(username))
        }
        do {
            try STUNMessage.verifyIntegrity(
                of: datagram, key: .shortTerm(password: localCredentials.password), algorithm: .hmacSHA1)
        } catch {
            if case .missingIntegrity = error {
                answerError(.badRequest, to: message, from: local, to: source, authenticated: false)
                return .rejected(.missingIntegrity)
            }
            answerError(.unauthenticated, to: message, from: local, to: source, authenticated: false)
            return .rejected(.badIntegrity)
        }
        let unknown = message.unknownComprehensionRequiredAttributes
        guard unknown.isEmpty else {
            answerError(.unknownAttribute, to: message, from: local, to: source, extra: [.unknownAttributes(unknown)])
            return .rejected(.unknownAttributes(unknown))
        }
        var priority: UInt32?
        var peerControlling: UInt64?
        var peerControlled: UInt64?
        var useCandidate = false
        for attribute in message.attributes {
            switch attribute {
            case .priority(let value): priority = priority ?? value
            case .iceControlling(let value): peerControlling = peerControlling ?? value
            case .iceControlled(let value): peerControlled = peerControlled ?? value
            case .useCandidate: useCandidate = true
            default: break
            }
        }
        guard let priority else {
            answerError(.badRequest, to: message, from: local, to: source)
            return .rejected(.missingPriority)
        }
        guard let localIndex = localCandidateIndex(base: local) else {
            return .rejected(.unknownLocalAddress("\(local)"))
        }

        // RFC 8445 §7.3.1.1: role conflicts, decided by the tie-breakers.
        if mode == .full {
            if role == .controlling, let theirs = peerControlling {
                if tieBreaker >= theirs {
                    answerError(.roleConflict, to: message, from: local, to: source)
                    return .rejected(.roleConflict)
                }
                switchRole(to: .controlled)
            } else if role == .controlled, let theirs = peerControlled {
                if tieBreaker >= theirs {
                    switchRole(to: .controlling)
                } else {
                    answerError(.roleConflict, to: message, from: local, to: source)
                    return .rejected(.roleConflict)
                }
            }
        }

        // RFC 8445 §7.3.1.2: the success response, XOR-MAPPED-ADDRESS = the source, protected with our password.
        guard let mapped = STUNTransportAddress(source) else { return .rejected(.unresolvableAddress("\(source)")) }
        let response = STUNMessage(
            method: .binding, messageClass: .successResponse, transactionID: message.transactionID,
            attributes: [.xorMappedAddress(mapped)])
        if let bytes = try? response.serialized(
            integrityKey: .shortTerm(password: localCredentials.password), fingerprint: true)
        {
            transmit(bytes, from: local, to: source)
        }

        // RFC 8445 §7.3.1.3: a source we do not know is a peer-reflexive remote candidate.
        guard let remoteIndex = remoteCandidateIndex(for: source, priority: priority, component: localCandidates[localIndex].component)
        else { return .handled }
        let nominatedByPeer = useCandidate && role == .controlled && peerControlled == nil

        if mode == .lite {
            // RFC 8445 §7.3.1.5 for a lite agent: the pair the check arrived on is the one USE-CANDIDATE nominates.
            guard let index = findOrCreatePair(local: localIndex, remote: remoteIndex) else { return .handled }
            pairs[index].state = .succeeded
            pairs[index].isValid = true
            if connectionState == .new { setState(.checking) }
            if nominatedByPeer { nominate(index, now: now) }
            noteConsent(from: source, to: local, now: now)
            return .handled
        }

        // RFC 8445 §7.3.1.4: the triggered check.
        guard let index = findOrCreatePair(local: localIndex, remote: remoteIndex) else { return .handled }
        switch pairs[index].state {
        case .succeeded:
            break
        case .inProgress:
            // Cancel the running transaction: no more retransmissions, no failure from it (RFC 8445 §7.3.1.4).
            if let active = pairs[index].activeTransaction { transactions[active]?.retransmits = false }
            pairs[index].state = .waiting
            enqueueTriggeredCheck(index)
        case .waiting, .frozen, .failed:
            pairs[index].state = .waiting
            enqueueTriggeredCheck(index)
        }
        // RFC 8445 §7.3.1.5: USE-CANDIDATE nominates the valid pair of this pair once its check succeeded.
        if nominatedByPeer {
            if pairs[index].state == .succeeded {
                nominate(pairs[index].validPair ?? index, now: now)
            } else {
                pairs[index].remoteNominated = true
            }
        }
        return .handled
    }

    /// The local host or relayed candidate whose base is `address`.
    func localCandidateIndex(base address: SocketAddress) -> Int? {
        localCandidates.firstIndex { ($0.kind == .host || $0.kind == .relay) && $0.base == address }
    }

    /// The remote candidate at `address`, learned as peer-reflexive with the check's PRIORITY if unknown
    /// (RFC 8445 §7.3.1.3). Nil when the remote candidate limit is reached.
    mutating func remoteCandidateIndex(for address: SocketAddress, priority: UInt32, component: UInt16) -> Int? {
        if let index = remoteCandidates.firstIndex(where: { $0.address == address }) { return index }
        guard remoteCandidates.count < configuration.maximumRemoteCandidates else { return nil }
        // The foundation only has to differ from every other remote candidate's.
        var foundation = "prflx\(random.next() % 1_000_000_000)"
        while remoteCandidates.contains(where: { $0.foundation == foundation }) {
            foundation = "prflx\(random.next() % 1_000_000_000)"
        }
        let candidate = Candidate(
            kind: .peerReflexive, address: address, priority: priority, foundation: foundation, component: component)
        remoteCandidates.append(candidate)
        emit(.peerReflexiveCandidate(candidate))
        return remoteCandidates.count - 1
    }

    /// An error response (RFC 8489 §6.3.4). Authenticated ones carry MESSAGE-INTEGRITY with our password
    /// (RFC 8445 §7.3.1.1 for 487); 400 and 401 cannot be.
    mutating func answerError(
        _ code: STUNErrorCode, to request: STUNMessage, from local: SocketAddress, to source: SocketAddress,
        authenticated: Bool = true, extra: [STUNAttribute] = []
    ) {
        let response = STUNMessage(
            method: .binding, messageClass: .errorResponse, transactionID: request.transactionID,
            attributes: [.errorCode(code)] + extra)
        let key: STUNIntegrityKey? = authenticated ? .shortTerm(password: localCredentials.password) : nil
        if let bytes = try? response.serialized(integrityKey: key, fingerprint: true) {
            transmit(bytes, from: local, to: source)
        }
    }

    /// RFC 8445 §7.2.5: match the transaction, authenticate with the remote password, check symmetry, then
    /// handle 487 (§7.2.5.1), other errors (§7.2.5.2.4) or success (§7.2.5.3).
    mutating func handleResponse(
        _ message: STUNMessage, datagram: ByteBuffer, from source: SocketAddress, to local: SocketAddress,
        now: NIODeadline
    ) -> ICEReceiveOutcome {
        guard let transaction = transactions[message.transactionID] else { return .rejected(.unknownTransaction) }
        if let key = transaction.integrityKey {
            do {
                try STUNMessage.verifyIntegrity(of: datagram, key: key, algorithm: .hmacSHA1)
            } catch {
                // A forged or corrupted answer must not end the transaction.
                if case .missingIntegrity = error { return .rejected(.missingIntegrity) }
                return .rejected(.badIntegrity)
            }
        }
        transactions[message.transactionID] = nil
        let symmetric = source == transaction.to && local == transaction.from

        switch transaction.purpose {
        case .serverReflexive(let base, let server):
            defer { maybeCompleteGathering() }
            guard symmetric else { return .rejected(.asymmetricResponse) }
            guard message.messageClass == .successResponse else {
                return .rejected(.errorResponse(message.errorCode ?? .serverError))
            }
            guard let mapped = message.xorMappedAddress ?? mappedAddress(of: message),
                let address = try? mapped.socketAddress()
            else { return .rejected(.missingMappedAddress) }
            learnServerReflexive(address, base: base, server: server)
            return .handled

        case .consent:
            guard symmetric else { return .rejected(.asymmetricResponse) }
            guard message.messageClass == .successResponse else {
                return .rejected(.errorResponse(message.errorCode ?? .serverError))
            }
            refreshConsent(now: now)
            return .handled

        case .check(let index, let useCandidate):
            guard index < pairs.count else { return .rejected(.unknownTransaction) }
            let isActive = pairs[index].activeTransaction == message.transactionID
            guard symmetric else {
                // RFC 8445 §7.2.5.2.1: a non-symmetric response fails the pair.
                if isActive { failPair(index) }
                return .rejected(.asymmetricResponse)
            }
            if message.messageClass == .errorResponse {
                let code = message.errorCode ?? .serverError
                if code.code == STUNErrorCode.roleConflict.code {
                    // RFC 8445 §7.2.5.1: take the role opposite to the one the request claimed, and retry.
                    if transaction.role == role { switchRole(to: transaction.role.opposite) }
                    pairs[index].state = .waiting
                    pairs[index].activeTransaction = nil
                    enqueueTriggeredCheck(index)
                    return .handled
                }
                if isActive { failPair(index) }
                return .rejected(.errorResponse(code))
            }
            guard let mapped = message.xorMappedAddress, let mappedAddress = try? mapped.socketAddress() else {
                if isActive { failPair(index) }
                return .rejected(.missingMappedAddress)
            }
            checkSucceeded(
                pair: index, mappedAddress: mappedAddress, sentPriority: transaction.sentPriority,
                useCandidate: useCandidate, transactionRole: transaction.role, now: now)
            return .handled
        }
    }

    func mappedAddress(of message: STUNMessage) -> STUNTransportAddress? {
        for case .mappedAddress(let address) in message.attributes { return address }
        return nil
    }

    /// RFC 8445 §7.2.5.3: discover a peer-reflexive local candidate from XOR-MAPPED-ADDRESS (§7.2.5.3.1),
    /// construct the valid pair (§7.2.5.3.2), unfreeze the foundation (§7.2.5.3.3), and update nominations
    /// (§7.2.5.3.4).
    mutating func checkSucceeded(
        pair index: Int, mappedAddress: SocketAddress, sentPriority: UInt32, useCandidate: Bool,
        transactionRole: ICERole, now: NIODeadline
    ) {
        var localIndex = pairs[index].local
        if localCandidates[localIndex].address != mappedAddress {
            let base = localCandidates[localIndex].base
            if let known = localCandidates.firstIndex(where: { $0.address == mappedAddress && $0.base == base }) {
                localIndex = known
            } else if localCandidates.count < configuration.maximumLocalCandidates {
                localCandidates.append(
                    Candidate(
                        kind: .peerReflexive, address: mappedAddress, base: base, priority: sentPriority,
                        foundation: Candidate.foundation(kind: .peerReflexive, base: base),
                        component: localCandidates[localIndex].component))
                localIndex = localCandidates.count - 1
            }
        }
        let validIndex: Int
        if localIndex == pairs[index].local {
            validIndex = index
        } else if let found = findOrCreatePair(local: localIndex, remote: pairs[index].remote) {
            validIndex = found
        } else {
            validIndex = index
        }
        pairs[index].state = .succeeded
        pairs[index].activeTransaction = nil
        pairs[index].validPair = validIndex
        pairs[validIndex].state = .succeeded
        pairs[validIndex].isValid = true
        let foundation = pairs[index].foundation
        for other in pairs.indices where pairs[other].state == .frozen && pairs[other].foundation == foundation {
            pairs[other].state = .waiting
        }
        if firstValidAt == nil { firstValidAt = now }
        if let selected, selected.pair.local.base == localCandidates[localIndex].base,
            selected.pair.remote.address == remoteCandidates[pairs[index].remote].address
        {
            refreshConsent(now: now)
        }
        if useCandidate && transactionRole == .controlling && role == .controlling {
            nominate(validIndex, now: now)
        } else if role == .controlled && (pairs[index].remoteNominated || pairs[validIndex].remoteNominated) {
            nominate(validIndex, now: now)
        }
        maybeNominate(now: now)
    }
}
