/// `a=simulcast`: the simulcast streams a media section sends and/or receives (RFC 8853 §5.1), e.g.
/// `a=simulcast:send h;m;l` or `a=simulcast:recv 1,2;~3 send 4`.
///
/// Each direction lists streams separated by `;`; a stream lists alternative RIDs separated by `,` (the sender
/// picks one); `~` marks an alternative as paused.
public struct Simulcast: Hashable, Sendable {
    /// One alternative of a stream: an `a=rid` id, possibly paused.
    public struct Alternative: Hashable, Sendable {
        public var rid: String
        public var isPaused: Bool

        public init(rid: String, isPaused: Bool = false) {
            self.rid = rid
            self.isPaused = isPaused
        }
    }

    /// One simulcast stream: the RIDs that may carry it (usually exactly one).
    public struct Stream: Hashable, Sendable {
        public var alternatives: [Alternative]

        public init(alternatives: [Alternative]) {
            self.alternatives = alternatives
        }

        /// A stream with one RID.
        public init(rid: String, isPaused: Bool = false) {
            self.alternatives = [Alternative(rid: rid, isPaused: isPaused)]
        }
    }

    /// The `send` streams; empty when the attribute has no `send` part.
    public var send: [Stream]
    /// The `recv` streams; empty when the attribute has no `recv` part.
    public var receive: [Stream]

    public init(send: [Stream] = [], receive: [Stream] = []) {
        self.send = send
        self.receive = receive
    }

    static func parse(_ value: Substring, line: Int) throws(SDPParseError) -> Simulcast {
        let fields = value.fields()
        guard fields.count == 2 || fields.count == 4 else {
            throw .badAttribute(line: line, name: "simulcast", reason: "expected \"send|recv <streams>\" once or twice")
        }
        var simulcast = Simulcast()
        var sawSend = false
        var sawReceive = false
        var index = 0
        while index + 1 < fields.count {
            let streams = try parseStreams(fields[index + 1], line: line)
            switch fields[index] {
            case "send" where !sawSend:
                sawSend = true
                simulcast.send = streams
            case "recv" where !sawReceive:
                sawReceive = true
                simulcast.receive = streams
            default:
                throw .badAttribute(
                    line: line, name: "simulcast", reason: "expected \"send\" or \"recv\" once each, found \"\(fields[index])\"")
            }
            index += 2
        }
        return simulcast
    }

    private static func parseStreams(_ text: Substring, line: Int) throws(SDPParseError) -> [Stream] {
        var streams: [Stream] = []
        for streamText in text.splitKeepingEmpty(.semicolon) {
            var alternatives: [Alternative] = []
            for alternativeText in streamText.splitKeepingEmpty(.comma) {
                var rid = alternativeText
                let isPaused = rid.utf8.first == .tilde
                if isPaused { rid = rid.dropFirst() }
                guard rid.allBytes(isRIDChar) else {
                    throw .badAttribute(line: line, name: "simulcast", reason: "\"\(alternativeText)\" is not a rid-id")
                }
                alternatives.append(Alternative(rid: String(rid), isPaused: isPaused))
            }
            streams.append(Stream(alternatives: alternatives))
        }
        return streams
    }

    func write(to out: inout String) {
        if !send.isEmpty {
            out += "send "
            Self.write(send, to: &out)
        }
        if !receive.isEmpty {
            if !send.isEmpty { out += " " }
            out += "recv "
            Self.write(receive, to: &out)
        }
    }

    private static func write(_ streams: [Stream], to out: inout String) {
        for (streamIndex, stream) in streams.enumerated() {
            if streamIndex > 0 { out += ";" }
            for (index, alternative) in stream.alternatives.enumerated() {
                if index > 0 { out += "," }
                if alternative.isPaused { out += "~" }
                out += alternative.rid
            }
        }
    }
}
