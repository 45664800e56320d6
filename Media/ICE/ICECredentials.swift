/// An ICE username fragment and password (`a=ice-ufrag`, `a=ice-pwd`; RFC 8445 §5.3, RFC 8839 §5.4).
///
/// Connectivity checks carry `USERNAME = <receiver ufrag>:<sender ufrag>` and are protected with
/// MESSAGE-INTEGRITY keyed by the receiver's password (RFC 8445 §7.2.2).
public struct ICECredentials: Hashable, Sendable, CustomStringConvertible {
    /// At least 4 ice-chars (RFC 8839 §5.4; 24 bits of randomness, RFC 8445 §5.3).
    public let usernameFragment: String
    /// At least 22 ice-chars (RFC 8839 §5.4; 128 bits of randomness, RFC 8445 §5.3).
    public let password: String

    /// The 64 `ice-char`s: `ALPHA / DIGIT / "+" / "/"` (RFC 8839 §5.1).
    static let iceChars: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Checks the RFC 8839 §5.4 grammar: ufrag 4...256 and password 22...256 ice-chars.
    /// - Throws: ``ICEError/invalidCredentials(_:)`` naming the rule broken.
    public init(usernameFragment: String, password: String) throws(ICEError) {
        guard (4...256).contains(usernameFragment.utf8.count), usernameFragment.utf8.allSatisfy(Self.isICEChar) else {
            throw .invalidCredentials("ice-ufrag must be 4 to 256 ice-chars")
        }
        guard (22...256).contains(password.utf8.count), password.utf8.allSatisfy(Self.isICEChar) else {
            throw .invalidCredentials("ice-pwd must be 22 to 256 ice-chars")
        }
        self.usernameFragment = usernameFragment
        self.password = password
    }

    private init(unchecked usernameFragment: String, password: String) {
        self.usernameFragment = usernameFragment
        self.password = password
    }

    /// New random credentials: an 8-character ufrag (48 bits) and a 24-character password (144 bits).
    ///
    /// Pass `SystemRandomNumberGenerator` (the OS CSPRNG) in production: the password is the key that
    /// authenticates every connectivity check. Tests pass a seeded generator.
    public static func random(using generator: inout some RandomNumberGenerator) -> ICECredentials {
        func text(_ count: Int) -> String {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(count)
            for _ in 0..<count {
                bytes.append(iceChars[Int(generator.next(upperBound: UInt64(iceChars.count)))])
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        return ICECredentials(unchecked: text(8), password: text(24))
    }

    static func isICEChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"):
            true
        default:
            false
        }
    }

    /// The ufrag only: the password is a secret and stays out of logs.
    public var description: String { "ICECredentials(ufrag: \(usernameFragment))" }
}
