import SMTP
import Testing

@Suite("SMTP reply parser (RFC 5321 §4.2)")
struct SMTPReplyParserTests {
    static func parseAll(_ text: String) throws -> [SMTPReply] {
        var parser = SMTPReplyParser()
        parser.append(Array(text.utf8))
        var replies: [SMTPReply] = []
        while let reply = try parser.nextReply() { replies.append(reply) }
        return replies
    }

    @Test("Single-line, multi-line, bare code, bare LF")
    func wellFormed() throws {
        let replies = try Self.parseAll(
            "220 mx.example.org ESMTP\r\n250-mx.example.org\r\n250-SIZE 1000\r\n250 STARTTLS\r\n354\r\n221 bye\n")
        #expect(replies == [
            SMTPReply(code: 220, lines: ["mx.example.org ESMTP"]),
            SMTPReply(code: 250, lines: ["mx.example.org", "SIZE 1000", "STARTTLS"]),
            SMTPReply(code: 354, lines: [""]),
            SMTPReply(code: 221, lines: ["bye"]),
        ])
    }

    @Test("A reply split anywhere is the same reply")
    func splitAnywhere() throws {
        let text = Array("250-first\r\n250-second line\r\n250 last\r\n".utf8)
        for cut in 0...text.count {
            var parser = SMTPReplyParser()
            parser.append(text[..<cut])
            var replies: [SMTPReply] = []
            while let reply = try parser.nextReply() { replies.append(reply) }
            parser.append(text[cut...])
            while let reply = try parser.nextReply() { replies.append(reply) }
            #expect(replies == [SMTPReply(code: 250, lines: ["first", "second line", "last"])])
            #expect(!parser.hasPartialReply)
        }
    }

    @Test("Malformed lines are typed errors that keep the line", arguments: [
        ("hello\r\n", SMTPReplyParseError.badCode(line: "hello")),
        ("25\r\n", .badCode(line: "25")),
        ("650 no\r\n", .badCode(line: "650 no")),
        ("2a0 no\r\n", .badCode(line: "2a0 no")),
        ("250xno\r\n", .badSeparator(line: "250xno")),
        ("250-a\r\n251 b\r\n", .codeChangedWithinReply(first: 250, line: "251 b")),
    ])
    func malformed(text: String, expected: SMTPReplyParseError) {
        #expect(throws: expected) { try Self.parseAll(text) }
    }

    @Test("Bounds: a long line and endless continuation lines are refused, not buffered forever")
    func bounds() throws {
        var parser = SMTPReplyParser(maximumLineLength: 100, maximumLines: 5)
        parser.append(Array(repeating: UInt8(ascii: "2"), count: 500))
        #expect(throws: SMTPReplyParseError.lineTooLong(limit: 100)) { try parser.nextReply() }
        // Once failed, it stays failed.
        parser.append(Array("250 ok\r\n".utf8))
        #expect(throws: SMTPReplyParseError.lineTooLong(limit: 100)) { try parser.nextReply() }

        var lines = SMTPReplyParser(maximumLineLength: 100, maximumLines: 5)
        lines.append(Array(String(repeating: "250-x\r\n", count: 10).utf8))
        #expect(throws: SMTPReplyParseError.tooManyLines(limit: 5)) { try lines.nextReply() }
    }

    @Test("Property: random replies serialized and fed in random chunks parse back identically")
    func roundTrip() throws {
        var random = SplitMix64(seed: 0x5317_9A)
        for _ in 0..<500 {
            var expected: [SMTPReply] = []
            var wire: [UInt8] = []
            for _ in 0..<(1 + random.next() % 4) {
                let code = 200 + Int(random.next() % 400)
                let validCode = (code / 100) * 100 + Int((code / 10) % 10 % 6) * 10 + code % 10
                let count = 1 + Int(random.next() % 4)
                let lines = (0..<count).map { _ in
                    String((0..<Int(random.next() % 20)).map { _ in
                        Character(UnicodeScalar(UInt8(32 + random.next() % 95)))
                    })
                }
                expected.append(SMTPReply(code: validCode, lines: lines))
                for (index, line) in lines.enumerated() {
                    wire += Array("\(validCode)\(index == count - 1 ? " " : "-")\(line)\r\n".utf8)
                }
            }
            var parser = SMTPReplyParser()
            var parsed: [SMTPReply] = []
            var offset = 0
            while offset < wire.count {
                let end = min(wire.count, offset + 1 + Int(random.next() % 16))
                parser.append(wire[offset..<end])
                while let reply = try parser.nextReply() { parsed.append(reply) }
                offset = end
            }
            #expect(parsed == expected)
        }
    }

    @Test("Property: arbitrary bytes never trap; each call returns a reply, nil or a typed error")
    func arbitraryBytes() {
        var random = SplitMix64(seed: 77)
        let alphabet = Array("0123456789 -\r\nab25".utf8) + [0, 0xFF, 0xC3]
        for _ in 0..<2000 {
            var parser = SMTPReplyParser(maximumLineLength: 64, maximumLines: 8)
            let bytes = (0..<Int(random.next() % 200)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            parser.append(bytes)
            for _ in 0..<100 {
                do {
                    guard let reply = try parser.nextReply() else { break }
                    #expect((200..<600).contains(reply.code))
                    #expect(!reply.lines.isEmpty && reply.lines.count <= 8)
                } catch {
                    break
                }
            }
        }
    }
}

/// A small deterministic generator (SplitMix64) so property tests replay exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
