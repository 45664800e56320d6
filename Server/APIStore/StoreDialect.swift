import Foundation
import Database

/// The SQL that differs between SQLite and MariaDB, in one place. Everything else the store runs is the common
/// subset (`?` parameters, `LIMIT`, `COALESCE`, `CASE`).
extension SQLDialect {
    /// The suffix that locks the rows a read-modify-write transaction reads. MariaDB needs it so two apiservers
    /// do not both read the old value; SQLite's `BEGIN IMMEDIATE` already holds the database's write lock.
    var forUpdate: String {
        switch self {
        case .sqlite: ""
        case .mysql: " FOR UPDATE"
        }
    }

    /// `INSERT … ON CONFLICT` in SQLite's words or MariaDB's: insert `columns`, or on a duplicate of `key` set each
    /// of `assignments` (written with `new(column)` standing for the value that was to be inserted).
    func upsert(into table: String, columns: [String], key: [String], assignments: [(String, String)]) -> String {
        let insert = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES ("
            + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        func rewrite(_ expression: String) -> String {
            var text = expression
            for column in columns {
                text = text.replacingOccurrences(of: "new(\(column))",
                    with: self == .sqlite ? "excluded.\(column)" : "VALUES(\(column))")
            }
            return text
        }
        let sets = assignments.map { "\($0.0) = \(rewrite($0.1))" }.joined(separator: ", ")
        switch self {
        case .sqlite: return insert + " ON CONFLICT (\(key.joined(separator: ", "))) DO UPDATE SET " + sets
        case .mysql: return insert + " ON DUPLICATE KEY UPDATE " + sets
        }
    }
}
