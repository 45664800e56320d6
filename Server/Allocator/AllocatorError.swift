/// Why the allocateserver refused a configuration, a query, or could not do its work. `code` is stable (for logs
/// and tests); `description` is the human message.
public enum AllocatorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The configuration file is not usable; `field` is the JSON path of the bad value.
    case badConfiguration(field: String, reason: String)
    /// A query that does not follow the contract (answered with 400).
    case badQuery(String)
    /// Persisting or loading reservations failed.
    case storage(String)
    /// The provisioning command could not be started.
    case commandFailed(String)

    public var code: String {
        switch self {
        case .badConfiguration: "allocator.config"
        case .badQuery: "allocator.query"
        case .storage: "allocator.storage"
        case .commandFailed: "allocator.command"
        }
    }

    public var description: String {
        switch self {
        case .badConfiguration(let field, let reason): "configuration field \"\(field)\": \(reason)"
        case .badQuery(let reason): "bad query: \(reason)"
        case .storage(let reason): "reservation storage: \(reason)"
        case .commandFailed(let reason): "provisioning command: \(reason)"
        }
    }
}
