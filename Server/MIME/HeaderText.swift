/// Header field text (RFC 5322 §2.2, §3.2): phrases, unstructured text with RFC 2047 encoded words, folding.
public enum HeaderText {
    /// Longest line we produce, per RFC 5322 §2.1.1's "SHOULD be no more than 78 characters".
    public static let preferredLineLength = 78

    /// CR and LF turned into spaces: a header value must never start a new header (injection).
    public static func stripLineBreaks(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map {
            $0 == "\r" || $0 == "\n" ? " " : $0
        }))
    }

    /// Whether every scalar is printable ASCII or space/tab.
    static func isPrintableASCII(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.value == 9 || (0x20...0x7E).contains($0.value) }
    }

    /// A display name as a phrase: an atom sequence when it can be, a quoted string when it has specials,
    /// encoded words when it is not ASCII (RFC 2047 §5 (3)).
    public static func phrase(_ name: String) -> String {
        guard isPrintableASCII(name) else { return encodedWords(name) }
        let atext = Set("!#$%&'*+-/=?^_`{|}~ ".unicodeScalars)
        let plain = name.unicodeScalars.allSatisfy {
            ($0.properties.isAlphabetic && $0.isASCII) || ("0"..."9").contains($0) || atext.contains($0)
        }
        if plain && !name.hasPrefix(" ") && !name.hasSuffix(" ") && !name.contains("  ") && !name.hasPrefix("=?")
        {
            return name
        }
        var quoted = "\""
        for scalar in name.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { quoted.append("\\") }
            quoted.unicodeScalars.append(scalar)
        }
        return quoted + "\""
    }

    /// Unstructured text (Subject): as is when printable ASCII, else RFC 2047 encoded words.
    public static func unstructured(_ text: String) -> String {
        let text = stripLineBreaks(text)
        if isPrintableASCII(text) && !text.contains("=?") { return text }
        return encodedWords(text)
    }

    /// RFC 2047 "B" encoded words in UTF-8, each at most 75 characters (§2), split between characters so no word
    /// holds part of a UTF-8 sequence (§5), separated by spaces so folding may break between them.
    public static func encodedWords(_ text: String) -> String {
        // "=?UTF-8?B?" + "?=" is 12 characters; 63 base64 characters carry 45 octets (rounded down to 60 → 45).
        let maximumOctets = 45
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if !chunk.isEmpty && chunk.count + bytes.count > maximumOctets {
                words.append("=?UTF-8?B?" + Base64.encode(chunk) + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?" + Base64.encode(chunk) + "?=") }
        return words.joined(separator: " ")
    }

    /// `Name: value` folded at spaces (RFC 5322 §2.2.3) so lines stay within 78 characters where the value
    /// allows it, each line ending in CRLF.
    public static func field(_ name: String, _ value: String) -> String {
        let value = stripLineBreaks(value)
        var output = ""
        var line = name + ":"
        for (index, word) in value.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            let piece = index == 0 ? " " + word : " " + word
            if line.utf8.count + piece.utf8.count > preferredLineLength && line.utf8.count > name.utf8.count + 1
                && !word.isEmpty
            {
                output += line + "\r\n"
                line = piece
            } else {
                line += piece
            }
        }
        return output + line + "\r\n"
    }
}
