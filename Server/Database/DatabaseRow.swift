/// One result row: values by column name, read through typed accessors that throw
/// ``DatabaseError/columnMissing(_:)`` or ``DatabaseError/typeMismatch(column:expected:found:)`` instead of
/// guessing. Column names are the ones the SELECT gives (use `AS` to name expressions).
public struct DatabaseRow: Sendable, Hashable {
    /// The column names, in SELECT order.
    public let columns: [String]
    /// The values, in the same order as ``columns``.
    public let values: [DatabaseValue]

    public init(columns: [String], values: [DatabaseValue]) {
        self.columns = columns
        self.values = values
    }

    /// The value of column `name`.
    public func value(_ name: String) throws(DatabaseError) -> DatabaseValue {
        guard let index = columns.firstIndex(of: name), index < values.count else { throw .columnMissing(name) }
        return values[index]
    }

    /// The value of column `name`, or `nil` when the row has no such column.
    public subscript(name: String) -> DatabaseValue? {
        guard let index = columns.firstIndex(of: name), index < values.count else { return nil }
        return values[index]
    }

    /// An integer column. MariaDB's DECIMAL/aggregate results that arrive as text are parsed when they hold an
    /// integer (`SUM()` over integers is DECIMAL in MariaDB).
    public func integer(_ name: String) throws(DatabaseError) -> Int64 {
        switch try value(name) {
        case .integer(let value): return value
        case .text(let text):
            if let value = Int64(text) { return value }
            throw .typeMismatch(column: name, expected: "integer", found: "text")
        case let other: throw .typeMismatch(column: name, expected: "integer", found: other.typeName)
        }
    }

    /// An integer column that may be NULL.
    public func optionalInteger(_ name: String) throws(DatabaseError) -> Int64? {
        if case .null = try value(name) { return nil }
        return try integer(name)
    }

    /// A column holding 0 or 1.
    public func bool(_ name: String) throws(DatabaseError) -> Bool {
        switch try integer(name) {
        case 0: return false
        case 1: return true
        default: throw .typeMismatch(column: name, expected: "boolean (0 or 1)", found: "integer")
        }
    }

    /// A real (floating-point) column; integers are widened.
    public func real(_ name: String) throws(DatabaseError) -> Double {
        switch try value(name) {
        case .real(let value): return value
        case .integer(let value): return Double(value)
        case let other: throw .typeMismatch(column: name, expected: "real", found: other.typeName)
        }
    }

    /// A text column.
    public func text(_ name: String) throws(DatabaseError) -> String {
        switch try value(name) {
        case .text(let value): return value
        case let other: throw .typeMismatch(column: name, expected: "text", found: other.typeName)
        }
    }

    /// A text column that may be NULL.
    public func optionalText(_ name: String) throws(DatabaseError) -> String? {
        if case .null = try value(name) { return nil }
        return try text(name)
    }

    /// A blob column. Empty blobs may come back from SQLite as empty blobs or, in older files, empty text; both
    /// are accepted as empty bytes.
    public func blob(_ name: String) throws(DatabaseError) -> [UInt8] {
        switch try value(name) {
        case .blob(let value): return value
        case .text(let value) where value.isEmpty: return []
        case let other: throw .typeMismatch(column: name, expected: "blob", found: other.typeName)
        }
    }

    /// A blob column that may be NULL.
    public func optionalBlob(_ name: String) throws(DatabaseError) -> [UInt8]? {
        if case .null = try value(name) { return nil }
        return try blob(name)
    }
}
