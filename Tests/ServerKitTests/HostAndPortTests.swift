import ServerKit
import Testing

@Suite("Flag value parsing")
struct HostAndPortTests {
    @Test("host:port, [ipv6]:port and a default port parse")
    func valid() throws {
        #expect(try HostAndPort(parsing: "apiserver.com:443") == HostAndPort(host: "apiserver.com", port: 443))
        #expect(try HostAndPort(parsing: "127.0.0.1:3306") == HostAndPort(host: "127.0.0.1", port: 3306))
        #expect(try HostAndPort(parsing: "[2001:db8::1]:8443") == HostAndPort(host: "2001:db8::1", port: 8443))
        #expect(try HostAndPort(parsing: "db.local", defaultPort: 3306) == HostAndPort(host: "db.local", port: 3306))
        #expect(HostAndPort(host: "::1", port: 80).description == "[::1]:80")
    }

    @Test(
        "Malformed values are refused with the reason",
        arguments: [
            ("apiserver.com", HostAndPortError.missingPort("apiserver.com")),
            (":443", .missingHost(":443")),
            ("host:0", .badPort("host:0")),
            ("host:70000", .badPort("host:70000")),
            ("host:http", .badPort("host:http")),
            ("[::1:443", .unclosedBracket("[::1:443")),
            ("2001:db8::1:443", .ipv6NeedsBrackets("2001:db8::1:443")),
            ("[::1]x", .unexpectedText("[::1]x")),
            ("http://a/b:1", .unexpectedText("http://a/b:1")),
        ]
    )
    func invalid(text: String, expected: HostAndPortError) {
        #expect(throws: expected) { try HostAndPort(parsing: text) }
    }

    @Test("Port ranges")
    func portRanges() throws {
        #expect(try PortRange(parsing: "49152-65535").count == 16384)
        #expect(throws: PortRangeError.emptyOrReversed("9-2")) { try PortRange(parsing: "9-2") }
        #expect(throws: PortRangeError.notARange("49152")) { try PortRange(parsing: "49152") }
        #expect(throws: PortRangeError.emptyOrReversed("0-10")) { try PortRange(parsing: "0-10") }
    }
}
