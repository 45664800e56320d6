/// `a=rtcp`: the port (and optionally address) for RTCP when it is not RTP port + 1 (RFC 3605 §2.1), e.g.
/// `a=rtcp:9 IN IP4 0.0.0.0`. With `a=rtcp-mux` WebRTC ignores it.
public struct RTCPAddress: Hashable, Sendable {
    public var port: UInt16
    public var connection: ConnectionData?

    public init(port: UInt16, connection: ConnectionData? = nil) {
        self.port = port
        self.connection = connection
    }

    static func parse(_ value: Substring, line: Int) throws(SDPParseError) -> RTCPAddress {
        let fields = value.fields()
        guard fields.count == 1 || fields.count == 4 else {
            throw .badAttribute(line: line, name: "rtcp", reason: "expected \"<port> [IN <addrtype> <address>]\"")
        }
        guard let port: UInt16 = parseDecimal(fields[0]) else {
            throw .badPort(line: line, text: String(fields[0]))
        }
        var connection: ConnectionData? = nil
        if fields.count == 4 {
            connection = ConnectionData(
                networkType: String(fields[1]), addressType: String(fields[2]), address: String(fields[3]))
        }
        return RTCPAddress(port: port, connection: connection)
    }

    func write(to out: inout String) {
        out += String(port)
        if let connection {
            out += " "
            connection.write(to: &out)
        }
    }
}
