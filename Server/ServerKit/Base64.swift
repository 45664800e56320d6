/// Base64 (RFC 4648 §4, with padding: TURN REST passwords) and base64url (§5, without padding: JWT segments,
/// RFC 7515 §2). Decoding is strict and never traps: any character outside the alphabet, a bad length or
/// non-zero trailing bits gives `nil`.
public enum Base64 {
    private static let standardAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Standard base64 with `=` padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        encode(bytes, alphabet: standardAlphabet, pad: true)
    }

    /// base64url without padding (RFC 7515 §2 "Base64url Encoding").
    public static func encodeURL(_ bytes: [UInt8]) -> String {
        encode(bytes, alphabet: urlAlphabet, pad: false)
    }

    /// Decodes standard base64 (padding required when the length is not a multiple of 4 is *not* enforced:
    /// both padded and unpadded forms are accepted).
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        decode(text, url: false)
    }

    /// Decodes base64url without padding, as JWT segments are written.
    public static func decodeURL(_ text: some StringProtocol) -> [UInt8]? {
        decode(text, url: true)
    }

    private static func encode(_ bytes: [UInt8], alphabet: [UInt8], pad: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            if index + 1 < bytes.count {
                out.append(alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)])
            } else if pad {
                out.append(UInt8(ascii: "="))
            }
            if index + 2 < bytes.count {
                out.append(alphabet[Int(b2 & 0x3F)])
            } else if pad {
                out.append(UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func value(of character: UInt8, url: Bool) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+") where !url: 62
        case UInt8(ascii: "/") where !url: 63
        case UInt8(ascii: "-") where url: 62
        case UInt8(ascii: "_") where url: 63
        default: nil
        }
    }

    private static func decode(_ text: some StringProtocol, url: Bool) -> [UInt8]? {
        var characters = Array(text.utf8)
        if !url {
            var padding = 0
            while characters.last == UInt8(ascii: "="), padding < 2 {
                characters.removeLast()
                padding += 1
            }
            if padding > 0 && (characters.count + padding) % 4 != 0 { return nil }
        }
        // A single leftover character carries only 6 bits: never a whole byte.
        guard characters.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(characters.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for character in characters {
            guard let sextet = value(of: character, url: url) else { return nil }
            accumulator = (accumulator << 6) | UInt32(sextet)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        // Leftover bits must be zero (RFC 4648 §3.5: canonical encoding), so each token has one spelling.
        guard accumulator == 0 else { return nil }
        return out
    }
}
