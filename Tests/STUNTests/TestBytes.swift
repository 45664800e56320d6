import NIOCore
import STUN
import TestSupport

/// Bytes from a hex string with spaces/newlines (RFC-dump style); empty if the text is not hex (a test bug).
func hexBytes(_ text: String) -> [UInt8] {
    Fixtures.hex(text) ?? []
}

extension ByteBuffer {
    var bytes: [UInt8] { Array(readableBytesView) }
}

/// The attributes with the values of MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT blanked (the writer computes
/// those), for comparing what we built with what came back.
func blankingComputedValues(_ attributes: [STUNAttribute]) -> [STUNAttribute] {
    attributes.map { attribute in
        switch attribute {
        case .messageIntegrity: .messageIntegrity([])
        case .messageIntegritySHA256(let value): .messageIntegritySHA256(Array(repeating: 0, count: value.count))
        case .fingerprint: .fingerprint(0)
        default: attribute
        }
    }
}

/// A byte copy of `bytes` with the 16-bit big-endian value at `offset` replaced.
func replacingUInt16(_ bytes: [UInt8], at offset: Int, with value: UInt16) -> [UInt8] {
    var copy = bytes
    copy[offset] = UInt8(value >> 8)
    copy[offset + 1] = UInt8(value & 0xFF)
    return copy
}
