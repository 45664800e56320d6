import Database

/// Why a ``Store`` operation failed.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The record to change does not exist (HTTP 404).
    case notFound(String)
    /// A unique value is already taken — an e-mail address, an id, a personal room (HTTP 409). Keeps the
    /// database's message.
    case duplicate(String)
    /// The request cannot be stored as given (HTTP 400), e.g. an empty e-mail address.
    case invalid(String)
    /// The database failed (HTTP 500/503).
    case database(DatabaseError)

    /// A stable, machine-readable code.
    public var code: String {
        switch self {
        case .notFound: "store.not_found"
        case .duplicate: "store.duplicate"
        case .invalid: "store.invalid"
        case .database(let error): error.code
        }
    }

    public var description: String {
        switch self {
        case .notFound(let what): "not found: \(what)"
        case .duplicate(let message): "already exists: \(message)"
        case .invalid(let message): "invalid: \(message)"
        case .database(let error): error.description
        }
    }

    /// Classifies any error a store closure threw.
    init(_ error: any Error) {
        switch error {
        case let error as StoreError: self = error
        case DatabaseError.duplicateKey(let message): self = .duplicate(message)
        case let error as DatabaseError: self = .database(error)
        default: self = .database(.statementFailed(code: -1, message: String(describing: error)))
        }
    }
}
