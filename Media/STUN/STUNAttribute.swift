import NIOCore

/// One decoded STUN attribute (RFC 8489 §14, RFC 8656 §18, RFC 6062 §6.2, RFC 8445 §16.1).
///
/// Attributes this module does not know are kept verbatim as ``unknown(_:_:)`` so they survive a parse/serialize
/// round trip and a server can list the comprehension-required ones in a 420 answer
/// (``STUNMessage/unknownComprehensionRequiredAttributes``).
///
/// Text attributes (USERNAME, REALM, NONCE, SOFTWARE, ALTERNATE-DOMAIN, reason phrases) must be UTF-8 on the wire;
/// the parser rejects invalid UTF-8 with ``STUNParseError/invalidUTF8(type:)``. Length limits the RFCs put on them
/// (e.g. USERNAME < 513 bytes) are not enforced here: that is policy for the server.
public enum STUNAttribute: Hashable, Sendable {
    /// MAPPED-ADDRESS (RFC 8489 §14.1): the reflexive address, not obfuscated (legacy RFC 3489 clients).
    case mappedAddress(STUNTransportAddress)
    /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2): the reflexive address, XORed with the cookie (and transaction ID).
    case xorMappedAddress(STUNTransportAddress)
    /// USERNAME (RFC 8489 §14.3).
    case username(String)
    /// USERHASH (RFC 8489 §14.4): SHA-256 of username ":" realm, 32 bytes; see ``STUNUserHash``.
    case userHash([UInt8])
    /// MESSAGE-INTEGRITY (RFC 8489 §14.5): HMAC-SHA1, 20 bytes. When writing with a key the value is computed;
    /// without a key the stored bytes are written as they are.
    case messageIntegrity([UInt8])
    /// MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6): HMAC-SHA256, possibly truncated to 16...32 bytes (multiple of 4).
    case messageIntegritySHA256([UInt8])
    /// FINGERPRINT (RFC 8489 §14.7): CRC-32 of the message XOR 0x5354554E. Always recomputed when written.
    case fingerprint(UInt32)
    /// ERROR-CODE (RFC 8489 §14.8).
    case errorCode(STUNErrorCode)
    /// REALM (RFC 8489 §14.9).
    case realm(String)
    /// NONCE (RFC 8489 §14.10).
    case nonce(String)
    /// PASSWORD-ALGORITHMS (RFC 8489 §14.11): the algorithms a server supports, in its order of preference.
    case passwordAlgorithms([STUNPasswordAlgorithm])
    /// PASSWORD-ALGORITHM (RFC 8489 §14.12): the algorithm a client chose.
    case passwordAlgorithm(STUNPasswordAlgorithm)
    /// UNKNOWN-ATTRIBUTES (RFC 8489 §14.13): the comprehension-required types a 420 response did not understand.
    case unknownAttributes([STUNAttributeType])
    /// SOFTWARE (RFC 8489 §14.14).
    case software(String)
    /// ALTERNATE-SERVER (RFC 8489 §14.15): where to retry after 300 Try Alternate. Not XORed.
    case alternateServer(STUNTransportAddress)
    /// ALTERNATE-DOMAIN (RFC 8489 §14.16): the TLS server name for ALTERNATE-SERVER.
    case alternateDomain(String)
    /// CHANNEL-NUMBER (RFC 8656 §18.1): the channel of a ChannelBind; the 16 RFFU bits are written as zero.
    case channelNumber(UInt16)
    /// LIFETIME (RFC 8656 §18.2): seconds.
    case lifetime(UInt32)
    /// XOR-PEER-ADDRESS (RFC 8656 §18.3); may appear several times (CreatePermission).
    case xorPeerAddress(STUNTransportAddress)
    /// DATA (RFC 8656 §18.4): application data of a Send or Data indication. Parsed from a `ByteBuffer`, this is a
    /// slice of it (no copy).
    case data(ByteBuffer)
    /// XOR-RELAYED-ADDRESS (RFC 8656 §18.5).
    case xorRelayedAddress(STUNTransportAddress)
    /// REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.6).
    case requestedAddressFamily(STUNAddressFamily)
    /// EVEN-PORT (RFC 8656 §18.7): `reserveNextPort` is the R bit (also reserve the next-higher port).
    case evenPort(reserveNextPort: Bool)
    /// REQUESTED-TRANSPORT (RFC 8656 §18.8): an IP protocol number, 17 (UDP) or 6 (TCP, RFC 6062).
    case requestedTransport(protocolNumber: UInt8)
    /// DONT-FRAGMENT (RFC 8656 §18.9): no value.
    case dontFragment
    /// RESERVATION-TOKEN (RFC 8656 §18.10): 8 opaque bytes, held as a big-endian integer.
    case reservationToken(UInt64)
    /// ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §18.11): ask for a second, IPv6, relayed address.
    case additionalAddressFamily(STUNAddressFamily)
    /// ADDRESS-ERROR-CODE (RFC 8656 §18.12): why the allocation for `family` failed in a dual allocation.
    case addressErrorCode(family: STUNAddressFamily, STUNErrorCode)
    /// ICMP (RFC 8656 §18.13): an ICMP error the relay received from a peer, in a Data indication.
    case icmp(type: UInt8, code: UInt8, errorData: UInt32)
    /// CONNECTION-ID (RFC 6062 §6.2.1): identifies a peer TCP connection.
    case connectionID(UInt32)
    /// PRIORITY (RFC 8445 §7.1.1): the priority of the candidate the check came from.
    case priority(UInt32)
    /// USE-CANDIDATE (RFC 8445 §7.1.2): nominate this pair. No value.
    case useCandidate
    /// ICE-CONTROLLED (RFC 8445 §7.1.3): the sender is controlled; the tie-breaker.
    case iceControlled(tieBreaker: UInt64)
    /// ICE-CONTROLLING (RFC 8445 §7.1.3): the sender is controlling; the tie-breaker.
    case iceControlling(tieBreaker: UInt64)
    /// Any other attribute, kept as its type and unpadded value bytes.
    case unknown(STUNAttributeType, [UInt8])

    /// The attribute's type code.
    public var type: STUNAttributeType {
        switch self {
        case .mappedAddress: .mappedAddress
        case .xorMappedAddress: .xorMappedAddress
        case .username: .username
        case .userHash: .userHash
        case .messageIntegrity: .messageIntegrity
        case .messageIntegritySHA256: .messageIntegritySHA256
        case .fingerprint: .fingerprint
        case .errorCode: .errorCode
        case .realm: .realm
        case .nonce: .nonce
        case .passwordAlgorithms: .passwordAlgorithms
        case .passwordAlgorithm: .passwordAlgorithm
        case .unknownAttributes: .unknownAttributes
        case .software: .software
        case .alternateServer: .alternateServer
        case .alternateDomain: .alternateDomain
        case .channelNumber: .channelNumber
        case .lifetime: .lifetime
        case .xorPeerAddress: .xorPeerAddress
        case .data: .data
        case .xorRelayedAddress: .xorRelayedAddress
        case .requestedAddressFamily: .requestedAddressFamily
        case .evenPort: .evenPort
        case .requestedTransport: .requestedTransport
        case .dontFragment: .dontFragment
        case .reservationToken: .reservationToken
        case .additionalAddressFamily: .additionalAddressFamily
        case .addressErrorCode: .addressErrorCode
        case .icmp: .icmp
        case .connectionID: .connectionID
        case .priority: .priority
        case .useCandidate: .useCandidate
        case .iceControlled: .iceControlled
        case .iceControlling: .iceControlling
        case .unknown(let type, _): type
        }
    }
}

/// The value of ERROR-CODE (RFC 8489 §14.8): a code 300...699 and a UTF-8 reason phrase.
public struct STUNErrorCode: Hashable, Sendable, CustomStringConvertible {
    /// 300...699; the hundreds digit is the class, the rest the number.
    public var code: Int
    /// Human-readable text; RFC 8489 recommends the phrases given with each code, but any text is allowed.
    public var reason: String

    public init(code: Int, reason: String = "") {
        self.code = code
        self.reason = reason
    }

    /// The same code with a different reason phrase.
    public func with(reason: String) -> STUNErrorCode { STUNErrorCode(code: code, reason: reason) }

    public var description: String { reason.isEmpty ? "\(code)" : "\(code) \(reason)" }

    /// 300 Try Alternate (RFC 8489 §19).
    public static let tryAlternate = STUNErrorCode(code: 300, reason: "Try Alternate")
    /// 400 Bad Request.
    public static let badRequest = STUNErrorCode(code: 400, reason: "Bad Request")
    /// 401 Unauthenticated.
    public static let unauthenticated = STUNErrorCode(code: 401, reason: "Unauthenticated")
    /// 403 Forbidden (RFC 8656 §19).
    public static let forbidden = STUNErrorCode(code: 403, reason: "Forbidden")
    /// 405 Mobility Forbidden (RFC 8016).
    public static let mobilityForbidden = STUNErrorCode(code: 405, reason: "Mobility Forbidden")
    /// 420 Unknown Attribute: send with UNKNOWN-ATTRIBUTES.
    public static let unknownAttribute = STUNErrorCode(code: 420, reason: "Unknown Attribute")
    /// 437 Allocation Mismatch (RFC 8656).
    public static let allocationMismatch = STUNErrorCode(code: 437, reason: "Allocation Mismatch")
    /// 438 Stale Nonce.
    public static let staleNonce = STUNErrorCode(code: 438, reason: "Stale Nonce")
    /// 440 Address Family not Supported (RFC 8656).
    public static let addressFamilyNotSupported = STUNErrorCode(code: 440, reason: "Address Family not Supported")
    /// 441 Wrong Credentials (RFC 8656).
    public static let wrongCredentials = STUNErrorCode(code: 441, reason: "Wrong Credentials")
    /// 442 Unsupported Transport Protocol (RFC 8656).
    public static let unsupportedTransportProtocol = STUNErrorCode(code: 442, reason: "Unsupported Transport Protocol")
    /// 443 Peer Address Family Mismatch (RFC 8656).
    public static let peerAddressFamilyMismatch = STUNErrorCode(code: 443, reason: "Peer Address Family Mismatch")
    /// 446 Connection Already Exists (RFC 6062).
    public static let connectionAlreadyExists = STUNErrorCode(code: 446, reason: "Connection Already Exists")
    /// 447 Connection Timeout or Failure (RFC 6062).
    public static let connectionTimeoutOrFailure = STUNErrorCode(code: 447, reason: "Connection Timeout or Failure")
    /// 486 Allocation Quota Reached (RFC 8656).
    public static let allocationQuotaReached = STUNErrorCode(code: 486, reason: "Allocation Quota Reached")
    /// 487 Role Conflict (RFC 8445 §7.3.1.1).
    public static let roleConflict = STUNErrorCode(code: 487, reason: "Role Conflict")
    /// 500 Server Error.
    public static let serverError = STUNErrorCode(code: 500, reason: "Server Error")
    /// 508 Insufficient Capacity (RFC 8656).
    public static let insufficientCapacity = STUNErrorCode(code: 508, reason: "Insufficient Capacity")
}

/// One entry of PASSWORD-ALGORITHMS / the value of PASSWORD-ALGORITHM (RFC 8489 §14.11–14.12, §18.5).
public struct STUNPasswordAlgorithm: Hashable, Sendable, CustomStringConvertible {
    /// The registered algorithm number: 0x0001 MD5, 0x0002 SHA-256.
    public var number: UInt16
    /// Algorithm parameters; empty for MD5 and SHA-256.
    public var parameters: [UInt8]

    public init(number: UInt16, parameters: [UInt8] = []) {
        self.number = number
        self.parameters = parameters
    }

    /// MD5 (RFC 8489 §18.5.1.1): the RFC 5389 long-term key.
    public static let md5 = STUNPasswordAlgorithm(number: 0x0001)
    /// SHA-256 (RFC 8489 §18.5.1.2).
    public static let sha256 = STUNPasswordAlgorithm(number: 0x0002)

    public var description: String {
        switch number {
        case 0x0001: "MD5"
        case 0x0002: "SHA-256"
        default: "password algorithm \(hex(number))"
        }
    }
}
