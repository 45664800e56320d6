import HTTPTypes
import ServerKit

/// Random identifiers for rows and links: lower-case letters and digits (no look-alikes 0/o, 1/l), so a meeting id
/// can be read over the phone. 12 characters from 32 symbols carry 60 bits — unguessable for meetings and lobby
/// tickets, which act as capabilities.
enum Identifier {
    private static let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")

    static func make(length: Int = 12) -> String {
        String(KeyedHashing.randomBytes(length).map { alphabet[Int($0 & 31)] })
    }

    /// Whether `text` could be an identifier we issued (cheap check before a database look-up).
    static func isPlausible(_ text: String) -> Bool {
        (4...64).contains(text.count) && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }
}
