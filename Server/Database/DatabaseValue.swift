/// One SQL value as both backends store it: SQLite's five storage classes, which MariaDB's column types map onto
/// (integers → `integer`, FLOAT/DOUBLE → `real`, character columns → `text`, binary columns → `blob`).
///
/// Values are always sent as bound parameters of a prepared statement, never spliced into SQL text, so any input —
/// including text that looks like SQL — is stored verbatim.
public enum DatabaseValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    /// `integer(1)` or `integer(0)`: both backends store booleans as integers.
    public static func bool(_ value: Bool) -> DatabaseValue { .integer(value ? 1 : 0) }

    /// `text(value)`, or `null` when `value` is nil.
    public static func optionalText(_ value: String?) -> DatabaseValue { value.map { .text($0) } ?? .null }

    /// `integer(value)`, or `null` when `value` is nil.
    public static func optionalInteger(_ value: Int64?) -> DatabaseValue { value.map { .integer($0) } ?? .null }

    /// `blob(value)`, or `null` when `value` is nil.
    public static func optionalBlob(_ value: [UInt8]?) -> DatabaseValue { value.map { .blob($0) } ?? .null }

    /// The storage class's name as errors report it.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .integer: "integer"
        case .real: "real"
        case .text: "text"
        case .blob: "blob"
        }
    }

    public var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .text(let value): "'\(value)'"
        case .blob(let value): "blob(\(value.count) bytes)"
        }
    }
}

extension DatabaseValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByNilLiteral,
    ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral
{
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(floatLiteral value: Double) { self = .real(value) }
    public init(booleanLiteral value: Bool) { self = .integer(value ? 1 : 0) }
}
