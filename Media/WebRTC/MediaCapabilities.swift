import SDP

/// What this stack sends and receives, as JSEP writes it into offers and intersects with the peer's
/// (RFC 8829 §5.2.1, §5.3.1): Opus for audio, VP8 with RTX for video, the feedback and header extensions
/// WebRTC congestion control and loss recovery rely on.
public enum MediaCapabilities {
    /// `urn:ietf:params:rtp-hdrext:sdes:mid` (RFC 8843 §15.1): which media section a packet belongs to.
    public static let midExtensionURI = "urn:ietf:params:rtp-hdrext:sdes:mid"
    /// `urn:ietf:params:rtp-hdrext:ssrc-audio-level` (RFC 6464).
    public static let audioLevelExtensionURI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
    /// Transport-wide sequence numbers (draft-holmer-rmcat-transport-wide-cc-extensions-01).
    public static let transportCCExtensionURI =
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
    /// Absolute send time (for REMB, webrtc.org's abs-send-time).
    public static let absoluteSendTimeExtensionURI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"

    /// The header extensions we offer for a kind, with the ids we offer them under (RFC 8285 §5).
    public static func headerExtensions(for kind: MediaKind) -> [ExtensionMap] {
        var maps = [ExtensionMap(id: 1, uri: midExtensionURI)]
        if kind == .audio { maps.append(ExtensionMap(id: 2, uri: audioLevelExtensionURI)) }
        maps.append(ExtensionMap(id: 3, uri: transportCCExtensionURI))
        maps.append(ExtensionMap(id: 4, uri: absoluteSendTimeExtensionURI))
        return maps
    }

    /// The codecs we offer for a kind, in preference order.
    public static func codecs(for kind: MediaKind) -> [Codec] {
        if kind == .audio {
            return [
                Codec(
                    payloadType: 111, name: "opus", clockRate: 48000, channels: 2,
                    parameters: FormatParameters(format: "111", parameters: "minptime=10;useinbandfec=1"),
                    feedback: [RTCPFeedback(payloadTypes: .payloadType(111), type: "transport-cc")])
            ]
        }
        if kind == .video {
            return [
                Codec(
                    payloadType: 96, name: "VP8", clockRate: 90000,
                    feedback: videoFeedback.map { RTCPFeedback(payloadTypes: .payloadType(96), type: $0.type, parameter: $0.parameter) }),
                Codec(
                    payloadType: 97, name: "rtx", clockRate: 90000,
                    parameters: FormatParameters(format: "97", parameters: "apt=96")),
            ]
        }
        return []
    }

    /// The `a=rtcp-fb` types we understand for video (RFC 4585 §4.2, RFC 5104 §7.1).
    static let videoFeedback: [(type: String, parameter: String?)] = [
        ("goog-remb", nil), ("transport-cc", nil), ("ccm", "fir"), ("nack", nil), ("nack", "pli"),
    ]

    /// Whether we understand a feedback line (for answers: we keep only these, RFC 4585 §4.2).
    static func supportsFeedback(_ feedback: RTCPFeedback, kind: MediaKind) -> Bool {
        if feedback.type == "transport-cc" { return true }
        guard kind == .video else { return false }
        return videoFeedback.contains { $0.type == feedback.type && $0.parameter == feedback.parameter }
    }

    /// Whether we support a codec by name and clock rate (the comparison JSEP answers make, RFC 8829 §5.3.1).
    static func supports(_ codec: Codec, kind: MediaKind) -> Bool {
        let name = codec.name.lowercased()
        if kind == .audio { return name == "opus" && codec.clockRate == 48000 }
        if kind == .video { return (name == "vp8" || name == "rtx") && codec.clockRate == 90000 }
        return false
    }
}
