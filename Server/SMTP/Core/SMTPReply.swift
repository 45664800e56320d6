/// One SMTP reply (RFC 5321 §4.2): a three-digit code and one or more text lines.
///
/// A multi-line reply repeats the code on every line with a hyphen after all but the last
/// (`250-first`, `250-second`, `250 last`); ``lines`` holds the text after the separator of each line.
public struct SMTPReply: Sendable, Hashable, CustomStringConvertible {
    /// The reply code, 200–599 in practice (RFC 5321 §4.2.1 allows 2yz–5yz; 1yz is never used).
    public var code: Int
    /// The text of each line, without code, separator or CRLF. A bare `250` line has empty text.
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// 2yz: the command was accepted (RFC 5321 §4.2.1).
    public var isPositiveCompletion: Bool { (200..<300).contains(code) }
    /// 3yz: the server waits for more (354 after DATA, 334 during AUTH).
    public var isPositiveIntermediate: Bool { (300..<400).contains(code) }
    /// 4yz: a transient failure; the same command may succeed later (RFC 5321 §4.2.1).
    public var isTransientNegative: Bool { (400..<500).contains(code) }
    /// 5yz: a permanent failure; repeating the command as it is will fail again.
    public var isPermanentNegative: Bool { (500..<600).contains(code) }

    /// The lines joined by a space, for error messages and logs.
    public var text: String { lines.joined(separator: " ") }

    public var description: String { "\(code) \(text)" }
}

/// Why bytes from the server are not a well-formed reply. Every case keeps the offending line, so nothing is lost.
public enum SMTPReplyParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The line does not start with three digits 2–5, 0–5, 0–9.
    case badCode(line: String)
    /// After the code comes neither a space, a hyphen nor the end of the line.
    case badSeparator(line: String)
    /// A continuation line's code differs from the first line's (RFC 5321 §4.2.1: all lines carry the same code).
    case codeChangedWithinReply(first: Int, line: String)
    /// A line longer than the parser's limit (RFC 5321 §4.5.3.1.5 allows 512 octets; we accept more, not unbounded).
    case lineTooLong(limit: Int)
    /// More continuation lines than the parser's limit.
    case tooManyLines(limit: Int)

    public var description: String {
        switch self {
        case .badCode(let line): "reply line does not start with a 3-digit code: \(line.debugDescription)"
        case .badSeparator(let line): "reply code not followed by space or hyphen: \(line.debugDescription)"
        case .codeChangedWithinReply(let first, let line):
            "multi-line reply started with \(first) but continues with \(line.debugDescription)"
        case .lineTooLong(let limit): "reply line longer than \(limit) octets"
        case .tooManyLines(let limit): "multi-line reply with more than \(limit) lines"
        }
    }
}

/// An incremental parser of server replies: bytes in as they arrive, whole replies out.
///
/// Lines end in CRLF; a bare LF is accepted too (robustness, RFC 5321 §4.1.1.4 notes servers that do it).
/// Bounds: ``maximumLineLength`` per line and ``maximumLines`` per reply, so a hostile server cannot make the
/// client buffer without limit. Non-UTF-8 text is decoded with replacement characters rather than refused.
public struct SMTPReplyParser: Sendable {
    /// The longest line accepted, in octets, CRLF excluded.
    public let maximumLineLength: Int
    /// The most lines one reply may have.
    public let maximumLines: Int

    private var buffer: [UInt8] = []
    private var pendingCode: Int?
    private var pendingLines: [String] = []
    private var failed: SMTPReplyParseError?

    public init(maximumLineLength: Int = 4096, maximumLines: Int = 256) {
        self.maximumLineLength = maximumLineLength
        self.maximumLines = maximumLines
    }

    /// Whether bytes of an unfinished reply are buffered (a server that closes now closed mid-reply).
    public var hasPartialReply: Bool { !buffer.isEmpty || pendingCode != nil }

    /// Appends received bytes.
    public mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete reply, or `nil` when more bytes are needed. After an error the parser stays failed:
    /// the stream can no longer be framed.
    public mutating func nextReply() throws(SMTPReplyParseError) -> SMTPReply? {
        if let failed { throw failed }
        do {
            return try parseNext()
        } catch {
            failed = error
            throw error
        }
    }

    private mutating func parseNext() throws(SMTPReplyParseError) -> SMTPReply? {
        var consumed = 0
        defer { if consumed > 0 { buffer.removeFirst(consumed) } }
        while true {
            let rest = buffer[consumed...]
            guard let newline = rest.firstIndex(of: UInt8(ascii: "\n")) else {
                if rest.count > maximumLineLength + 1 { throw .lineTooLong(limit: maximumLineLength) }
                return nil
            }
            var end = newline
            if end > consumed, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let lineBytes = buffer[consumed..<end]
            consumed = newline + 1
            guard lineBytes.count <= maximumLineLength else { throw .lineTooLong(limit: maximumLineLength) }
            let line = String(decoding: lineBytes, as: UTF8.self)
            let (code, isLast, text) = try Self.split(line: lineBytes, text: line)
            if let pending = pendingCode, pending != code {
                throw .codeChangedWithinReply(first: pending, line: line)
            }
            pendingCode = code
            pendingLines.append(text)
            if isLast {
                let reply = SMTPReply(code: code, lines: pendingLines)
                pendingCode = nil
                pendingLines = []
                return reply
            }
            guard pendingLines.count < maximumLines else { throw .tooManyLines(limit: maximumLines) }
        }
    }

    private static func split(line bytes: ArraySlice<UInt8>, text line: String)
        throws(SMTPReplyParseError) -> (code: Int, isLast: Bool, text: String)
    {
        guard bytes.count >= 3 else { throw .badCode(line: line) }
        let start = bytes.startIndex
        let d0 = bytes[start], d1 = bytes[start + 1], d2 = bytes[start + 2]
        guard (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(d0),
            (UInt8(ascii: "0")...UInt8(ascii: "5")).contains(d1),
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(d2)
        else { throw .badCode(line: line) }
        let code = Int(d0 - 48) * 100 + Int(d1 - 48) * 10 + Int(d2 - 48)
        if bytes.count == 3 { return (code, true, "") }
        let separator = bytes[start + 3]
        guard separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-") else {
            throw .badSeparator(line: line)
        }
        let text = String(decoding: bytes[(start + 4)...], as: UTF8.self)
        return (code, separator == UInt8(ascii: " "), text)
    }
}
