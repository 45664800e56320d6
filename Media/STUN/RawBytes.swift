/// Big-endian loads from raw bytes. Callers check bounds first; these never see an offset past the end.
extension UnsafeRawBufferPointer {
    @inline(__always)
    func beUInt16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }

    @inline(__always)
    func beUInt32(at offset: Int) -> UInt32 {
        UInt32(beUInt16(at: offset)) << 16 | UInt32(beUInt16(at: offset + 2))
    }

    @inline(__always)
    func beUInt64(at offset: Int) -> UInt64 {
        UInt64(beUInt32(at: offset)) << 32 | UInt64(beUInt32(at: offset + 4))
    }
}

/// Rounds a non-negative length up to the next multiple of 4 (STUN attribute and ChannelData padding).
@inline(__always)
func paddedToFour(_ length: Int) -> Int {
    (length &+ 3) & ~3
}
