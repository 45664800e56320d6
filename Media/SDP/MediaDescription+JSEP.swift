/// Everything JSEP code needs to know about one RTP payload format of a media section: its `a=rtpmap`, `a=fmtp`
/// and `a=rtcp-fb` lines together (RFC 8829 §5.8).
public struct Codec: Hashable, Sendable {
    public var payloadType: UInt8
    /// The encoding name from `a=rtpmap`, e.g. `opus`, `VP8`, `rtx`.
    public var name: String
    public var clockRate: UInt32
    /// Audio channels (`a=rtpmap` encoding parameters).
    public var channels: UInt32?
    /// The `a=fmtp` parameter text, or nil.
    public var parameters: FormatParameters?
    /// The `a=rtcp-fb` lines that apply (including `*` ones).
    public var feedback: [RTCPFeedback]

    public init(
        payloadType: UInt8, name: String, clockRate: UInt32, channels: UInt32? = nil,
        parameters: FormatParameters? = nil, feedback: [RTCPFeedback] = []
    ) {
        self.payloadType = payloadType
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
        self.parameters = parameters
        self.feedback = feedback
    }

    /// For an RTX or RED/FEC format: the payload type it protects (`apt=`, RFC 4588 §8.1).
    public var associatedPayloadType: UInt8? {
        guard let text = parameters?.value(for: "apt"), let value: UInt8 = parseDecimal(Substring(text)),
            value <= 127
        else { return nil }
        return value
    }

    /// True if the feedback lines include `type` with `parameter` (e.g. `nack`/`pli`, `ccm`/`fir`).
    public func supportsFeedback(_ type: String, parameter: String? = nil) -> Bool {
        feedback.contains { $0.type == type && $0.parameter == parameter }
    }
}

extension MediaDescription {
    /// The section's RTP payload formats in m-line order, each with its rtpmap, fmtp and rtcp-fb lines. Formats
    /// without an `a=rtpmap` are skipped (static payload types without one are not used by WebRTC).
    public var codecs: [Codec] {
        let maps = attributes.rtpMaps
        let parameters = attributes.formatParameters
        let feedback = attributes.rtcpFeedback
        var result: [Codec] = []
        for payloadType in payloadTypes {
            guard let map = maps.first(where: { $0.payloadType == payloadType }) else { continue }
            result.append(
                Codec(
                    payloadType: payloadType, name: map.encodingName, clockRate: map.clockRate,
                    channels: map.encodingParameters,
                    parameters: parameters.first { $0.payloadType == payloadType },
                    feedback: feedback.filter { $0.applies(to: payloadType) }))
        }
        return result
    }

    /// The codec of `payloadType`, if the section has an `a=rtpmap` for it.
    public func codec(forPayloadType payloadType: UInt8) -> Codec? {
        codecs.first { $0.payloadType == payloadType }
    }

    /// The payload types whose `a=rtpmap` encoding name is `codec` (case-insensitive), in m-line format order.
    public func payloadTypes(forCodec codec: String) -> [UInt8] {
        let wanted = codec.lowercased()
        let maps = attributes.rtpMaps
        return payloadTypes.filter { payloadType in
            maps.contains { $0.payloadType == payloadType && $0.encodingName.lowercased() == wanted }
        }
    }

    /// The `a=fmtp` of `payloadType`.
    public func formatParameters(forPayloadType payloadType: UInt8) -> FormatParameters? {
        attributes.formatParameters.first { $0.payloadType == payloadType }
    }

    /// The `a=rtcp-fb` lines that apply to `payloadType`.
    public func rtcpFeedback(forPayloadType payloadType: UInt8) -> [RTCPFeedback] {
        attributes.rtcpFeedback.filter { $0.applies(to: payloadType) }
    }

    /// The `a=extmap` id negotiated for a header extension URI (RFC 8285 §8), e.g.
    /// `urn:ietf:params:rtp-hdrext:sdes:mid`.
    public func extensionID(forURI uri: String) -> UInt16? {
        attributes.extensionMaps.first { $0.uri == uri }?.id
    }

    /// The ICE candidates of the section, in order.
    public var candidates: [ICECandidate] { attributes.candidates }

    /// The SSRCs named by `a=ssrc` lines, in first-appearance order without repeats.
    public var ssrcs: [UInt32] {
        var seen = Set<UInt32>()
        var result: [UInt32] = []
        for attribute in attributes.ssrcAttributes where seen.insert(attribute.ssrc).inserted {
            result.append(attribute.ssrc)
        }
        return result
    }

    /// The `cname` of an SSRC (RFC 5576 §6.1).
    public func cname(forSSRC ssrc: UInt32) -> String? {
        attributes.ssrcAttributes.first { $0.ssrc == ssrc && $0.attribute == "cname" }?.value
    }
}
