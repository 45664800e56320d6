/// A `host:port` pair as the deployment flags take it (`--domainaddress apiserver.com:443`,
/// `--apiserver apiserver.com:443`, `--mysqlAddress 127.0.0.1:3306`). IPv6 literals are written in brackets
/// (`[2001:db8::1]:443`, RFC 3986 §3.2.2).
public struct HostAndPort: Sendable, Hashable, CustomStringConvertible {
    /// A host name or an IP literal, without brackets.
    public var host: String
    /// The TCP or UDP port, 1–65535.
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` or `[ipv6]:port`; when `defaultPort` is given, a bare host is accepted too.
    public init(parsing text: String, defaultPort: UInt16? = nil) throws(HostAndPortError) {
        guard text.allSatisfy({ !$0.isWhitespace && $0 != "/" }) else { throw .unexpectedText(text) }
        let hostPart: Substring
        let portPart: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .unclosedBracket(text) }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if rest.isEmpty {
                portPart = nil
            } else if rest.first == ":" {
                portPart = rest.dropFirst()
            } else {
                throw .unexpectedText(text)
            }
        } else if let colon = text.lastIndex(of: ":") {
            hostPart = text[..<colon]
            guard !hostPart.contains(":") else { throw .ipv6NeedsBrackets(text) }
            portPart = text[text.index(after: colon)...]
        } else {
            hostPart = Substring(text)
            portPart = nil
        }
        guard !hostPart.isEmpty else { throw .missingHost(text) }
        let port: UInt16
        if let portPart {
            guard let value = UInt16(portPart), value > 0 else { throw .badPort(text) }
            port = value
        } else if let defaultPort {
            port = defaultPort
        } else {
            throw .missingPort(text)
        }
        self.init(host: String(hostPart), port: port)
    }

    /// `host:port`, with brackets around an IPv6 literal.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// Why a `host:port` flag value was refused.
public enum HostAndPortError: Error, Hashable, Sendable, CustomStringConvertible {
    case missingHost(String)
    case missingPort(String)
    case badPort(String)
    case unclosedBracket(String)
    case ipv6NeedsBrackets(String)
    case unexpectedText(String)

    public var description: String {
        switch self {
        case .missingHost(let text): "'\(text)' has no host; expected host:port, e.g. meeting.example.com:443"
        case .missingPort(let text): "'\(text)' has no port; expected host:port, e.g. meeting.example.com:443"
        case .badPort(let text): "'\(text)' has a port that is not a number from 1 to 65535"
        case .unclosedBracket(let text): "'\(text)' opens '[' for an IPv6 address but never closes it"
        case .ipv6NeedsBrackets(let text): "'\(text)' looks like an IPv6 address: write it as [address]:port"
        case .unexpectedText(let text): "'\(text)' is not host:port (no scheme, path or spaces)"
        }
    }
}
