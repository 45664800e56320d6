/// Quoted-printable (RFC 2045 §6.7): readable 7-bit text with `=XX` escapes and soft line breaks.
public enum QuotedPrintable {
    private static let hex = Array("0123456789ABCDEF".utf8)

    /// Encodes UTF-8 text. Line breaks (LF, CR or CRLF) become CRLF hard breaks; lines are wrapped with `=` soft
    /// breaks at 76 characters (rule 5); trailing spaces and tabs are escaped (rule 3); `=` and every octet outside
    /// printable ASCII are escaped (rules 1, 2). Output never contains `=_`, so boundaries starting with it are safe.
    public static func encode(_ text: String) -> String {
        var output: [UInt8] = []
        var lineLength = 0
        let bytes = Array(text.utf8)
        var index = 0

        func emit(_ token: [UInt8]) {
            if lineLength + token.count > 75 {
                output += [UInt8(ascii: "="), 13, 10]
                lineLength = 0
            }
            output += token
            lineLength += token.count
        }

        while index < bytes.count {
            let byte = bytes[index]
            if byte == 13 || byte == 10 {
                output += [13, 10]
                lineLength = 0
                if byte == 13, index + 1 < bytes.count, bytes[index + 1] == 10 { index += 1 }
                index += 1
                continue
            }
            let next = index + 1 < bytes.count ? bytes[index + 1] : 10
            let atLineEnd = next == 13 || next == 10
            let literal = (byte == 9 || byte == 32) ? !atLineEnd : (33...126).contains(byte) && byte != 61
            if literal {
                emit([byte])
            } else {
                emit([UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            }
            index += 1
        }
        return String(decoding: output, as: UTF8.self)
    }
}
