/// A 16-bit STUN attribute type code (RFC 8489 §14, §18.3; RFC 8656 §18; RFC 6062 §6.2; RFC 8445 §16.1).
///
/// Types 0x0000–0x7FFF are comprehension-required: an agent that does not understand one must reject the
/// message (a request with 420 Unknown Attribute). 0x8000–0xFFFF are comprehension-optional and may be ignored.
public struct STUNAttributeType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// True for 0x0000–0x7FFF (RFC 8489 §14).
    public var isComprehensionRequired: Bool { rawValue < 0x8000 }

    // RFC 8489 §18.3.1 (comprehension-required)
    public static let mappedAddress = STUNAttributeType(rawValue: 0x0001)
    public static let username = STUNAttributeType(rawValue: 0x0006)
    public static let messageIntegrity = STUNAttributeType(rawValue: 0x0008)
    public static let errorCode = STUNAttributeType(rawValue: 0x0009)
    public static let unknownAttributes = STUNAttributeType(rawValue: 0x000A)
    public static let realm = STUNAttributeType(rawValue: 0x0014)
    public static let nonce = STUNAttributeType(rawValue: 0x0015)
    public static let messageIntegritySHA256 = STUNAttributeType(rawValue: 0x001C)
    public static let passwordAlgorithm = STUNAttributeType(rawValue: 0x001D)
    public static let userHash = STUNAttributeType(rawValue: 0x001E)
    public static let xorMappedAddress = STUNAttributeType(rawValue: 0x0020)
    // RFC 8489 §18.3.2 (comprehension-optional)
    public static let passwordAlgorithms = STUNAttributeType(rawValue: 0x8002)
    public static let alternateDomain = STUNAttributeType(rawValue: 0x8003)
    public static let software = STUNAttributeType(rawValue: 0x8022)
    public static let alternateServer = STUNAttributeType(rawValue: 0x8023)
    public static let fingerprint = STUNAttributeType(rawValue: 0x8028)
    // RFC 8656 §18
    public static let channelNumber = STUNAttributeType(rawValue: 0x000C)
    public static let lifetime = STUNAttributeType(rawValue: 0x000D)
    public static let xorPeerAddress = STUNAttributeType(rawValue: 0x0012)
    public static let data = STUNAttributeType(rawValue: 0x0013)
    public static let xorRelayedAddress = STUNAttributeType(rawValue: 0x0016)
    public static let requestedAddressFamily = STUNAttributeType(rawValue: 0x0017)
    public static let evenPort = STUNAttributeType(rawValue: 0x0018)
    public static let requestedTransport = STUNAttributeType(rawValue: 0x0019)
    public static let dontFragment = STUNAttributeType(rawValue: 0x001A)
    public static let reservationToken = STUNAttributeType(rawValue: 0x0022)
    public static let additionalAddressFamily = STUNAttributeType(rawValue: 0x8000)
    public static let addressErrorCode = STUNAttributeType(rawValue: 0x8001)
    public static let icmp = STUNAttributeType(rawValue: 0x8004)
    // RFC 6062 §6.2
    public static let connectionID = STUNAttributeType(rawValue: 0x002A)
    // RFC 8445 §16.1
    public static let priority = STUNAttributeType(rawValue: 0x0024)
    public static let useCandidate = STUNAttributeType(rawValue: 0x0025)
    public static let iceControlled = STUNAttributeType(rawValue: 0x8029)
    public static let iceControlling = STUNAttributeType(rawValue: 0x802A)

    /// The types this module decodes into a typed ``STUNAttribute`` case; every other type is kept as
    /// ``STUNAttribute/unknown(_:_:)``.
    public static let known: Set<STUNAttributeType> = [
        .mappedAddress, .username, .messageIntegrity, .errorCode, .unknownAttributes, .realm, .nonce,
        .messageIntegritySHA256, .passwordAlgorithm, .userHash, .xorMappedAddress, .passwordAlgorithms,
        .alternateDomain, .software, .alternateServer, .fingerprint, .channelNumber, .lifetime, .xorPeerAddress,
        .data, .xorRelayedAddress, .requestedAddressFamily, .evenPort, .requestedTransport, .dontFragment,
        .reservationToken, .additionalAddressFamily, .addressErrorCode, .icmp, .connectionID, .priority,
        .useCandidate, .iceControlled, .iceControlling,
    ]

    public var description: String {
        switch self {
        case .mappedAddress: "MAPPED-ADDRESS"
        case .username: "USERNAME"
        case .messageIntegrity: "MESSAGE-INTEGRITY"
        case .errorCode: "ERROR-CODE"
        case .unknownAttributes: "UNKNOWN-ATTRIBUTES"
        case .realm: "REALM"
        case .nonce: "NONCE"
        case .messageIntegritySHA256: "MESSAGE-INTEGRITY-SHA256"
        case .passwordAlgorithm: "PASSWORD-ALGORITHM"
        case .userHash: "USERHASH"
        case .xorMappedAddress: "XOR-MAPPED-ADDRESS"
        case .passwordAlgorithms: "PASSWORD-ALGORITHMS"
        case .alternateDomain: "ALTERNATE-DOMAIN"
        case .software: "SOFTWARE"
        case .alternateServer: "ALTERNATE-SERVER"
        case .fingerprint: "FINGERPRINT"
        case .channelNumber: "CHANNEL-NUMBER"
        case .lifetime: "LIFETIME"
        case .xorPeerAddress: "XOR-PEER-ADDRESS"
        case .data: "DATA"
        case .xorRelayedAddress: "XOR-RELAYED-ADDRESS"
        case .requestedAddressFamily: "REQUESTED-ADDRESS-FAMILY"
        case .evenPort: "EVEN-PORT"
        case .requestedTransport: "REQUESTED-TRANSPORT"
        case .dontFragment: "DONT-FRAGMENT"
        case .reservationToken: "RESERVATION-TOKEN"
        case .additionalAddressFamily: "ADDITIONAL-ADDRESS-FAMILY"
        case .addressErrorCode: "ADDRESS-ERROR-CODE"
        case .icmp: "ICMP"
        case .connectionID: "CONNECTION-ID"
        case .priority: "PRIORITY"
        case .useCandidate: "USE-CANDIDATE"
        case .iceControlled: "ICE-CONTROLLED"
        case .iceControlling: "ICE-CONTROLLING"
        default: "attribute \(hex(rawValue))"
        }
    }
}
