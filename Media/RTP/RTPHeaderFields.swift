/// One header extension element to write: a local identifier and its data (RFC 8285 §4).
public struct RTPHeaderExtensionElement: Sendable, Hashable {
    /// The local identifier (1...14 in the one-byte form, 1...255 in the two-byte form).
    public var id: UInt8
    /// The element's data (1...16 bytes in the one-byte form, 0...255 in the two-byte form).
    public var data: [UInt8]

    public init(id: UInt8, data: [UInt8]) {
        self.id = id
        self.data = data
    }
}

/// A header extension block to write (RFC 3550 §5.3.1, RFC 8285 §4).
public enum RTPHeaderExtensionBlock: Sendable, Hashable {
    /// The one-byte form, profile 0xBEDE (RFC 8285 §4.2).
    case oneByte([RTPHeaderExtensionElement])
    /// The two-byte form, profile 0x100X with 4 application bits (RFC 8285 §4.3).
    case twoByte(appBits: UInt8, [RTPHeaderExtensionElement])
    /// A block with any other profile, written verbatim; `data.count` must be a multiple of 4.
    case opaque(profile: UInt16, data: [UInt8])
}

/// Everything needed to write an RTP header (RFC 3550 §5.1). The version is always 2; the P, X and CC bits
/// follow from ``paddingLength``, ``extensions`` and ``csrcs``.
///
/// This is the building-side counterpart of ``RTPHeader``: it owns arrays, so it suits senders and tests, not
/// the per-packet forwarding path (which rewrites ``RTPPacket`` in place).
public struct RTPHeaderFields: Sendable, Hashable {
    public var marker: Bool
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    /// Contributing sources, at most 15.
    public var csrcs: [UInt32]
    /// The header extension block, nil for none (X bit clear).
    public var extensions: RTPHeaderExtensionBlock?
    /// Padding bytes to append after the payload, including the count byte; 0 for none (P bit clear).
    public var paddingLength: Int

    public init(
        marker: Bool = false,
        payloadType: UInt8,
        sequenceNumber: UInt16,
        timestamp: UInt32,
        ssrc: UInt32,
        csrcs: [UInt32] = [],
        extensions: RTPHeaderExtensionBlock? = nil,
        paddingLength: Int = 0
    ) {
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.extensions = extensions
        self.paddingLength = paddingLength
    }
}
