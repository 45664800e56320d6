/// The DATA section on the wire (RFC 5321 §4.1.1.4, §4.5.2): line ends normalized to CRLF, a period added in
/// front of every line that starts with one ("dot-stuffing"), then the terminating `CRLF . CRLF`.
public enum SMTPDataEncoding {
    /// `message` with every bare LF, bare CR and CRLF turned into CRLF, ending in CRLF. The SIZE (RFC 1870) of the
    /// message is this normalized length.
    public static func normalizeLineEndings(_ message: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(message.count + message.count / 32 + 2)
        var index = 0
        while index < message.count {
            let byte = message[index]
            if byte == UInt8(ascii: "\r") {
                output.append(13)
                output.append(10)
                if index + 1 < message.count, message[index + 1] == UInt8(ascii: "\n") { index += 1 }
            } else if byte == UInt8(ascii: "\n") {
                output.append(13)
                output.append(10)
            } else {
                output.append(byte)
            }
            index += 1
        }
        if output.count < 2 || output[output.count - 2] != 13 || output[output.count - 1] != 10 {
            output.append(13)
            output.append(10)
        }
        return output
    }

    /// The bytes to send after the 354 reply: the normalized message, dot-stuffed, then `.` CRLF.
    public static func encode(_ message: [UInt8]) -> [UInt8] {
        let normalized = normalizeLineEndings(message)
        var output: [UInt8] = []
        output.reserveCapacity(normalized.count + normalized.count / 64 + 8)
        var atLineStart = true
        for byte in normalized {
            if atLineStart && byte == UInt8(ascii: ".") { output.append(UInt8(ascii: ".")) }
            output.append(byte)
            atLineStart = byte == 10
        }
        output.append(contentsOf: [UInt8(ascii: "."), 13, 10])
        return output
    }

    /// The reverse of ``encode(_:)`` as a receiving server applies it (RFC 5321 §4.5.2): undoes dot-stuffing and
    /// stops at the terminating line. `nil` when the terminator is missing. Used by tests and the fuzzer.
    public static func decode(_ data: [UInt8]) -> [UInt8]? {
        var output: [UInt8] = []
        var lineStart = 0
        while lineStart < data.count {
            var lineEnd = lineStart
            while lineEnd + 1 < data.count, !(data[lineEnd] == 13 && data[lineEnd + 1] == 10) { lineEnd += 1 }
            guard lineEnd + 1 < data.count else { return nil }
            let line = data[lineStart..<lineEnd]
            if line.count == 1, line.first == UInt8(ascii: ".") { return output }
            let content = line.first == UInt8(ascii: ".") ? line.dropFirst() : line
            output.append(contentsOf: content)
            output.append(contentsOf: [13, 10])
            lineStart = lineEnd + 2
        }
        return nil
    }
}
