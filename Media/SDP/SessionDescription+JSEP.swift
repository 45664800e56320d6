/// Accessors JSEP code (RFC 8829) needs when it reads an offer or answer: find sections, the BUNDLE group, and the
/// transport parameters, which may sit at session level or in a media section (RFC 8829 §5.8: media-level
/// values override session-level ones).
extension SessionDescription {
    /// The first media section whose `a=mid` is `mid`.
    public func media(withMID mid: String) -> MediaDescription? {
        media.first { $0.mid == mid }
    }

    /// The index (m-line index) of the first media section whose `a=mid` is `mid`.
    public func mediaIndex(withMID mid: String) -> Int? {
        media.firstIndex { $0.mid == mid }
    }

    /// The `a=mid` of every media section, in m-line order (nil for a section without one).
    public var mids: [String?] { media.map(\.mid) }

    /// The first `a=group:BUNDLE` (RFC 9143 §7.1); JSEP with `max-bundle` puts every non-rejected section in it.
    public var bundleGroup: Group? {
        attributes.groups.first { $0.isBundle }
    }

    /// The media sections of the BUNDLE group, in the group's order; empty when there is no BUNDLE group.
    public var bundledMedia: [MediaDescription] {
        guard let group = bundleGroup else { return [] }
        return group.mids.compactMap { media(withMID: $0) }
    }

    /// True if the description declares `a=ice-lite` (RFC 8839 §5.3).
    public var isICELite: Bool { attributes.isICELite }

    /// The ICE username fragment of a media section, falling back to the session level.
    public func iceUfrag(forMediaAt index: Int) -> String? {
        guard media.indices.contains(index) else { return attributes.iceUfrag }
        return media[index].attributes.iceUfrag ?? attributes.iceUfrag
    }

    /// The ICE password of a media section, falling back to the session level.
    public func icePwd(forMediaAt index: Int) -> String? {
        guard media.indices.contains(index) else { return attributes.icePwd }
        return media[index].attributes.icePwd ?? attributes.icePwd
    }

    /// The DTLS fingerprints of a media section, falling back to the session level (RFC 8842 §5.2).
    public func fingerprints(forMediaAt index: Int) -> [Fingerprint] {
        if media.indices.contains(index) {
            let local = media[index].attributes.fingerprints
            if !local.isEmpty { return local }
        }
        return attributes.fingerprints
    }

    /// The DTLS setup role of a media section, falling back to the session level.
    public func setup(forMediaAt index: Int) -> SetupRole? {
        guard media.indices.contains(index) else { return attributes.setup }
        return media[index].attributes.setup ?? attributes.setup
    }

    /// The payload types negotiated for `codec` (an `a=rtpmap` encoding name, compared case-insensitively) in the
    /// media section with `mid`, in m-line format order.
    public func payloadTypes(forCodec codec: String, inMediaWithMID mid: String) -> [UInt8] {
        media(withMID: mid)?.payloadTypes(forCodec: codec) ?? []
    }
}
