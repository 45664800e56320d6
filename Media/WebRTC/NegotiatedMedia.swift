import SDP

/// One media section as negotiated by offer/answer: the answer's codecs and header extension ids, and the SSRCs
/// we send with. Payload types and extension ids are the ones on the wire in both directions (RFC 8829 §5.3.1,
/// the answerer keeps the offer's numbers).
public struct NegotiatedMedia: Hashable, Sendable {
    /// `a=mid`.
    public var mid: String
    public var kind: MediaKind
    /// The answered codecs (RTX included), in preference order.
    public var codecs: [Codec]
    /// The answered header extensions.
    public var headerExtensions: [ExtensionMap]
    /// The SSRC we send media with in this section.
    public var localSSRC: UInt32
    /// The SSRC we send retransmissions with (RFC 4588), for video.
    public var localRTXSSRC: UInt32?

    /// The payload type of a codec by name (case-insensitive), e.g. `opus`, `VP8`.
    public func payloadType(forCodec name: String) -> UInt8? {
        codecs.first { $0.name.lowercased() == name.lowercased() }?.payloadType
    }

    /// The RTX payload type protecting `payloadType` (`apt`, RFC 4588 §8.1).
    public func rtxPayloadType(for payloadType: UInt8) -> UInt8? {
        codecs.first { $0.name.lowercased() == "rtx" && $0.associatedPayloadType == payloadType }?.payloadType
    }

    /// The negotiated id of a header extension.
    public func extensionID(forURI uri: String) -> UInt8? {
        headerExtensions.first { $0.uri == uri }.map { UInt8(truncatingIfNeeded: $0.id) }
    }
}
