/// `a=sendrecv`, `a=sendonly`, `a=recvonly`, `a=inactive` (RFC 8866 §6.7), also used by `a=extmap` (RFC 8285 §8).
public enum MediaDirection: String, Hashable, Sendable, CaseIterable {
    case sendrecv
    case sendonly
    case recvonly
    case inactive

    /// The direction seen from the other side (RFC 8829 §5.3.1: an answer reverses sendonly/recvonly).
    public var reversed: MediaDirection {
        switch self {
        case .sendonly: return .recvonly
        case .recvonly: return .sendonly
        case .sendrecv, .inactive: return self
        }
    }

    /// True if media flows from the side that wrote this direction.
    public var sends: Bool { self == .sendrecv || self == .sendonly }
    /// True if the side that wrote this direction accepts media.
    public var receives: Bool { self == .sendrecv || self == .recvonly }
}
