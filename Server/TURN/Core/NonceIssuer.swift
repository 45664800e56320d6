import STUN
import ServerKit

/// Stateless nonces for the long-term credential mechanism (RFC 8489 §9.2): the server keeps no per-client state
/// until a request authenticates, so a flood of spoofed Allocates costs nothing but CPU.
///
/// A nonce is 24 hex digits: the expiry (Unix seconds, 8 digits) and the first 8 bytes of
/// HMAC-SHA1(server key, expiry ‖ client IP). It is valid only from the client IP it was issued to and until its
/// expiry; afterwards the server answers 438 Stale Nonce with a fresh one (RFC 8489 §9.2.4).
struct NonceIssuer: Sendable {
    /// Random per process, so nonces from an earlier run are stale.
    let key: [UInt8]
    /// How long a nonce is valid (coturn's `stale-nonce` defaults to 600 s).
    let lifetimeSeconds: Int64

    init(key: [UInt8], lifetimeSeconds: Int64) {
        self.key = key
        self.lifetimeSeconds = lifetimeSeconds
    }

    enum Validity: Equatable {
        case valid
        case stale
        case invalid
    }

    func issue(for client: STUNIPAddress, now: TURNTime) -> String {
        // Expiries are rounded up to the minute, so repeated challenges within a minute carry the same nonce.
        let exact = now.unixSeconds &+ lifetimeSeconds
        let expiry = UInt32(truncatingIfNeeded: exact &+ (60 &- exact % 60) % 60)
        let expiryHex = hex8(expiry)
        return expiryHex + mac(expiryHex: expiryHex, client: client)
    }

    func check(_ nonce: String, from client: STUNIPAddress, now: TURNTime) -> Validity {
        let utf8 = Array(nonce.utf8)
        guard utf8.count == 24 else { return .invalid }
        let expiryHex = String(decoding: utf8[0..<8], as: UTF8.self)
        guard let expiry = UInt32(expiryHex, radix: 16) else { return .invalid }
        let expected = Array(mac(expiryHex: expiryHex, client: client).utf8)
        var difference: UInt8 = 0
        for index in 0..<16 { difference |= expected[index] ^ utf8[8 + index] }
        guard difference == 0 else { return .invalid }
        return Int64(expiry) < now.unixSeconds ? .stale : .valid
    }

    private func mac(expiryHex: String, client: STUNIPAddress) -> String {
        let digest = KeyedHashing.hmac(.sha1, key: key, data: Array(expiryHex.utf8) + client.bytes)
        return digest.prefix(8).map { hex2($0) }.joined()
    }

    private func hex8(_ value: UInt32) -> String {
        (0..<4).map { hex2(UInt8(truncatingIfNeeded: value >> (24 - 8 * $0))) }.joined()
    }

    private func hex2(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
    }
}
