/// A STUN method: the 12-bit operation a message belongs to (RFC 8489 §5, §18.2; TURN methods RFC 8656 §17;
/// TCP-relay methods RFC 6062 §6.1).
///
/// Any 12-bit value can be carried, so a message with a method we do not implement still parses and can be answered
/// with an error.
public struct STUNMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 12-bit method number (0x000...0xFFF).
    public let rawValue: UInt16

    /// Nil if `rawValue` does not fit in 12 bits.
    public init?(rawValue: UInt16) {
        guard rawValue <= 0x0FFF else { return nil }
        self.rawValue = rawValue
    }

    init(uncheckedRawValue: UInt16) { self.rawValue = uncheckedRawValue & 0x0FFF }

    /// Binding (RFC 8489 §3): a client learns its server-reflexive address; ICE connectivity checks (RFC 8445 §7).
    public static let binding = STUNMethod(uncheckedRawValue: 0x001)
    /// Allocate (RFC 8656 §7): create a relayed transport address.
    public static let allocate = STUNMethod(uncheckedRawValue: 0x003)
    /// Refresh (RFC 8656 §8): extend or delete an allocation.
    public static let refresh = STUNMethod(uncheckedRawValue: 0x004)
    /// Send (RFC 8656 §11): indication carrying data from the client to a peer.
    public static let send = STUNMethod(uncheckedRawValue: 0x006)
    /// Data (RFC 8656 §11): indication carrying data from a peer to the client.
    public static let data = STUNMethod(uncheckedRawValue: 0x007)
    /// CreatePermission (RFC 8656 §10).
    public static let createPermission = STUNMethod(uncheckedRawValue: 0x008)
    /// ChannelBind (RFC 8656 §12).
    public static let channelBind = STUNMethod(uncheckedRawValue: 0x009)
    /// Connect (RFC 6062 §4.3): open a TCP connection from the relay to a peer.
    public static let connect = STUNMethod(uncheckedRawValue: 0x00A)
    /// ConnectionBind (RFC 6062 §4.4): bind a client data connection to a peer connection.
    public static let connectionBind = STUNMethod(uncheckedRawValue: 0x00B)
    /// ConnectionAttempt (RFC 6062 §4.5): indication that a peer connected to the relay.
    public static let connectionAttempt = STUNMethod(uncheckedRawValue: 0x00C)

    public var description: String {
        switch self {
        case .binding: "Binding"
        case .allocate: "Allocate"
        case .refresh: "Refresh"
        case .send: "Send"
        case .data: "Data"
        case .createPermission: "CreatePermission"
        case .channelBind: "ChannelBind"
        case .connect: "Connect"
        case .connectionBind: "ConnectionBind"
        case .connectionAttempt: "ConnectionAttempt"
        default: "Method(\(hex(rawValue)))"
        }
    }
}

/// The class of a STUN message: request, indication, success response or error response (RFC 8489 §5).
public enum STUNClass: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case request = 0b00
    case indication = 0b01
    case successResponse = 0b10
    case errorResponse = 0b11

    public var description: String {
        switch self {
        case .request: "request"
        case .indication: "indication"
        case .successResponse: "success response"
        case .errorResponse: "error response"
        }
    }
}

/// The 14-bit STUN Message Type: a method and a class interleaved as M11–M7 C1 M6–M4 C0 M3–M0 (RFC 8489 §5,
/// Figure 3).
public struct STUNMessageType: Hashable, Sendable, CustomStringConvertible {
    public var method: STUNMethod
    public var messageClass: STUNClass

    public init(method: STUNMethod, messageClass: STUNClass) {
        self.method = method
        self.messageClass = messageClass
    }

    /// Splits a 16-bit type field; the two top bits (always zero in STUN) are ignored.
    public init(rawValue: UInt16) {
        let method = (rawValue & 0x000F) | ((rawValue & 0x00E0) >> 1) | ((rawValue & 0x3E00) >> 2)
        let classBits = UInt8(truncatingIfNeeded: ((rawValue & 0x0010) >> 4) | ((rawValue & 0x0100) >> 7))
        self.method = STUNMethod(uncheckedRawValue: method)
        self.messageClass = STUNClass(rawValue: classBits & 0b11) ?? .request
    }

    /// The 16-bit type field as written on the wire (its two top bits are zero).
    public var rawValue: UInt16 {
        let m = method.rawValue
        let c = UInt16(messageClass.rawValue)
        return (m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | ((c & 0b01) << 4) | ((c & 0b10) << 7)
    }

    public var description: String { "\(method) \(messageClass)" }
}
