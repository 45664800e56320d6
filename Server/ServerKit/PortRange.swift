/// An inclusive port range such as `--relay-ports 49152-65535` (the IANA dynamic range, RFC 6335 §6).
public struct PortRange: Sendable, Hashable, CustomStringConvertible {
    public var lowerBound: UInt16
    public var upperBound: UInt16

    public init(_ lowerBound: UInt16, _ upperBound: UInt16) {
        self.lowerBound = min(lowerBound, upperBound)
        self.upperBound = max(lowerBound, upperBound)
    }

    /// Parses `LOW-HIGH` with 1 ≤ LOW ≤ HIGH ≤ 65535.
    public init(parsing text: String) throws(PortRangeError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = UInt16(parts[0]), let high = UInt16(parts[1]) else {
            throw .notARange(text)
        }
        guard low > 0, low <= high else { throw .emptyOrReversed(text) }
        self.init(low, high)
    }

    /// The number of ports in the range.
    public var count: Int { Int(upperBound) - Int(lowerBound) + 1 }

    public var description: String { "\(lowerBound)-\(upperBound)" }
}

/// Why a port-range flag value was refused.
public enum PortRangeError: Error, Hashable, Sendable, CustomStringConvertible {
    case notARange(String)
    case emptyOrReversed(String)

    public var description: String {
        switch self {
        case .notARange(let text): "'\(text)' is not a port range; expected LOW-HIGH, e.g. 49152-65535"
        case .emptyOrReversed(let text): "'\(text)' must satisfy 1 <= LOW <= HIGH <= 65535"
        }
    }
}
