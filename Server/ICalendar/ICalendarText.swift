import MIME

/// The content-line rules of RFC 5545 §3.1: TEXT escaping, parameter values, and folding at 75 octets.
public enum ICalendarText {
    /// TEXT value escaping (RFC 5545 §3.3.11): backslash, semicolon and comma get a backslash, line breaks become
    /// `\n`; other control characters are dropped (they are not allowed in TEXT).
    public static func escape(_ text: String) -> String {
        var output = ""
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            defer { previousWasCR = scalar == "\r" }
            switch scalar {
            case "\\": output += "\\\\"
            case ";": output += "\\;"
            case ",": output += "\\,"
            case "\r": output += "\\n"
            case "\n": if !previousWasCR { output += "\\n" }
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: continue
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output
    }

    /// A parameter value (RFC 5545 §3.2): DQUOTE and control characters removed (they cannot be represented),
    /// quoted when it has `:`, `;` or `,`.
    public static func parameterValue(_ value: String) -> String {
        let cleaned = String(String.UnicodeScalarView(value.unicodeScalars.filter {
            $0 != "\"" && $0.value >= 0x20 && $0.value != 0x7F
        }))
        if cleaned.contains(where: { $0 == ":" || $0 == ";" || $0 == "," }) { return "\"\(cleaned)\"" }
        return cleaned
    }

    /// One content line folded into physical lines of at most 75 octets (RFC 5545 §3.1), continuation lines
    /// starting with a space, never splitting a UTF-8 sequence; each physical line ends in CRLF.
    public static func fold(_ line: String) -> String {
        var output = ""
        var current: [UInt8] = []
        for scalar in line.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if current.count + bytes.count > 75 {
                output += String(decoding: current, as: UTF8.self) + "\r\n"
                current = [UInt8(ascii: " ")]
            }
            current += bytes
        }
        return output + String(decoding: current, as: UTF8.self) + "\r\n"
    }

    /// UTC DATE-TIME form (RFC 5545 §3.3.5, form #2): `20261123T222131Z`.
    public static func utcDateTime(unixSeconds: Int64) -> String {
        let time = CivilTime(unixSeconds: unixSeconds)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        return pad(time.year, 4) + pad(time.month, 2) + pad(time.day, 2) + "T" + pad(time.hour, 2)
            + pad(time.minute, 2) + pad(time.second, 2) + "Z"
    }
}
