/// One media section: an `m=` line and the `i=`, `c=`, `b=`, `k=`, `a=` lines under it (RFC 8866 §5.14).
///
/// In WebRTC each media section is one transceiver (RFC 8829 §5.2.1): `m=audio 9 UDP/TLS/RTP/SAVPF 111 …`,
/// or a data-channel section `m=application 9 UDP/DTLS/SCTP webrtc-datachannel`. A port of 0 rejects the section.
public struct MediaDescription: Hashable, Sendable {
    public var kind: MediaKind
    /// The transport port; JSEP writes 9 (discard) and uses ICE candidates, 0 means rejected/stopped.
    public var port: UInt16
    /// The `/count` after the port for layered encodings; WebRTC never writes it.
    public var portCount: UInt16?
    /// The transport protocol, e.g. `UDP/TLS/RTP/SAVPF` (RFC 5764 §8) or `UDP/DTLS/SCTP` (RFC 8841 §4).
    public var proto: String
    /// The media formats: RTP payload types for RTP protocols, `webrtc-datachannel` for data channels.
    public var formats: [String]
    /// `i=` media title.
    public var title: String?
    /// `c=` lines (at most one in WebRTC).
    public var connections: [ConnectionData]
    /// `b=` lines, e.g. `b=AS:…`, `b=TIAS:…`.
    public var bandwidths: [Bandwidth]
    /// `k=` (obsolete, RFC 8866 §5.12), kept as written.
    public var encryptionKey: String?
    /// The `a=` lines, in order.
    public var attributes: AttributeList

    public init(
        kind: MediaKind, port: UInt16 = 9, portCount: UInt16? = nil, proto: String = "UDP/TLS/RTP/SAVPF",
        formats: [String], title: String? = nil, connections: [ConnectionData] = [], bandwidths: [Bandwidth] = [],
        encryptionKey: String? = nil, attributes: AttributeList = []
    ) {
        self.kind = kind
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
        self.title = title
        self.connections = connections
        self.bandwidths = bandwidths
        self.encryptionKey = encryptionKey
        self.attributes = attributes
    }

    /// The first `c=` line.
    public var connection: ConnectionData? { connections.first }

    /// `a=mid`.
    public var mid: String? { attributes.mid }

    /// The section's direction; `sendrecv` when none is written (RFC 8866 §6.7).
    public var direction: MediaDirection { attributes.direction ?? .sendrecv }

    /// True if the port is 0: the section is rejected or its transceiver stopped (RFC 8829 §5.2.2, §5.3.1).
    public var isRejected: Bool { port == 0 }

    /// True for RTP profiles (`RTP/AVP`, `UDP/TLS/RTP/SAVPF`, …), whose formats are payload types.
    public var isRTP: Bool { proto.uppercased().contains("RTP/") }

    /// ``formats`` as RTP payload types (formats that are not 0...127 are skipped).
    public var payloadTypes: [UInt8] {
        formats.compactMap { format in
            guard let value: UInt8 = parseDecimal(Substring(format)), value <= 127 else { return nil }
            return value
        }
    }

    static func parseMediaLine(_ value: Substring, line: Int) throws(SDPParseError) -> MediaDescription {
        let fields = value.fields()
        guard fields.count >= 3 else {
            throw .badMediaLine(line: line, reason: "expected \"<media> <port> <proto> <fmt>...\"")
        }
        guard fields[0].allBytes(isTokenChar) else {
            throw .badMediaLine(line: line, reason: "\"\(fields[0])\" is not a media type token")
        }
        var portText = fields[1]
        var portCount: UInt16? = nil
        if let (head, tail) = fields[1].splitOnce(.slash) {
            portText = head
            guard let count: UInt16 = parseDecimal(tail) else {
                throw .badMediaLine(line: line, reason: "port count \"\(tail)\" is not a number")
            }
            portCount = count
        }
        guard let port: UInt16 = parseDecimal(portText) else {
            throw .badPort(line: line, text: String(portText))
        }
        return MediaDescription(
            kind: MediaKind(rawValue: String(fields[0])), port: port, portCount: portCount, proto: String(fields[2]),
            formats: fields.dropFirst(3).map { String($0) })
    }

    func writeMediaLine(to out: inout String) {
        out += kind.rawValue
        out += " "
        out += String(port)
        if let portCount {
            out += "/"
            out += String(portCount)
        }
        out += " "
        out += proto
        for format in formats {
            out += " "
            out += format
        }
    }
}
