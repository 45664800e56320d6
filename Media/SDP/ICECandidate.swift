/// An ICE candidate as written in `a=candidate` or sent alone by trickle ICE (RFC 8839 §5.1, RFC 8838 §4):
///
/// ```
/// candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
///           [raddr <address>] [rport <port>] *(<extension-name> <extension-value>)
/// ```
///
/// Extension pairs (`tcptype` from RFC 6544 §4.5, and Chromium's `generation`, `ufrag`, `network-id`,
/// `network-cost`) are kept in ``extensions`` in their original order, unknown ones included, so a candidate
/// re-serializes exactly; typed accessors read and write the known ones.
public struct ICECandidate: Hashable, Sendable, CustomStringConvertible {
    /// The candidate's transport protocol. Written lowercase; parsed case-insensitively (Firefox writes `UDP`).
    public enum Transport: Hashable, Sendable {
        case udp
        case tcp
        /// A transport extension token, kept as written.
        case other(String)

        init(_ text: Substring) {
            if text.utf8.elementsEqual("udp".utf8) || text.lowercased() == "udp" {
                self = .udp
            } else if text.utf8.elementsEqual("tcp".utf8) || text.lowercased() == "tcp" {
                self = .tcp
            } else {
                self = .other(String(text))
            }
        }

        /// The token as written in SDP.
        public var token: String {
            switch self {
            case .udp: return "udp"
            case .tcp: return "tcp"
            case .other(let token): return token
            }
        }
    }

    /// How the candidate's address was learned (RFC 8445 §5.1.1, RFC 8839 §5.1 `cand-type`).
    public enum Kind: Hashable, Sendable {
        /// `host`: an address of a local interface (or an mDNS name hiding one).
        case host
        /// `srflx`: server reflexive, the NAT's public side as seen by a STUN server.
        case serverReflexive
        /// `prflx`: peer reflexive, learned from a peer's connectivity check.
        case peerReflexive
        /// `relay`: an address on a TURN server.
        case relay
        /// Any other type token, kept as written.
        case other(String)

        init(_ text: Substring) {
            switch text {
            case "host": self = .host
            case "srflx": self = .serverReflexive
            case "prflx": self = .peerReflexive
            case "relay": self = .relay
            default: self = .other(String(text))
            }
        }

        /// The token as written after `typ`.
        public var token: String {
            switch self {
            case .host: return "host"
            case .serverReflexive: return "srflx"
            case .peerReflexive: return "prflx"
            case .relay: return "relay"
            case .other(let token): return token
            }
        }
    }

    /// The role of a TCP candidate (RFC 6544 §4.5).
    public enum TCPType: String, Hashable, Sendable, CaseIterable {
        case active
        case passive
        /// Simultaneous open.
        case simultaneousOpen = "so"
    }

    /// One `name value` pair after the fixed fields.
    public struct Extension: Hashable, Sendable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Groups candidates that share type, base and server (1 to 32 `ice-char`s).
    public var foundation: String
    /// 1 for RTP, 2 for RTCP when not multiplexed (1...256).
    public var component: UInt16
    public var transport: Transport
    /// The candidate priority (RFC 8445 §5.1.2).
    public var priority: UInt32
    /// An IPv4 or IPv6 address, or an FQDN such as an mDNS `….local` name (RFC 8839 §5.1, mDNS ICE draft).
    public var address: String
    public var port: UInt16
    public var kind: Kind
    /// `raddr`: the base a reflexive or relayed candidate was derived from.
    public var relatedAddress: String?
    /// `rport`: the port of ``relatedAddress``.
    public var relatedPort: UInt16?
    /// Every pair after `typ`/`raddr`/`rport`, in order.
    public var extensions: [Extension]

    public init(
        foundation: String, component: UInt16 = 1, transport: Transport = .udp, priority: UInt32, address: String,
        port: UInt16, kind: Kind, relatedAddress: String? = nil, relatedPort: UInt16? = nil,
        extensions: [Extension] = []
    ) {
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.port = port
        self.kind = kind
        self.relatedAddress = relatedAddress
        self.relatedPort = relatedPort
        self.extensions = extensions
    }

    // MARK: Known extensions

    /// The value of the first extension named `name`.
    public func extensionValue(_ name: String) -> String? {
        extensions.first { $0.name == name }?.value
    }

    /// Replaces the value of the first extension named `name`, appends it if absent, or removes every extension
    /// of that name when `value` is nil.
    public mutating func setExtensionValue(_ name: String, _ value: String?) {
        guard let value else {
            extensions.removeAll { $0.name == name }
            return
        }
        if let index = extensions.firstIndex(where: { $0.name == name }) {
            extensions[index].value = value
        } else {
            extensions.append(Extension(name: name, value: value))
        }
    }

    /// `tcptype` (RFC 6544 §4.5).
    public var tcpType: TCPType? {
        get { extensionValue("tcptype").flatMap(TCPType.init(rawValue:)) }
        set { setExtensionValue("tcptype", newValue?.rawValue) }
    }

    /// Chromium's `generation`: which ICE restart gathered this candidate.
    public var generation: UInt32? {
        get { extensionValue("generation").flatMap { parseDecimal(Substring($0)) } }
        set { setExtensionValue("generation", newValue.map { String($0) }) }
    }

    /// `ufrag`: the ICE username fragment the candidate belongs to (trickle ICE, RFC 8838 §4.4).
    public var usernameFragment: String? {
        get { extensionValue("ufrag") }
        set { setExtensionValue("ufrag", newValue) }
    }

    /// Chromium's `network-id`: which local network interface gathered the candidate.
    public var networkID: UInt32? {
        get { extensionValue("network-id").flatMap { parseDecimal(Substring($0)) } }
        set { setExtensionValue("network-id", newValue.map { String($0) }) }
    }

    /// Chromium's `network-cost`: 0 for wired, 10 for Wi-Fi, 900 for cellular, 999 unknown.
    public var networkCost: UInt32? {
        get { extensionValue("network-cost").flatMap { parseDecimal(Substring($0)) } }
        set { setExtensionValue("network-cost", newValue.map { String($0) }) }
    }

    /// True if the address is a multicast DNS name (`….local`) that hides a host address.
    public var isMDNSAddress: Bool {
        address.utf8.count > 6 && address.lowercased().hasSuffix(".local")
    }

    // MARK: Text

    /// Parses a candidate as trickle ICE sends it: `candidate:…`, with or without an `a=` prefix and trailing
    /// line ending (a line break or NUL anywhere else is an error).
    /// - Throws: ``SDPParseError/badCandidate(line:reason:)`` (line 1) naming what was wrong.
    public static func parse(_ text: String) throws(SDPParseError) -> ICECandidate {
        var value = Substring(text)
        while let last = value.utf8.last, last == .lineFeed || last == .carriageReturn {
            value = value.dropLast()
        }
        if value.utf8.starts(with: "a=".utf8) { value = value.dropFirst(2) }
        guard value.utf8.starts(with: "candidate:".utf8) else {
            throw .badCandidate(line: 1, reason: "does not start with \"candidate:\"")
        }
        guard !value.containsLineBreakOrNUL else {
            throw .badCandidate(line: 1, reason: "contains a line break or NUL")
        }
        return try parseValue(value.dropFirst(10), line: 1)
    }

    /// The candidate as trickle ICE sends it: `candidate:…` without `a=` and without a line ending.
    public func serialize() -> String {
        var out = "candidate:"
        write(to: &out)
        return out
    }

    public var description: String { serialize() }

    /// Parses the value of `a=candidate:` (the text after the colon).
    static func parseValue(_ value: Substring, line: Int) throws(SDPParseError) -> ICECandidate {
        let fields = value.fields()
        guard fields.count >= 8 else {
            throw .badCandidate(line: line, reason: "expected at least 8 fields, found \(fields.count)")
        }
        let foundation = fields[0]
        guard foundation.allBytes(isICEChar), foundation.utf8.count <= 32 else {
            throw .badCandidate(line: line, reason: "foundation \"\(foundation)\" is not 1 to 32 ice-chars")
        }
        guard let component: UInt16 = parseDecimal(fields[1]), (1...256).contains(component) else {
            throw .badCandidate(line: line, reason: "component \"\(fields[1])\" is not a number from 1 to 256")
        }
        guard fields[2].allBytes(isTokenChar) else {
            throw .badCandidate(line: line, reason: "transport \"\(fields[2])\" is not a token")
        }
        guard let priority: UInt32 = parseDecimal(fields[3]) else {
            throw .badCandidate(line: line, reason: "priority \"\(fields[3])\" is not a 32-bit number")
        }
        guard let port: UInt16 = parseDecimal(fields[5]) else {
            throw .badCandidate(line: line, reason: "port \"\(fields[5])\" is not a number from 0 to 65535")
        }
        guard fields[6] == "typ" else {
            throw .badCandidate(line: line, reason: "expected \"typ\" after the port, found \"\(fields[6])\"")
        }
        guard fields[7].allBytes(isTokenChar) else {
            throw .badCandidate(line: line, reason: "type \"\(fields[7])\" is not a token")
        }
        var candidate = ICECandidate(
            foundation: String(foundation), component: component, transport: Transport(fields[2]),
            priority: priority, address: String(fields[4]), port: port, kind: Kind(fields[7]))
        var index = 8
        if index + 1 < fields.count, fields[index] == "raddr" {
            candidate.relatedAddress = String(fields[index + 1])
            index += 2
        }
        if index + 1 < fields.count, fields[index] == "rport" {
            guard let relatedPort: UInt16 = parseDecimal(fields[index + 1]) else {
                throw .badCandidate(line: line, reason: "rport \"\(fields[index + 1])\" is not a port number")
            }
            candidate.relatedPort = relatedPort
            index += 2
        }
        guard (fields.count - index) % 2 == 0 else {
            throw .badCandidate(
                line: line, reason: "extension \"\(fields[fields.count - 1])\" has no value")
        }
        candidate.extensions.reserveCapacity((fields.count - index) / 2)
        while index + 1 < fields.count {
            let name = fields[index]
            let value = fields[index + 1]
            switch name {
            case "tcptype":
                guard TCPType(rawValue: String(value)) != nil else {
                    throw .badCandidate(line: line, reason: "tcptype \"\(value)\" is not active, passive or so")
                }
            case "generation", "network-id", "network-cost":
                guard parseDecimal(value, as: UInt32.self) != nil else {
                    throw .badCandidate(line: line, reason: "\(name) \"\(value)\" is not a 32-bit number")
                }
            default:
                break
            }
            candidate.extensions.append(Extension(name: String(name), value: String(value)))
            index += 2
        }
        return candidate
    }

    /// Writes the value of `a=candidate:` (without the `candidate:` prefix).
    func write(to out: inout String) {
        out += foundation
        out += " "
        out += String(component)
        out += " "
        out += transport.token
        out += " "
        out += String(priority)
        out += " "
        out += address
        out += " "
        out += String(port)
        out += " typ "
        out += kind.token
        if let relatedAddress {
            out += " raddr "
            out += relatedAddress
        }
        if let relatedPort {
            out += " rport "
            out += String(relatedPort)
        }
        for pair in extensions {
            out += " "
            out += pair.name
            out += " "
            out += pair.value
        }
    }
}
