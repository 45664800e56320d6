import STUN

/// Why a TURN client allocation (``TURNClientAllocation``) or one of its requests failed.
///
/// Kept apart from ``ICEError`` (which describes datagrams the ICE agent drops) because these failures are reported
/// through ``TURNClientOutput`` as events of the allocation's life, not as rejected input. ``code`` is stable.
public enum TURNClientError: Error, Hashable, Sendable {
    /// The server answered a request with an error (RFC 8656 §7.4: e.g. 403 Forbidden, 437 Allocation Mismatch,
    /// 486 Allocation Quota Reached, 508 Insufficient Capacity; 401 after we authenticated: wrong credentials).
    case errorResponse(method: String, STUNErrorCode)
    /// No response after every retransmission (RFC 8489 §6.2.1: Rc transmissions, then Rm × RTO).
    case timeout(method: String)
    /// A success response to Allocate without XOR-RELAYED-ADDRESS (RFC 8656 §7.3).
    case missingRelayedAddress
    /// The server challenged us more often than we answer in a row (401/438 loop).
    case authenticationLoop(method: String)
    /// The call needs an allocation that does not exist (yet, or any more).
    case notAllocated
    /// Every channel number 0x4000...0x4FFF is in use (RFC 8656 §12).
    case channelNumbersExhausted

    /// A stable, machine-friendly name of the case, e.g. `turn-client.timeout`.
    public var code: String {
        switch self {
        case .errorResponse: "turn-client.error-response"
        case .timeout: "turn-client.timeout"
        case .missingRelayedAddress: "turn-client.missing-relayed-address"
        case .authenticationLoop: "turn-client.authentication-loop"
        case .notAllocated: "turn-client.not-allocated"
        case .channelNumbersExhausted: "turn-client.channel-numbers-exhausted"
        }
    }
}

extension TURNClientError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .errorResponse(let method, let error): "TURN \(method) failed: \(error)"
        case .timeout(let method): "TURN \(method) got no response from the server"
        case .missingRelayedAddress: "TURN Allocate success lacks XOR-RELAYED-ADDRESS (RFC 8656 §7.3)"
        case .authenticationLoop(let method): "TURN server keeps challenging \(method) (401/438)"
        case .notAllocated: "no TURN allocation"
        case .channelNumbersExhausted: "all TURN channel numbers are bound"
        }
    }
}
