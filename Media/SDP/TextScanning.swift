// Small, allocation-light helpers for scanning SDP text. Everything works on UTF-8 code units, so that splitting
// is exact (a Swift `Character` would treat "\r\n" as one grapheme and compare by canonical equivalence) and so
// that no input can make an index fall outside its string.

extension UInt8 {
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let colon = UInt8(ascii: ":")
    static let semicolon = UInt8(ascii: ";")
    static let comma = UInt8(ascii: ",")
    static let slash = UInt8(ascii: "/")
    static let equals = UInt8(ascii: "=")
    static let tilde = UInt8(ascii: "~")
    static let carriageReturn = UInt8(ascii: "\r")
    static let lineFeed = UInt8(ascii: "\n")

    var isASCIIDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
    var isASCIILetter: Bool {
        (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "z")) || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z"))
    }
    var isHexDigit: Bool {
        isASCIIDigit || (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "f"))
            || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "F"))
    }
    /// The value of a hexadecimal digit, or nil.
    var hexValue: UInt8? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return self &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return self &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return self &- UInt8(ascii: "A") &+ 10
        default: return nil
        }
    }
}

extension Substring {
    /// Runs `body` on the UTF-8 bytes, contiguous in memory for every native Swift string; the slow copy is only
    /// for strings bridged from elsewhere.
    @inline(__always)
    func withUTF8Bytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = utf8.withContiguousStorageIfAvailable(body) { return result }
        let copy = Array(utf8)
        return copy.withUnsafeBufferPointer(body)
    }

    /// The substring from byte offset `lower` to `upper` (ASCII-delimited, so offsets fall on scalar boundaries).
    @inline(__always)
    func slice(_ lower: Int, _ upper: Int) -> Substring {
        let bytes = utf8
        let from = bytes.index(startIndex, offsetBy: lower)
        let to = bytes.index(from, offsetBy: upper - lower)
        return self[from..<to]
    }

    /// Splits on every occurrence of `separator` (an ASCII byte), keeping empty pieces.
    func splitKeepingEmpty(_ separator: UInt8) -> [Substring] {
        let offsets: [Int] = withUTF8Bytes { buffer in
            var found: [Int] = []
            for index in buffer.indices where buffer[index] == separator { found.append(index) }
            return found
        }
        var pieces: [Substring] = []
        pieces.reserveCapacity(offsets.count + 1)
        var start = 0
        for offset in offsets {
            pieces.append(slice(start, offset))
            start = offset + 1
        }
        pieces.append(slice(start, utf8.count))
        return pieces
    }

    /// Splits on runs of spaces and tabs, dropping empty pieces (RFC 8866 fields are separated by one space; this
    /// is lenient, and a line read leniently keeps its original text for the round trip).
    func fields() -> [Substring] {
        var bounds: [(Int, Int)] = []
        withUTF8Bytes { buffer in
            var start = -1
            for index in buffer.indices {
                let byte = buffer[index]
                if byte == .space || byte == .tab {
                    if start >= 0 {
                        bounds.append((start, index))
                        start = -1
                    }
                } else if start < 0 {
                    start = index
                }
            }
            if start >= 0 { bounds.append((start, buffer.count)) }
        }
        var pieces: [Substring] = []
        pieces.reserveCapacity(bounds.count)
        let bytes = utf8
        var lastOffset = 0
        var lastIndex = startIndex
        for (lower, upper) in bounds {
            let from = bytes.index(lastIndex, offsetBy: lower - lastOffset)
            let to = bytes.index(from, offsetBy: upper - lower)
            pieces.append(self[from..<to])
            lastOffset = upper
            lastIndex = to
        }
        return pieces
    }

    /// Splits once at the first `separator` byte: the part before it and the part after it, or nil if absent.
    func splitOnce(_ separator: UInt8) -> (head: Substring, tail: Substring)? {
        let offset: Int? = withUTF8Bytes { buffer in buffer.firstIndex(of: separator) }
        guard let offset else { return nil }
        let bytes = utf8
        let at = bytes.index(startIndex, offsetBy: offset)
        return (self[startIndex..<at], self[bytes.index(after: at)..<endIndex])
    }

    /// The text with leading and trailing spaces and tabs removed.
    func trimmingSpaces() -> Substring {
        let (lower, upper): (Int, Int) = withUTF8Bytes { buffer in
            var lower = 0
            var upper = buffer.count
            while lower < upper, buffer[lower] == .space || buffer[lower] == .tab { lower += 1 }
            while upper > lower, buffer[upper - 1] == .space || buffer[upper - 1] == .tab { upper -= 1 }
            return (lower, upper)
        }
        if lower == 0 && upper == utf8.count { return self }
        return slice(lower, upper)
    }

    /// True if every byte satisfies `predicate` and there is at least one byte.
    func allBytes(_ predicate: (UInt8) -> Bool) -> Bool {
        withUTF8Bytes { buffer in !buffer.isEmpty && buffer.allSatisfy(predicate) }
    }

    /// True if the text contains a CR, an LF or a NUL, which no SDP line may hold (RFC 8866 §9 `text`).
    var containsLineBreakOrNUL: Bool {
        withUTF8Bytes { $0.contains { $0 == .carriageReturn || $0 == .lineFeed || $0 == 0 } }
    }

    /// True if the text contains a space or tab.
    var containsWhitespace: Bool { withUTF8Bytes { $0.contains { $0 == .space || $0 == .tab } } }
}

extension StringProtocol {
    /// Byte-for-byte equality (String's `==` compares by Unicode canonical equivalence, which is not what a round
    /// trip means).
    func isByteEqual(to other: some StringProtocol) -> Bool {
        let fast: Bool? = utf8.withContiguousStorageIfAvailable { mine in
            other.utf8.withContiguousStorageIfAvailable { theirs in
                mine.elementsEqual(theirs)
            }
        } ?? nil
        return fast ?? utf8.elementsEqual(other.utf8)
    }
}

/// Parses an unsigned decimal number made only of ASCII digits: no sign, no spaces, no overflow (nil instead).
func parseDecimal<T: FixedWidthInteger & UnsignedInteger>(_ text: Substring, as type: T.Type = T.self) -> T? {
    text.withUTF8Bytes { buffer in
        guard !buffer.isEmpty else { return nil }
        var value: T = 0
        for byte in buffer {
            guard byte.isASCIIDigit else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(T(byte &- UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return value
    }
}

/// Parses a decimal number like ``parseDecimal(_:as:)`` and reports it as `SDPParseError.badNumber` otherwise.
func parseNumber<T: FixedWidthInteger & UnsignedInteger>(
    _ text: Substring, as type: T.Type = T.self, field: String, line: Int
) throws(SDPParseError) -> T {
    guard let value: T = parseDecimal(text) else {
        throw .badNumber(line: line, field: field, text: String(text))
    }
    return value
}

/// RFC 8866 §9 `token-char`: the characters allowed in an attribute name, a bandwidth type and similar tokens.
func isTokenChar(_ byte: UInt8) -> Bool {
    switch byte {
    case 0x21, 0x23...0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x30...0x39, 0x41...0x5A, 0x5E...0x7E: return true
    default: return false
    }
}

/// RFC 8839 §5.1 `ice-char`: ALPHA / DIGIT / "+" / "/".
func isICEChar(_ byte: UInt8) -> Bool {
    byte.isASCIILetter || byte.isASCIIDigit || byte == UInt8(ascii: "+") || byte == .slash
}

/// RFC 8851 §10 `rid-id`: 1*(alpha-numeric / "-" / "_").
func isRIDChar(_ byte: UInt8) -> Bool {
    byte.isASCIILetter || byte.isASCIIDigit || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
}
