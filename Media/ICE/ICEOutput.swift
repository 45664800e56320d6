import NIOCore

/// The agent's view of connectivity (the states WebRTC's `RTCIceConnectionState` reports).
public enum ICEConnectionState: Hashable, Sendable, CustomStringConvertible {
    /// Nothing checked or received yet.
    case new
    /// Checks are under way (full), or valid checks have arrived (lite), and no pair is selected.
    case checking
    /// A nominated pair is selected and media can flow.
    case connected
    /// Full agent: nomination finished and ordinary checks have stopped (RFC 8445 §8.1.2).
    case completed
    /// The selected pair has gone quiet for ``ICEConfiguration/disconnectedTimeout``; it may come back.
    case disconnected
    /// Every pair failed after the peer's end-of-candidates (RFC 8838 §8), or consent expired (RFC 7675 §5.1).
    /// Only an ICE restart recovers.
    case failed

    public var description: String {
        switch self {
        case .new: "new"
        case .checking: "checking"
        case .connected: "connected"
        case .completed: "completed"
        case .disconnected: "disconnected"
        case .failed: "failed"
        }
    }
}

/// Something the owner of the agent should know.
public enum ICEEvent: Hashable, Sendable {
    /// The pair media should be sent on changed (a nomination, RFC 8445 §8.1.1 and §7.3.1.5).
    case selectedPairChanged(CandidatePair)
    case connectionStateChanged(ICEConnectionState)
    /// A local candidate to signal to the peer (trickle ICE, RFC 8838 §4): host and relayed candidates when
    /// added, server-reflexive ones when a STUN server answered.
    case localCandidate(Candidate)
    /// Gathering finished: signal end-of-candidates (RFC 8838 §4.2).
    case gatheringComplete
    /// A peer-reflexive remote candidate was learned from a check (RFC 8445 §7.3.1.3).
    case peerReflexiveCandidate(Candidate)
    /// A role conflict switched our role (RFC 8445 §7.2.5.1, §7.3.1.1).
    case roleChanged(ICERole)
    /// No consent response for ``ICEConfiguration/consentTimeout``: stop sending (RFC 7675 §5.1).
    case consentLost
}

/// What ``ICEAgent/pollOutput()`` returns.
public enum ICEOutput: Hashable, Sendable {
    /// Send `datagram` from the local socket bound to `from` (a candidate base; for a relayed candidate, its
    /// relayed address, which the driver sends through the TURN allocation) to `to`.
    case transmit(ByteBuffer, from: SocketAddress, to: SocketAddress)
    case event(ICEEvent)
}

/// What ``ICEAgent/handleReceive(_:from:to:now:)`` did with a datagram.
public enum ICEReceiveOutcome: Hashable, Sendable {
    /// A STUN Binding message for this agent; it was processed.
    case handled
    /// A STUN Binding message the agent dropped or answered with an error, and why.
    case rejected(ICEError)
    /// Not a STUN Binding message (DTLS, RTP, TURN, ...): pass it on.
    case notICE

    /// True unless the datagram is someone else's to handle.
    public var isICE: Bool { self != .notICE }
}
