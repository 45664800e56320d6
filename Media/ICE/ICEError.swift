import STUN

/// Why the ICE agent refused an input: a received datagram it dropped (or answered with an error), or a caller
/// value that breaks an ICE rule (RFC 8445, RFC 8839).
///
/// Received datagrams never make the agent trap; ``ICEAgent/handleReceive(_:from:to:now:)`` reports these through
/// ``ICEReceiveOutcome/rejected(_:)`` so a driver can count or log them. ``code`` is stable for logs and metrics.
public enum ICEError: Error, Hashable, Sendable {
    /// The datagram looked like STUN but did not parse (framing, attribute or FINGERPRINT error).
    case malformedSTUN(STUNParseError)
    /// A Binding request without USERNAME (RFC 8445 §7.3: answered with 400).
    case missingUsername
    /// A Binding request whose USERNAME does not start with our ufrag (answered with 401).
    case unknownUsername(String)
    /// A Binding request or response without MESSAGE-INTEGRITY (a request is answered with 400).
    case missingIntegrity
    /// MESSAGE-INTEGRITY did not verify with the expected ice-pwd (a request is answered with 401).
    case badIntegrity
    /// A connectivity check without PRIORITY (RFC 8445 §7.1.1; answered with 400).
    case missingPriority
    /// A request carrying comprehension-required attributes we do not know (answered with 420).
    case unknownAttributes([STUNAttributeType])
    /// A response that matches none of our outstanding transactions (late, duplicate or forged).
    case unknownTransaction
    /// A success response without XOR-MAPPED-ADDRESS (RFC 8445 §7.2.5.3.1).
    case missingMappedAddress
    /// A response arrived from another address, or on another socket, than the request went to
    /// (RFC 8445 §7.2.5.2.1: the pair fails).
    case asymmetricResponse
    /// We answered a request with 487 Role Conflict (RFC 8445 §7.3.1.1).
    case roleConflict
    /// An error response to one of our checks (other than 487), carried for logging.
    case errorResponse(STUNErrorCode)
    /// The datagram arrived on a local address that is not the base of any local candidate.
    case unknownLocalAddress(SocketAddressText)
    /// A candidate address that is not a literal IPv4 or IPv6 address (for example an mDNS `.local` name the
    /// caller has not resolved).
    case unresolvableAddress(String)
    /// A candidate transport other than UDP (ICE-TCP is not implemented by this agent).
    case unsupportedTransport(String)
    /// A candidate type this agent does not know.
    case unsupportedCandidateType(String)
    /// A ufrag or password that is not 4...256 / 22...256 ice-chars (RFC 8839 §5.4).
    case invalidCredentials(String)
    /// A candidate the agent already knows, or one that carries another ICE generation's ufrag (RFC 8838 §4.4).
    case ignoredCandidate(String)

    /// A stable, machine-friendly name of the case (for logs, metrics and tests), e.g. `ice.bad-integrity`.
    public var code: String {
        switch self {
        case .malformedSTUN: "ice.malformed-stun"
        case .missingUsername: "ice.missing-username"
        case .unknownUsername: "ice.unknown-username"
        case .missingIntegrity: "ice.missing-integrity"
        case .badIntegrity: "ice.bad-integrity"
        case .missingPriority: "ice.missing-priority"
        case .unknownAttributes: "ice.unknown-attributes"
        case .unknownTransaction: "ice.unknown-transaction"
        case .missingMappedAddress: "ice.missing-mapped-address"
        case .asymmetricResponse: "ice.asymmetric-response"
        case .roleConflict: "ice.role-conflict"
        case .errorResponse: "ice.error-response"
        case .unknownLocalAddress: "ice.unknown-local-address"
        case .unresolvableAddress: "ice.unresolvable-address"
        case .unsupportedTransport: "ice.unsupported-transport"
        case .unsupportedCandidateType: "ice.unsupported-candidate-type"
        case .invalidCredentials: "ice.invalid-credentials"
        case .ignoredCandidate: "ice.ignored-candidate"
        }
    }
}

extension ICEError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .malformedSTUN(let error): "malformed STUN message: \(error)"
        case .missingUsername: "Binding request without USERNAME"
        case .unknownUsername(let username): "USERNAME \"\(username)\" is not addressed to our ufrag"
        case .missingIntegrity: "message has no MESSAGE-INTEGRITY"
        case .badIntegrity: "MESSAGE-INTEGRITY does not match the ice-pwd"
        case .missingPriority: "connectivity check without PRIORITY"
        case .unknownAttributes(let types):
            "unknown comprehension-required attributes \(types.map(\.description).joined(separator: ", "))"
        case .unknownTransaction: "response to no outstanding transaction"
        case .missingMappedAddress: "success response without XOR-MAPPED-ADDRESS"
        case .asymmetricResponse: "response did not come back on the path the request took"
        case .roleConflict: "role conflict answered with 487"
        case .errorResponse(let code): "error response \(code)"
        case .unknownLocalAddress(let address): "\(address) is not the base of a local candidate"
        case .unresolvableAddress(let address): "\"\(address)\" is not an IP address literal"
        case .unsupportedTransport(let transport): "transport \(transport) is not supported (UDP only)"
        case .unsupportedCandidateType(let type): "candidate type \(type) is not supported"
        case .invalidCredentials(let reason): "invalid ICE credentials: \(reason)"
        case .ignoredCandidate(let reason): "candidate ignored: \(reason)"
        }
    }
}

/// A socket address as text, so ``ICEError`` stays `Hashable` without depending on how NIO hashes addresses.
public typealias SocketAddressText = String
