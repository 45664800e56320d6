/// `a=msid`: the MediaStream and track a media section's source belongs to (RFC 8830 §2):
/// `<stream id> [<track id>]`; JSEP writes `-` for "no stream".
public struct MediaStreamID: Hashable, Sendable {
    public var streamID: String
    /// The "appdata": the sender's track id in WebRTC.
    public var trackID: String?

    public init(streamID: String, trackID: String? = nil) {
        self.streamID = streamID
        self.trackID = trackID
    }

    static func parse(_ value: Substring, line: Int) throws(SDPParseError) -> MediaStreamID {
        let fields = value.fields()
        guard fields.count == 1 || fields.count == 2 else {
            throw .badAttribute(line: line, name: "msid", reason: "expected \"<stream id> [<track id>]\"")
        }
        return MediaStreamID(streamID: String(fields[0]), trackID: fields.count == 2 ? String(fields[1]) : nil)
    }

    func write(to out: inout String) {
        out += streamID
        if let trackID {
            out += " "
            out += trackID
        }
    }
}

/// `a=msid-semantic`: session-level declaration of stream ids in use (draft-ietf-mmusic-msid-05, still written
/// by Chromium and aiortc), e.g. `WMS *` or `WMS stream1 stream2`. Chromium writes a space after the colon;
/// that spelling is accepted and kept verbatim.
public struct MSIDSemantic: Hashable, Sendable {
    /// `WMS` (WebRTC MediaStream).
    public var semantic: String
    public var identifiers: [String]

    public init(semantic: String = "WMS", identifiers: [String] = []) {
        self.semantic = semantic
        self.identifiers = identifiers
    }

    static func parse(_ value: Substring, line: Int) throws(SDPParseError) -> MSIDSemantic {
        let fields = value.fields()
        guard let semantic = fields.first else {
            throw .badAttribute(line: line, name: "msid-semantic", reason: "missing semantic")
        }
        return MSIDSemantic(semantic: String(semantic), identifiers: fields.dropFirst().map { String($0) })
    }

    func write(to out: inout String) {
        out += semantic
        for identifier in identifiers {
            out += " "
            out += identifier
        }
    }
}
