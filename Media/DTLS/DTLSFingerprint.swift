import COpenSSL

/// The hash of a DTLS certificate as SDP carries it in `a=fingerprint` (RFC 8122 §5, RFC 5763 §5):
/// `sha-256 4A:AD:B9:…` — the hash function's name, then the digest as colon-separated uppercase hex pairs.
public struct DTLSFingerprint: Hashable, Sendable {
    /// A hash function from the IANA "Hash Function Textual Names" registry that RFC 8122 §5 allows.
    public enum HashFunction: String, Hashable, Sendable, CaseIterable {
        case sha1 = "sha-1"
        case sha224 = "sha-224"
        case sha256 = "sha-256"
        case sha384 = "sha-384"
        case sha512 = "sha-512"

        /// The digest length in bytes.
        public var digestLength: Int {
            switch self {
            case .sha1: 20
            case .sha224: 28
            case .sha256: 32
            case .sha384: 48
            case .sha512: 64
            }
        }

        var evp: OpaquePointer? {
            switch self {
            case .sha1: EVP_sha1()
            case .sha224: EVP_sha224()
            case .sha256: EVP_sha256()
            case .sha384: EVP_sha384()
            case .sha512: EVP_sha512()
            }
        }
    }

    /// The hash function.
    public var hashFunction: HashFunction
    /// The digest of the certificate's DER encoding.
    public var digest: [UInt8]

    /// A fingerprint from its parts. The digest length is not checked here; a wrong length never matches.
    public init(hashFunction: HashFunction, digest: [UInt8]) {
        self.hashFunction = hashFunction
        self.digest = digest
    }

    /// Parses the value of `a=fingerprint:` (`sha-256 AB:CD:…`). The hash name is case-insensitive (RFC 8122 §5
    /// says it is, and Firefox writes `SHA-256`); hex digits may be either case. Returns nil for anything else,
    /// including a digest of the wrong length for its hash function.
    public init?(sdpValue: some StringProtocol) {
        let parts = sdpValue.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, let hash = HashFunction(rawValue: parts[0].lowercased()) else { return nil }
        var digest: [UInt8] = []
        for pair in parts[1].split(separator: ":", omittingEmptySubsequences: false) {
            guard pair.utf8.count == 2, let byte = UInt8(pair, radix: 16) else { return nil }
            digest.append(byte)
        }
        guard digest.count == hash.digestLength else { return nil }
        self.init(hashFunction: hash, digest: digest)
    }

    /// The fingerprint of a DER-encoded certificate under `hashFunction` (RFC 8122 §5: the hash is over the DER
    /// form of the certificate). Nil only if OpenSSL fails to hash.
    public init?(hashFunction: HashFunction, certificateDER: [UInt8]) {
        var digest = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        let ok = certificateDER.withUnsafeBytes { input in
            digest.withUnsafeMutableBufferPointer { output in
                guard let inputBase = input.baseAddress, let outputBase = output.baseAddress else { return false }
                return EVP_Digest(inputBase, input.count, outputBase, &length, hashFunction.evp, nil) == 1
            }
        }
        guard ok, Int(length) == hashFunction.digestLength else { return nil }
        self.init(hashFunction: hashFunction, digest: Array(digest.prefix(Int(length))))
    }

    /// The value of `a=fingerprint:`, e.g. `sha-256 AB:CD:…` (uppercase hex, as RFC 8122 §5's grammar shows).
    public var sdpValue: String {
        hashFunction.rawValue + " " + hexPairs
    }

    /// The digest alone as colon-separated uppercase hex pairs.
    public var hexPairs: String {
        let digits: [Character] = Array("0123456789ABCDEF")
        var text = ""
        text.reserveCapacity(digest.count * 3)
        for (index, byte) in digest.enumerated() {
            if index > 0 { text.append(":") }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return text
    }
}

extension DTLSFingerprint: CustomStringConvertible {
    public var description: String { sdpValue }
}
