import MIME
import Testing

@Suite("MIME encodings and headers (RFC 2045, 2047, 4648, 5322)")
struct MIMEEncodingTests {
    @Test("Base64: RFC 4648 §10 vectors")
    func base64Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=",
            "foobar": "Zm9vYmFy"]
        for (input, output) in vectors { #expect(Base64.encode(Array(input.utf8)) == output) }
        let lines = Base64.encodeLines(Array(repeating: 0xAB, count: 200)).split(separator: "\r\n")
        #expect(lines.allSatisfy { $0.count <= 76 })
        #expect(lines.first?.count == 76)
    }

    @Test("Quoted-printable: escapes, trailing space, soft breaks within 76, and decoding restores the text")
    func quotedPrintable() {
        #expect(QuotedPrintable.encode("a=b") == "a=3Db")
        #expect(QuotedPrintable.encode("Zoë") == "Zo=C3=AB")
        #expect(QuotedPrintable.encode("end \nnext\t") == "end=20\r\nnext=09")
        var random = SplitMix64(seed: 5)
        let pieces = ["a", " ", "\t", "=", "é", "€", "\n", "\r\n", "x", ".", "_", "📅"]
        for _ in 0..<500 {
            let text = (0..<Int(random.next() % 200)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }
                .joined()
            let encoded = QuotedPrintable.encode(text)
            for line in encoded.split(separator: "\r\n", omittingEmptySubsequences: false) {
                #expect(line.utf8.count <= 76)
                #expect(line.last != " " && line.last != "\t")
            }
            #expect(encoded.unicodeScalars.allSatisfy { $0.isASCII })
            #expect(!encoded.contains("=_"))
            let normalized = text.replacingOccurrences("\r\n", "\n").replacingOccurrences("\r", "\n")
            #expect(Self.decodeQP(encoded) == normalized.replacingOccurrences("\n", "\r\n"))
        }
    }

    @Test("Encoded words (RFC 2047): ASCII stays, others become ≤75-character UTF-8 B words split between characters")
    func encodedWords() {
        #expect(HeaderText.unstructured("Weekly sync") == "Weekly sync")
        #expect(HeaderText.unstructured("Café") == "=?UTF-8?B?Q2Fmw6k=?=")
        let long = String(repeating: "Einladung für Jürgen 📅 ", count: 8)
        let words = HeaderText.encodedWords(long).split(separator: " ")
        #expect(words.count > 1)
        var decoded: [UInt8] = []
        for word in words {
            #expect(word.count <= 75)
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
            let payload = Self.decodeBase64(String(word.dropFirst(10).dropLast(2)))
            #expect(String(validating: payload, as: UTF8.self) != nil, "a word split a UTF-8 sequence")
            decoded += payload
        }
        #expect(String(decoding: decoded, as: UTF8.self) == long)
    }

    @Test("Display names: atoms, quoted strings, encoded words; CR/LF never reach the header")
    func addresses() {
        #expect(MailAddress(name: "Ann Lee", address: "ann@x.org").headerValue == "Ann Lee <ann@x.org>")
        #expect(MailAddress(name: "Lee, Ann", address: "ann@x.org").headerValue == "\"Lee, Ann\" <ann@x.org>")
        #expect(MailAddress(name: "A \"B\"", address: "a@x.org").headerValue == "\"A \\\"B\\\"\" <a@x.org>")
        #expect(MailAddress(name: "Zoë", address: "z@x.org").headerValue == "=?UTF-8?B?Wm/Dqw==?= <z@x.org>")
        #expect(MailAddress(address: "a@x.org").headerValue == "a@x.org")
        let field = HeaderText.field("Subject", HeaderText.unstructured("hi\r\nBcc: evil@x.org"))
        #expect(field == "Subject: hi  Bcc: evil@x.org\r\n")
    }

    @Test("Header folding keeps lines within 78 where there are spaces")
    func folding() {
        let value = (0..<30).map { "word\($0)" }.joined(separator: " ")
        let field = HeaderText.field("Subject", value)
        let lines = field.split(separator: "\r\n")
        #expect(lines.count > 1)
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix(" ") })
        #expect(lines.joined() == "Subject: " + value)
    }

    @Test("RFC 5322 dates in UTC")
    func dates() {
        #expect(RFC5322Date.format(unixSeconds: 0) == "Thu, 1 Jan 1970 00:00:00 +0000")
        #expect(RFC5322Date.format(unixSeconds: 1_795_000_000) == "Wed, 18 Nov 2026 11:06:40 +0000")
        #expect(RFC5322Date.format(unixSeconds: 951_782_400) == "Tue, 29 Feb 2000 00:00:00 +0000")
    }

    @Test("A rendered message: 7-bit, CRLF only, MIME structure with boundaries")
    func message() {
        var generator = SplitMix64(seed: 1)
        let message = MailMessage(from: MailAddress(name: "Meeting", address: "m@example.org"),
            to: [MailAddress(name: "Zoë", address: "z@example.net")], subject: "Ihr Code: 123456 – gültig",
            date: 0, messageID: "abc@example.org", extraHeaders: [("Auto-Submitted", "auto-generated")],
            body: .mixed([.alternative([.plainText("Code 123456"), .html("<b>123456</b>")]),
                .attachment([0, 1, 2], type: "application/octet-stream", filename: "données.bin")]))
        let bytes = message.render(boundaries: &generator)
        #expect(bytes.allSatisfy { $0 < 0x80 })
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.replacingOccurrences("\r\n", "").contains("\n"))
        #expect(text.hasPrefix("From: Meeting <m@example.org>\r\nDate: Thu, 1 Jan 1970 00:00:00 +0000\r\n"))
        #expect(text.contains("Message-ID: <abc@example.org>\r\n"))
        #expect(text.contains("Auto-Submitted: auto-generated\r\n"))
        #expect(text.contains("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_"))
        #expect(text.contains("filename*=UTF-8''donn%C3%A9es.bin"))
        #expect(text.contains("Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable"))
    }

    static func decodeQP(_ text: String) -> String {
        var bytes: [UInt8] = []
        let input = Array(text.utf8)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "="), index + 2 < input.count + 0 {
                if input[index + 1] == 13 { index += 3; continue }
                let hex = String(decoding: input[(index + 1)...(index + 2)], as: UTF8.self)
                bytes.append(UInt8(hex, radix: 16) ?? 0)
                index += 3
            } else {
                bytes.append(input[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func decodeBase64(_ text: String) -> [UInt8] {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var bits: UInt32 = 0, count = 0
        var output: [UInt8] = []
        for byte in text.utf8 where byte != UInt8(ascii: "=") {
            guard let value = alphabet.firstIndex(of: byte) else { continue }
            bits = bits << 6 | UInt32(value)
            count += 6
            if count >= 8 {
                count -= 8
                output.append(UInt8(truncatingIfNeeded: bits >> UInt32(count)))
            }
        }
        return output
    }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

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
