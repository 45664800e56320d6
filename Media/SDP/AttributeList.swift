/// The `a=` lines of a session or media section, in order, with typed accessors for the attributes WebRTC uses.
///
/// Order is kept because it is meaningful (rtpmap/fmtp order, candidate order) and because a parsed description
/// must serialize back to its exact text. Accessors return the first matching line for single-valued attributes
/// and all matching lines, in order, for repeated ones.
public struct AttributeList: Hashable, Sendable, RandomAccessCollection, MutableCollection, RangeReplaceableCollection,
    ExpressibleByArrayLiteral
{
    public var lines: [AttributeLine]

    public init() { lines = [] }

    public init(_ attributes: [SDPAttribute]) {
        lines = attributes.map { AttributeLine($0) }
    }

    public init(arrayLiteral elements: SDPAttribute...) {
        self.init(elements)
    }

    public var startIndex: Int { lines.startIndex }
    public var endIndex: Int { lines.endIndex }
    public subscript(position: Int) -> AttributeLine {
        get { lines[position] }
        set { lines[position] = newValue }
    }

    public mutating func replaceSubrange<C: Collection>(_ subrange: Range<Int>, with newElements: C)
    where C.Element == AttributeLine {
        lines.replaceSubrange(subrange, with: newElements)
    }

    /// Appends an attribute line.
    public mutating func append(_ attribute: SDPAttribute) {
        lines.append(AttributeLine(attribute))
    }

    /// Removes every line whose attribute satisfies `predicate`.
    public mutating func removeAttributes(where predicate: (SDPAttribute) -> Bool) {
        lines.removeAll { predicate($0.attribute) }
    }

    /// The attributes without their original text.
    public var attributes: [SDPAttribute] { lines.map(\.attribute) }

    /// True if a line has this exact attribute (for property attributes such as `.rtcpMux`).
    public func contains(_ attribute: SDPAttribute) -> Bool {
        lines.contains { $0.attribute == attribute }
    }

    /// The values of every `other` attribute named `name` (`nil` entries for lines without a colon).
    public func otherValues(named name: String) -> [String?] {
        var result: [String?] = []
        for line in lines {
            if case .other(let otherName, let value) = line.attribute, otherName == name { result.append(value) }
        }
        return result
    }

    /// The first line's value for attributes this module does not model, e.g. `ptime`, `tls-id`.
    public func otherValue(named name: String) -> String? {
        for line in lines {
            if case .other(let otherName, let value) = line.attribute, otherName == name { return value }
        }
        return nil
    }

    // MARK: Single-valued

    /// `a=mid`.
    public var mid: String? {
        for line in lines { if case .mid(let value) = line.attribute { return value } }
        return nil
    }

    /// The media direction (`a=sendrecv` …); nil if none is written (RFC 8866 §6.7: then `sendrecv` applies).
    public var direction: MediaDirection? {
        for line in lines { if case .direction(let value) = line.attribute { return value } }
        return nil
    }

    /// `a=ice-ufrag`.
    public var iceUfrag: String? {
        for line in lines { if case .iceUfrag(let value) = line.attribute { return value } }
        return nil
    }

    /// `a=ice-pwd`.
    public var icePwd: String? {
        for line in lines { if case .icePwd(let value) = line.attribute { return value } }
        return nil
    }

    /// The options of every `a=ice-options` line.
    public var iceOptions: [String] {
        var result: [String] = []
        for line in lines { if case .iceOptions(let value) = line.attribute { result += value } }
        return result
    }

    /// `a=setup`.
    public var setup: SetupRole? {
        for line in lines { if case .setup(let value) = line.attribute { return value } }
        return nil
    }

    /// `a=msid-semantic`.
    public var msidSemantic: MSIDSemantic? {
        for line in lines { if case .msidSemantic(let value) = line.attribute { return value } }
        return nil
    }

    /// `a=rtcp`.
    public var rtcp: RTCPAddress? {
        for line in lines { if case .rtcp(let value) = line.attribute { return value } }
        return nil
    }

    /// `a=simulcast`.
    public var simulcast: Simulcast? {
        for line in lines { if case .simulcast(let value) = line.attribute { return value } }
        return nil
    }

    /// `a=sctp-port`.
    public var sctpPort: UInt16? {
        for line in lines { if case .sctpPort(let value) = line.attribute { return value } }
        return nil
    }

    /// `a=max-message-size`.
    public var maxMessageSize: UInt64? {
        for line in lines { if case .maxMessageSize(let value) = line.attribute { return value } }
        return nil
    }

    /// `a=ice-lite`.
    public var isICELite: Bool { contains(.iceLite) }
    /// `a=rtcp-mux`.
    public var isRTCPMux: Bool { contains(.rtcpMux) }
    /// `a=rtcp-rsize`.
    public var isRTCPReducedSize: Bool { contains(.rtcpReducedSize) }
    /// `a=end-of-candidates`.
    public var isEndOfCandidates: Bool { contains(.endOfCandidates) }
    /// `a=extmap-allow-mixed`.
    public var isExtensionMapAllowMixed: Bool { contains(.extensionMapAllowMixed) }

    // MARK: Repeated

    /// Every `a=group`.
    public var groups: [Group] {
        lines.compactMap { if case .group(let value) = $0.attribute { value } else { nil } }
    }

    /// Every `a=fingerprint` (RFC 8122 allows several, one per hash function).
    public var fingerprints: [Fingerprint] {
        lines.compactMap { if case .fingerprint(let value) = $0.attribute { value } else { nil } }
    }

    /// Every `a=candidate`, in order.
    public var candidates: [ICECandidate] {
        lines.compactMap { if case .candidate(let value) = $0.attribute { value } else { nil } }
    }

    /// Every `a=rtpmap`, in order.
    public var rtpMaps: [RTPMap] {
        lines.compactMap { if case .rtpMap(let value) = $0.attribute { value } else { nil } }
    }

    /// Every `a=fmtp`, in order.
    public var formatParameters: [FormatParameters] {
        lines.compactMap { if case .formatParameters(let value) = $0.attribute { value } else { nil } }
    }

    /// Every `a=rtcp-fb`, in order.
    public var rtcpFeedback: [RTCPFeedback] {
        lines.compactMap { if case .rtcpFeedback(let value) = $0.attribute { value } else { nil } }
    }

    /// Every `a=extmap`, in order.
    public var extensionMaps: [ExtensionMap] {
        lines.compactMap { if case .extensionMap(let value) = $0.attribute { value } else { nil } }
    }

    /// Every `a=ssrc`, in order.
    public var ssrcAttributes: [SSRCAttribute] {
        lines.compactMap { if case .ssrc(let value) = $0.attribute { value } else { nil } }
    }

    /// Every `a=ssrc-group`, in order.
    public var ssrcGroups: [SSRCGroup] {
        lines.compactMap { if case .ssrcGroup(let value) = $0.attribute { value } else { nil } }
    }

    /// Every `a=msid` (JSEP writes one per stream the track belongs to).
    public var msids: [MediaStreamID] {
        lines.compactMap { if case .msid(let value) = $0.attribute { value } else { nil } }
    }

    /// Every `a=rid`, in order.
    public var rids: [RID] {
        lines.compactMap { if case .rid(let value) = $0.attribute { value } else { nil } }
    }
}
