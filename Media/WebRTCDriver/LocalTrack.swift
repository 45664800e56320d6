import SDP
import WebRTC

/// A negotiated media section we send on: what an application needs to put its encoded media into RTP.
public struct LocalTrack: Sendable, Hashable {
    /// `a=mid` of the section (RFC 8843).
    public var mid: String
    public var kind: MediaKind
    /// The SSRC we send with (announced in `a=ssrc`).
    public var ssrc: UInt32
    /// The negotiated payload type of the codec (`opus` for audio, `VP8` for video).
    public var payloadType: UInt8
    /// The RTP clock rate of that codec (48000 for Opus, 90000 for VP8).
    public var clockRate: Int
    /// The negotiated id of the mid header extension, written into every packet when present.
    public var midExtensionID: UInt8?

    init?(_ media: NegotiatedMedia) {
        let codecName = media.kind == .audio ? "opus" : "VP8"
        guard let codec = media.codecs.first(where: { $0.name.lowercased() == codecName.lowercased() }) else {
            return nil
        }
        mid = media.mid
        kind = media.kind
        ssrc = media.localSSRC
        payloadType = codec.payloadType
        clockRate = Int(codec.clockRate)
        midExtensionID = media.extensionID(forURI: MediaCapabilities.midExtensionURI)
    }
}
