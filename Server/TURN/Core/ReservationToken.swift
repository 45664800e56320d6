import STUN
import ServerKit

/// RESERVATION-TOKEN values (RFC 8656 §14.9) that any core of the server can check without shared state.
///
/// With one core per event loop and `SO_REUSEPORT`, the Allocate that redeems a token usually arrives from another
/// client socket and so may land on another core than the one that reserved the port. The token therefore carries
/// what is needed to redeem it — port, family, expiry — and a MAC: 16 bits port, 8 bits family, 16 bits expiry
/// (Unix seconds modulo 2^16, compared within ±9 hours), 24 bits of HMAC-SHA1 under the server's key. Using a
/// token twice fails at the kernel: the first relay socket holds the port, so the second bind fails (508).
struct ReservationTokenCodec: Sendable {
    let key: [UInt8]

    func make(port: UInt16, family: STUNAddressFamily, expiry: TURNTime) -> UInt64 {
        let expiry16 = UInt16(truncatingIfNeeded: expiry.unixSeconds)
        let body = UInt64(port) << 48 | UInt64(family.rawValue) << 40 | UInt64(expiry16) << 24
        return body | UInt64(mac(body))
    }

    /// The port and family of a valid, unexpired token.
    func open(_ token: UInt64, now: TURNTime) -> (port: UInt16, family: STUNAddressFamily)? {
        let body = token & ~UInt64(0xFF_FFFF)
        guard UInt32(truncatingIfNeeded: token & 0xFF_FFFF) == mac(body) else { return nil }
        let expiry16 = UInt16(truncatingIfNeeded: token >> 24)
        let remaining = Int16(bitPattern: expiry16 &- UInt16(truncatingIfNeeded: now.unixSeconds))
        guard remaining >= 0 else { return nil }
        return (UInt16(truncatingIfNeeded: token >> 48), STUNAddressFamily(rawValue: UInt8(truncatingIfNeeded: token >> 40)))
    }

    private func mac(_ body: UInt64) -> UInt32 {
        let bytes = (0..<8).map { UInt8(truncatingIfNeeded: body >> (56 - 8 * UInt64($0))) }
        let digest = KeyedHashing.hmac(.sha1, key: key + Array("reservation".utf8), data: bytes)
        return UInt32(digest[0]) << 16 | UInt32(digest[1]) << 8 | UInt32(digest[2])
    }
}
