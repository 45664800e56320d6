/// `a=fingerprint`: the hash of the DTLS certificate a peer will present (RFC 8122 §5, RFC 8842 §5).
///
/// `a=fingerprint:sha-256 4A:AD:B9:…` — the hash function's name, then the digest as colon-separated pairs of
/// uppercase hex digits. Lowercase hex is accepted when parsing (and kept verbatim for the round trip).
public struct Fingerprint: Hashable, Sendable, CustomStringConvertible {
    /// The hash function's name as registered by IANA ("Hash Function Textual Names"), e.g. `sha-256`.
    public var hashFunction: String
    /// The digest.
    public var bytes: [UInt8]

    public init(hashFunction: String, bytes: [UInt8]) {
        self.hashFunction = hashFunction
        self.bytes = bytes
    }

    /// The digest length in bytes for the hash functions RFC 8122 §5 names, or nil for others.
    public static func digestLength(of hashFunction: String) -> Int? {
        switch hashFunction.lowercased() {
        case "sha-1": return 20
        case "sha-224": return 28
        case "sha-256": return 32
        case "sha-384": return 48
        case "sha-512": return 64
        case "md5", "md2": return 16
        default: return nil
        }
    }

    /// Parses the value of `a=fingerprint:` (`sha-256 AB:CD:…`).
    /// - Throws: ``SDPParseError/badFingerprint(line:reason:)`` (line 1).
    public static func parse(_ value: String) throws(SDPParseError) -> Fingerprint {
        try parse(Substring(value), line: 1)
    }

    /// The value of `a=fingerprint:`, e.g. `sha-256 AB:CD:…`.
    public var description: String {
        var out = ""
        write(to: &out)
        return out
    }

    static func parse(_ value: Substring, line: Int) throws(SDPParseError) -> Fingerprint {
        let fields = value.fields()
        guard fields.count == 2 else {
            throw .badFingerprint(line: line, reason: "expected \"hash-function hex\", found \(fields.count) fields")
        }
        guard fields[0].allBytes(isTokenChar) else {
            throw .badFingerprint(line: line, reason: "\"\(fields[0])\" is not a hash function name")
        }
        let pairs = fields[1].splitKeepingEmpty(.colon)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(pairs.count)
        for pair in pairs {
            let digits = Array(pair.utf8)
            guard digits.count == 2, let high = digits[0].hexValue, let low = digits[1].hexValue else {
                throw .badFingerprint(line: line, reason: "\"\(pair)\" is not a pair of hex digits")
            }
            bytes.append(high << 4 | low)
        }
        let hashFunction = String(fields[0])
        if let expected = digestLength(of: hashFunction), expected != bytes.count {
            throw .badFingerprint(
                line: line, reason: "\(hashFunction) digest must be \(expected) bytes, found \(bytes.count)")
        }
        return Fingerprint(hashFunction: hashFunction, bytes: bytes)
    }

    func write(to out: inout String) {
        out += hashFunction
        out += " "
        let digits: [UInt8] = Array("0123456789ABCDEF".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(bytes.count * 3)
        for (index, byte) in bytes.enumerated() {
            if index > 0 { hex.append(.colon) }
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        out += String(decoding: hex, as: UTF8.self)
    }
}
