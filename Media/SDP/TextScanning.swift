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
    /// Splits on every occurrence of `separator` (an ASCII byte), keeping empty pieces.
    func splitKeepingEmpty(_ separator: UInt8) -> [Substring] {
        var pieces: [Substring] = []
        var start = startIndex
        var index = startIndex
        let bytes = utf8
        while index != endIndex {
            if bytes[index] == separator {
                pieces.append(self[start..<index])
                start = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        pieces.append(self[start..<endIndex])
        return pieces
    }

    /// Splits on runs of spaces and tabs, dropping empty pieces (RFC 8866 fields are separated by one space; this
    /// is lenient, and a line read leniently keeps its original text for the round trip).
    func fields() -> [Substring] {
        var pieces: [Substring] = []
        var start: Index? = nil
        var index = startIndex
        let bytes = utf8
        while index != endIndex {
            let byte = bytes[index]
            if byte == .space || byte == .tab {
                if let begin = start {
                    pieces.append(self[begin..<index])
                    start = nil
                }
            } else if start == nil {
                start = index
            }
            index = bytes.index(after: index)
        }
        if let begin = start { pieces.append(self[begin..<endIndex]) }
        return pieces
    }

    /// Splits once at the first `separator` byte: the part before it and the part after it, or nil if absent.
    func splitOnce(_ separator: UInt8) -> (head: Substring, tail: Substring)? {
        let bytes = utf8
        var index = startIndex
        while index != endIndex {
            if bytes[index] == separator {
                return (self[startIndex..<index], self[bytes.index(after: index)..<endIndex])
            }
            index = bytes.index(after: index)
        }
        return nil
    }

    /// The text with leading and trailing spaces and tabs removed.
    func trimmingSpaces() -> Substring {
        let bytes = utf8
        var lower = startIndex
        var upper = endIndex
        while lower != upper, bytes[lower] == .space || bytes[lower] == .tab { lower = bytes.index(after: lower) }
        while lower != upper {
            let before = bytes.index(before: upper)
            guard bytes[before] == .space || bytes[before] == .tab else { break }
            upper = before
        }
        return self[lower..<upper]
    }

    /// True if every byte satisfies `predicate` and there is at least one byte.
    func allBytes(_ predicate: (UInt8) -> Bool) -> Bool {
        !isEmpty && utf8.allSatisfy(predicate)
    }

    /// True if the text contains a space or tab.
    var containsWhitespace: Bool { utf8.contains { $0 == .space || $0 == .tab } }
}

extension StringProtocol {
    /// Byte-for-byte equality (String's `==` compares by Unicode canonical equivalence, which is not what a round
    /// trip means).
    func isByteEqual(to other: some StringProtocol) -> Bool {
        utf8.elementsEqual(other.utf8)
    }
}

/// Parses an unsigned decimal number made only of ASCII digits: no sign, no spaces, no overflow (nil instead).
func parseDecimal<T: FixedWidthInteger & UnsignedInteger>(_ text: Substring, as type: T.Type = T.self) -> T? {
    guard !text.isEmpty else { return nil }
    var value: T = 0
    for byte in text.utf8 {
        guard byte.isASCIIDigit else { return nil }
        let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
        let (sum, overflow2) = shifted.addingReportingOverflow(T(byte &- UInt8(ascii: "0")))
        if overflow1 || overflow2 { return nil }
        value = sum
    }
    return value
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
