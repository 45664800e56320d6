/// A whole session description (RFC 8866 §5) as exchanged by JSEP (RFC 8829): the session-level lines, then
/// one ``MediaDescription`` per `m=` section.
///
/// ``parse(_:)`` reads text into this model and ``serialize()`` writes it back in the order RFC 8866 §5 fixes
/// (`v o s i u e p c b t r z k a`, then per media `m i c b k a`), with `a=` lines in their original order and
/// non-canonical attribute text kept verbatim, so a description parsed from a browser serializes to the same
/// bytes.
public struct SessionDescription: Hashable, Sendable {
    /// `o=`.
    public var origin: Origin
    /// `s=`; JSEP writes `-`.
    public var sessionName: String
    /// `i=` session information.
    public var information: String?
    /// `u=`.
    public var uri: String?
    /// `e=` lines.
    public var emails: [String]
    /// `p=` lines.
    public var phones: [String]
    /// Session-level `c=`.
    public var connection: ConnectionData?
    /// Session-level `b=` lines.
    public var bandwidths: [Bandwidth]
    /// `t=` lines, each with its `r=` lines; JSEP writes exactly one `t=0 0`.
    public var timings: [Timing]
    /// `z=`, kept as written.
    public var timeZones: String?
    /// `k=` (obsolete), kept as written.
    public var encryptionKey: String?
    /// Session-level `a=` lines, in order.
    public var attributes: AttributeList
    /// The media sections, in order (their order is their m-line index, RFC 8829 §5.2.1).
    public var media: [MediaDescription]
    /// The line ending to write; parsing records the one the text used.
    public var lineEnding: LineEnding
    /// Whether the last line is followed by a line ending (true for every WebRTC stack; parsing records it).
    public var endsWithLineEnding: Bool

    public init(
        origin: Origin, sessionName: String = "-", information: String? = nil, uri: String? = nil,
        emails: [String] = [], phones: [String] = [], connection: ConnectionData? = nil,
        bandwidths: [Bandwidth] = [], timings: [Timing] = [Timing()], timeZones: String? = nil,
        encryptionKey: String? = nil, attributes: AttributeList = [], media: [MediaDescription] = [],
        lineEnding: LineEnding = .crlf, endsWithLineEnding: Bool = true
    ) {
        self.origin = origin
        self.sessionName = sessionName
        self.information = information
        self.uri = uri
        self.emails = emails
        self.phones = phones
        self.connection = connection
        self.bandwidths = bandwidths
        self.timings = timings
        self.timeZones = timeZones
        self.encryptionKey = encryptionKey
        self.attributes = attributes
        self.media = media
        self.lineEnding = lineEnding
        self.endsWithLineEnding = endsWithLineEnding
    }
}
