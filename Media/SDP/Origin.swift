/// The `o=` line: who created the session and which version of the description this is (RFC 8866 §5.2).
///
/// JSEP (RFC 8829 §5.2.1) fixes `username` to `-`, makes `sessionID` a random 62-bit number and increments
/// `sessionVersion` every time a new description of the same session is made.
public struct Origin: Hashable, Sendable {
    /// The user's login, or `-`.
    public var username: String
    /// The session identifier, a string of decimal digits kept exactly as written (it only identifies).
    public var sessionID: String
    /// The version of this description; grows by one with every new offer or answer.
    public var sessionVersion: UInt64
    /// `IN` for the Internet.
    public var networkType: String
    /// `IP4` or `IP6`.
    public var addressType: String
    /// The address (or FQDN) of the machine that created the session; JSEP writes a placeholder.
    public var unicastAddress: String

    public init(
        username: String = "-", sessionID: String, sessionVersion: UInt64, networkType: String = "IN",
        addressType: String = "IP4", unicastAddress: String = "127.0.0.1"
    ) {
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.networkType = networkType
        self.addressType = addressType
        self.unicastAddress = unicastAddress
    }

    static func parse(_ value: Substring, line: Int) throws(SDPParseError) -> Origin {
        let fields = value.fields()
        guard fields.count == 6 else {
            throw .badOrigin(line: line, reason: "expected 6 fields, found \(fields.count)")
        }
        guard fields[1].allBytes({ $0.isASCIIDigit }) else {
            throw .badOrigin(line: line, reason: "session id \"\(fields[1])\" is not a decimal number")
        }
        guard let version: UInt64 = parseDecimal(fields[2]) else {
            throw .badOrigin(line: line, reason: "session version \"\(fields[2])\" is not a 64-bit decimal number")
        }
        return Origin(
            username: String(fields[0]), sessionID: String(fields[1]), sessionVersion: version,
            networkType: String(fields[3]), addressType: String(fields[4]), unicastAddress: String(fields[5]))
    }

    func write(to out: inout String) {
        out += username
        out += " "
        out += sessionID
        out += " "
        out += String(sessionVersion)
        out += " "
        out += networkType
        out += " "
        out += addressType
        out += " "
        out += unicastAddress
    }
}
