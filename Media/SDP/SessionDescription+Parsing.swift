extension SessionDescription {
    /// Parses a session description.
    ///
    /// Accepts CRLF (RFC 8866 §5) and bare-LF line endings and remembers which the first line used. Empty lines are
    /// skipped. Lines may come in any order within the session part and within a media section; singletons
    /// (`o= s= i= u= c= z= k=` at session level, `i= k=` in a media section) may appear once.
    ///
    /// - Parameter text: the SDP text, e.g. `RTCSessionDescription.sdp`.
    /// - Returns: the model; ``serialize()`` of it reproduces `text` byte for byte when `text` is in the order
    ///   RFC 8866 §5 fixes and uses one line ending throughout (true of every WebRTC stack's output).
    /// - Throws: ``SDPParseError`` with the line number and what was wrong. Never traps, whatever the input.
    public static func parse(_ text: String) throws(SDPParseError) -> SessionDescription {
        var parser = DescriptionParser()
        let whole = Substring(text)
        let lines = whole.withUTF8Bytes(Self.lineBounds)
        let bytes = whole.utf8
        var index = bytes.startIndex
        var offset = 0
        var lineNumber = 1
        for line in lines {
            // The only CR a line may hold is the one right before its LF; NUL never (RFC 8866 §5 `text`).
            guard line.isValid else { throw .invalidCharacter(line: lineNumber) }
            let lineStart = bytes.index(index, offsetBy: line.start - offset)
            let lineEnd = bytes.index(lineStart, offsetBy: line.end - line.start)
            try parser.consume(whole[lineStart..<lineEnd], line: lineNumber, ending: line.ending)
            index = lineEnd
            offset = line.end
            lineNumber += 1
        }
        return try parser.finish(nextLine: lineNumber)
    }
}

/// Where one line lies in the text, in byte offsets without its line ending.
private struct LineBounds {
    var start: Int
    var end: Int
    /// The line ending that followed, nil for a last line without one.
    var ending: LineEnding?
    /// False if the line holds a NUL or a CR that is not part of its CRLF.
    var isValid: Bool
}

extension SessionDescription {
    /// Finds the lines of `buffer` in one pass.
    fileprivate static func lineBounds(_ buffer: UnsafeBufferPointer<UInt8>) -> [LineBounds] {
        var lines: [LineBounds] = []
        lines.reserveCapacity(buffer.count / 32 + 1)
        var start = 0
        var index = 0
        var isValid = true
        while index < buffer.count {
            let byte = buffer[index]
            if byte == .lineFeed {
                let endedWithCR = index > start && buffer[index - 1] == .carriageReturn
                lines.append(
                    LineBounds(
                        start: start, end: endedWithCR ? index - 1 : index, ending: endedWithCR ? .crlf : .lf,
                        isValid: isValid))
                start = index + 1
                isValid = true
            } else if byte == 0 || (byte == .carriageReturn && (index + 1 >= buffer.count || buffer[index + 1] != .lineFeed)) {
                isValid = false
            }
            index += 1
        }
        if start < buffer.count {
            lines.append(LineBounds(start: start, end: buffer.count, ending: nil, isValid: isValid))
        }
        return lines
    }
}

/// The line-by-line state of ``SessionDescription/parse(_:)``.
private struct DescriptionParser {
    var sawVersion = false
    var origin: Origin?
    var sessionName: String?
    var information: String?
    var uri: String?
    var emails: [String] = []
    var phones: [String] = []
    var connection: ConnectionData?
    var bandwidths: [Bandwidth] = []
    var timings: [Timing] = []
    var timeZones: String?
    var encryptionKey: String?
    var attributes = AttributeList()
    var media: [MediaDescription] = []
    var lineEnding: LineEnding?
    var endsWithLineEnding = true
    /// Reused for canonical-form comparisons of `a=` lines.
    var scratch = ""

    mutating func consume(_ line: Substring, line number: Int, ending: LineEnding?) throws(SDPParseError) {
        if line.isEmpty { return }
        if lineEnding == nil { lineEnding = ending ?? .crlf }
        endsWithLineEnding = ending != nil
        let bytes = line.utf8
        guard bytes.count >= 2, let type = bytes.first, type >= UInt8(ascii: "a"), type <= UInt8(ascii: "z"),
            bytes.dropFirst().first == .equals
        else {
            if !sawVersion { throw .missingVersion(line: number) }
            throw .malformedLine(line: number, text: String(line))
        }
        let value = line.dropFirst(2)
        if !sawVersion {
            guard type == UInt8(ascii: "v") else { throw .missingVersion(line: number) }
            guard value == "0" else { throw .unsupportedVersion(line: number, found: String(value)) }
            sawVersion = true
            return
        }
        if media.isEmpty {
            try consumeSessionLine(type: type, value: value, line: number)
        } else {
            try consumeMediaLine(type: type, value: value, line: number)
        }
    }

    private mutating func consumeSessionLine(type: UInt8, value: Substring, line: Int) throws(SDPParseError) {
        switch type {
        case UInt8(ascii: "a"):
            attributes.lines.append(try AttributeLine(parsing: value, line: line, scratch: &scratch))
        case UInt8(ascii: "o"):
            guard origin == nil else { throw duplicate("o", line) }
            origin = try Origin.parse(value, line: line)
        case UInt8(ascii: "s"):
            guard sessionName == nil else { throw duplicate("s", line) }
            sessionName = String(value)
        case UInt8(ascii: "i"):
            guard information == nil else { throw duplicate("i", line) }
            information = String(value)
        case UInt8(ascii: "u"):
            guard uri == nil else { throw duplicate("u", line) }
            uri = String(value)
        case UInt8(ascii: "e"):
            emails.append(String(value))
        case UInt8(ascii: "p"):
            phones.append(String(value))
        case UInt8(ascii: "c"):
            guard connection == nil else { throw duplicate("c", line) }
            connection = try ConnectionData.parse(value, line: line)
        case UInt8(ascii: "b"):
            bandwidths.append(try Bandwidth.parse(value, line: line))
        case UInt8(ascii: "t"):
            timings.append(try Timing.parse(value, line: line))
        case UInt8(ascii: "r"):
            guard !timings.isEmpty else {
                throw .unexpectedLine(line: line, type: "r", reason: "a repeat time must follow a t= line")
            }
            timings[timings.count - 1].repeats.append(String(value))
        case UInt8(ascii: "z"):
            guard timeZones == nil else { throw duplicate("z", line) }
            timeZones = String(value)
        case UInt8(ascii: "k"):
            guard encryptionKey == nil else { throw duplicate("k", line) }
            encryptionKey = String(value)
        case UInt8(ascii: "m"):
            try checkSessionComplete(line: line)
            media.append(try MediaDescription.parseMediaLine(value, line: line))
        case UInt8(ascii: "v"):
            throw duplicate("v", line)
        default:
            throw .unknownLineType(line: line, type: String(decoding: [type], as: UTF8.self))
        }
    }

    private mutating func consumeMediaLine(type: UInt8, value: Substring, line: Int) throws(SDPParseError) {
        let last = media.count - 1
        guard last >= 0 else { return }
        switch type {
        case UInt8(ascii: "a"):
            media[last].attributes.lines.append(try AttributeLine(parsing: value, line: line, scratch: &scratch))
        case UInt8(ascii: "m"):
            media.append(try MediaDescription.parseMediaLine(value, line: line))
        case UInt8(ascii: "c"):
            media[last].connections.append(try ConnectionData.parse(value, line: line))
        case UInt8(ascii: "b"):
            media[last].bandwidths.append(try Bandwidth.parse(value, line: line))
        case UInt8(ascii: "i"):
            guard media[last].title == nil else { throw duplicate("i", line) }
            media[last].title = String(value)
        case UInt8(ascii: "k"):
            guard media[last].encryptionKey == nil else { throw duplicate("k", line) }
            media[last].encryptionKey = String(value)
        case UInt8(ascii: "v"), UInt8(ascii: "o"), UInt8(ascii: "s"), UInt8(ascii: "u"), UInt8(ascii: "e"),
            UInt8(ascii: "p"), UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "z"):
            let name = String(decoding: [type], as: UTF8.self)
            throw .unexpectedLine(line: line, type: name, reason: "only allowed at session level, before the first m=")
        default:
            throw .unknownLineType(line: line, type: String(decoding: [type], as: UTF8.self))
        }
    }

    private func duplicate(_ type: String, _ line: Int) -> SDPParseError {
        .unexpectedLine(line: line, type: type, reason: "may appear only once here")
    }

    private func checkSessionComplete(line: Int) throws(SDPParseError) {
        if origin == nil { throw .missingLine(line: line, type: "o") }
        if sessionName == nil { throw .missingLine(line: line, type: "s") }
        if timings.isEmpty { throw .missingLine(line: line, type: "t") }
    }

    mutating func finish(nextLine: Int) throws(SDPParseError) -> SessionDescription {
        guard sawVersion else { throw .empty }
        if media.isEmpty { try checkSessionComplete(line: nextLine) }
        guard let origin, let sessionName else { throw .missingLine(line: nextLine, type: "o") }
        return SessionDescription(
            origin: origin, sessionName: sessionName, information: information, uri: uri, emails: emails,
            phones: phones, connection: connection, bandwidths: bandwidths, timings: timings, timeZones: timeZones,
            encryptionKey: encryptionKey, attributes: attributes, media: media, lineEnding: lineEnding ?? .crlf,
            endsWithLineEnding: endsWithLineEnding)
    }
}
