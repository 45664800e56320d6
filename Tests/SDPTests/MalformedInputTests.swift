import SDP
import Testing

/// One malformed description and the exact error it must produce.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    let error: SDPParseError
    var testDescription: String { name }
}

/// The session part every case below builds on (lines 1–4).
private let head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
/// A media line at line 5.
private let audio = head + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"

@Suite("Malformed input")
struct MalformedInputTests {
    static let cases: [MalformedCase] = [
        .init(name: "empty", text: "", error: .empty),
        .init(name: "only line endings", text: "\r\n\n", error: .empty),
        .init(name: "missing v=", text: "o=- 1 1 IN IP4 0.0.0.0\r\n", error: .missingVersion(line: 1)),
        .init(name: "garbage first line", text: "hello\r\n", error: .missingVersion(line: 1)),
        .init(name: "version 1", text: "v=1\r\n", error: .unsupportedVersion(line: 1, found: "1")),
        .init(name: "no o=", text: "v=0\r\ns=-\r\nt=0 0\r\n", error: .missingLine(line: 4, type: "o")),
        .init(name: "no s= before m=", text: "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n",
              error: .missingLine(line: 4, type: "s")),
        .init(name: "no t=", text: "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n", error: .missingLine(line: 4, type: "t")),
        .init(name: "line without =", text: head + "a\r\n", error: .malformedLine(line: 5, text: "a")),
        .init(name: "uppercase type", text: head + "A=foo\r\n", error: .malformedLine(line: 5, text: "A=foo")),
        .init(name: "space before =", text: head + "a =foo\r\n", error: .malformedLine(line: 5, text: "a =foo")),
        .init(name: "unknown type", text: head + "x=1\r\n", error: .unknownLineType(line: 5, type: "x")),
        .init(name: "NUL byte", text: head + "a=mid:\u{0}\r\n", error: .invalidCharacter(line: 5)),
        .init(name: "bare CR inside", text: head + "a=mid:0\rx\r\n", error: .invalidCharacter(line: 5)),
        .init(name: "CR CR LF", text: head + "a=mid:0\r\r\n", error: .invalidCharacter(line: 5)),
        .init(name: "second o=", text: head + "o=- 2 2 IN IP4 0.0.0.0\r\n",
              error: .unexpectedLine(line: 5, type: "o", reason: "may appear only once here")),
        .init(name: "second v=", text: head + "v=0\r\n",
              error: .unexpectedLine(line: 5, type: "v", reason: "may appear only once here")),
        .init(name: "t= in media", text: audio + "t=0 0\r\n",
              error: .unexpectedLine(line: 6, type: "t", reason: "only allowed at session level, before the first m=")),
        .init(name: "r= before t=", text: "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nr=7d 1h 0 25h\r\n",
              error: .unexpectedLine(line: 4, type: "r", reason: "a repeat time must follow a t= line")),
        .init(name: "short o=", text: "v=0\r\no=- 1 1 IN IP4\r\n",
              error: .badOrigin(line: 2, reason: "expected 6 fields, found 5")),
        .init(name: "o= session id not numeric", text: "v=0\r\no=- x1 1 IN IP4 0.0.0.0\r\n",
              error: .badOrigin(line: 2, reason: "session id \"x1\" is not a decimal number")),
        .init(name: "o= version overflow", text: "v=0\r\no=- 1 18446744073709551616 IN IP4 0.0.0.0\r\n",
              error: .badOrigin(line: 2, reason: "session version \"18446744073709551616\" is not a 64-bit decimal number")),
        .init(name: "bad c=", text: head + "c=IN IP4\r\n", error: .badConnectionData(line: 5, reason: "expected 3 fields, found 2")),
        .init(name: "b= without colon", text: head + "b=AS\r\n", error: .badBandwidth(line: 5, reason: "expected \"type:value\"")),
        .init(name: "b= value not a number", text: head + "b=AS:-1\r\n",
              error: .badBandwidth(line: 5, reason: "\"-1\" is not a decimal number")),
        .init(name: "bad t=", text: "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0\r\n",
              error: .badTiming(line: 4, reason: "expected \"start stop\", found 1 fields")),
        .init(name: "m= too short", text: head + "m=audio 9\r\n",
              error: .badMediaLine(line: 5, reason: "expected \"<media> <port> <proto> <fmt>...\"")),
        .init(name: "m= port too big", text: head + "m=audio 65536 RTP/AVP 0\r\n", error: .badPort(line: 5, text: "65536")),
        .init(name: "m= port negative", text: head + "m=audio -9 RTP/AVP 0\r\n", error: .badPort(line: 5, text: "-9")),
        .init(name: "m= bad port count", text: head + "m=audio 9/x RTP/AVP 0\r\n",
              error: .badMediaLine(line: 5, reason: "port count \"x\" is not a number")),
        .init(name: "rtpmap payload type 128", text: audio + "a=rtpmap:128 opus/48000/2\r\n",
              error: .badPayloadType(line: 6, text: "128")),
        .init(name: "rtpmap without rate", text: audio + "a=rtpmap:111 opus\r\n",
              error: .badAttribute(line: 6, name: "rtpmap", reason: "expected \"<name>/<rate>[/<parameters>]\"")),
        .init(name: "rtpmap rate not a number", text: audio + "a=rtpmap:111 opus/fast\r\n",
              error: .badNumber(line: 6, field: "rtpmap clock rate", text: "fast")),
        .init(name: "fmtp without parameters", text: audio + "a=fmtp:111\r\n",
              error: .badAttribute(line: 6, name: "fmtp", reason: "expected \"<format> <parameters>\"")),
        .init(name: "rtcp-fb without type", text: audio + "a=rtcp-fb:111\r\n",
              error: .badAttribute(line: 6, name: "rtcp-fb", reason: "expected \"<pt> <type> [<parameter>]\"")),
        .init(name: "rtcp-fb bad payload type", text: audio + "a=rtcp-fb:x nack\r\n", error: .badPayloadType(line: 6, text: "x")),
        .init(name: "extmap bad direction", text: audio + "a=extmap:1/up urn:x\r\n",
              error: .badAttribute(line: 6, name: "extmap", reason: "unknown direction \"up\"")),
        .init(name: "extmap id overflow", text: audio + "a=extmap:70000 urn:x\r\n",
              error: .badNumber(line: 6, field: "extmap id", text: "70000")),
        .init(name: "ssrc overflow", text: audio + "a=ssrc:4294967296 cname:x\r\n",
              error: .badNumber(line: 6, field: "ssrc", text: "4294967296")),
        .init(name: "ssrc without attribute", text: audio + "a=ssrc:1\r\n",
              error: .badAttribute(line: 6, name: "ssrc", reason: "expected \"<ssrc> <attribute>[:<value>]\"")),
        .init(name: "ssrc-group bad ssrc", text: audio + "a=ssrc-group:FID 1 two\r\n",
              error: .badNumber(line: 6, field: "ssrc-group ssrc", text: "two")),
        .init(name: "mid without value", text: audio + "a=mid\r\n", error: .badAttribute(line: 6, name: "mid", reason: "missing value")),
        .init(name: "mid with spaces", text: audio + "a=mid:a b\r\n",
              error: .badAttribute(line: 6, name: "mid", reason: "expected one value without spaces")),
        .init(name: "ice-options empty", text: audio + "a=ice-options:\r\n",
              error: .badAttribute(line: 6, name: "ice-options", reason: "no options")),
        .init(name: "setup unknown role", text: audio + "a=setup:client\r\n",
              error: .badAttribute(line: 6, name: "setup", reason: "\"client\" is not active, passive, actpass or holdconn")),
        .init(name: "fingerprint bad hex", text: audio + "a=fingerprint:sha-256 ZZ:00\r\n",
              error: .badFingerprint(line: 6, reason: "\"ZZ\" is not a pair of hex digits")),
        .init(name: "fingerprint wrong length", text: audio + "a=fingerprint:sha-256 00:11\r\n",
              error: .badFingerprint(line: 6, reason: "sha-256 digest must be 32 bytes, found 2")),
        .init(name: "fingerprint missing digest", text: audio + "a=fingerprint:sha-256\r\n",
              error: .badFingerprint(line: 6, reason: "expected \"hash-function hex\", found 1 fields")),
        .init(name: "fingerprint single digit", text: audio + "a=fingerprint:x 0:11\r\n",
              error: .badFingerprint(line: 6, reason: "\"0\" is not a pair of hex digits")),
        .init(name: "candidate too short", text: audio + "a=candidate:1 1 udp 1 192.0.2.1 5000\r\n",
              error: .badCandidate(line: 6, reason: "expected at least 8 fields, found 6")),
        .init(name: "candidate bad port", text: audio + "a=candidate:1 1 udp 1 192.0.2.1 99999 typ host\r\n",
              error: .badCandidate(line: 6, reason: "port \"99999\" is not a number from 0 to 65535")),
        .init(name: "rtcp bad port", text: audio + "a=rtcp:port\r\n", error: .badPort(line: 6, text: "port")),
        .init(name: "rtcp three fields", text: audio + "a=rtcp:9 IN IP4\r\n",
              error: .badAttribute(line: 6, name: "rtcp", reason: "expected \"<port> [IN <addrtype> <address>]\"")),
        .init(name: "sctp-port overflow", text: audio + "a=sctp-port:70000\r\n", error: .badPort(line: 6, text: "70000")),
        .init(name: "max-message-size text", text: audio + "a=max-message-size:big\r\n",
              error: .badNumber(line: 6, field: "max-message-size", text: "big")),
        .init(name: "simulcast bad direction", text: audio + "a=simulcast:both 1\r\n",
              error: .badAttribute(line: 6, name: "simulcast", reason: "expected \"send\" or \"recv\" once each, found \"both\"")),
        .init(name: "simulcast send twice", text: audio + "a=simulcast:send 1 send 2\r\n",
              error: .badAttribute(line: 6, name: "simulcast", reason: "expected \"send\" or \"recv\" once each, found \"send\"")),
        .init(name: "simulcast empty rid", text: audio + "a=simulcast:send 1;;2\r\n",
              error: .badAttribute(line: 6, name: "simulcast", reason: "\"\" is not a rid-id")),
        .init(name: "simulcast old draft syntax", text: audio + "a=simulcast:send rid=1;2\r\n",
              error: .badAttribute(line: 6, name: "simulcast", reason: "\"rid=1\" is not a rid-id")),
        .init(name: "rid bad direction", text: audio + "a=rid:1 both\r\n",
              error: .badAttribute(line: 6, name: "rid", reason: "direction \"both\" is not send or recv")),
        .init(name: "rid bad id", text: audio + "a=rid:a.b send\r\n",
              error: .badAttribute(line: 6, name: "rid", reason: "\"a.b\" is not a rid-id")),
        .init(name: "rid bad pt", text: audio + "a=rid:1 send pt=96,x\r\n", error: .badPayloadType(line: 6, text: "x")),
        .init(name: "rid empty restriction", text: audio + "a=rid:1 send pt=96;;max-width=1\r\n",
              error: .badAttribute(line: 6, name: "rid", reason: "empty restriction")),
        .init(name: "msid three fields", text: audio + "a=msid:a b c\r\n",
              error: .badAttribute(line: 6, name: "msid", reason: "expected \"<stream id> [<track id>]\"")),
        .init(name: "group without semantics", text: head + "a=group:\r\n",
              error: .badAttribute(line: 5, name: "group", reason: "expected \"<semantics> <mid>...\"")),
        .init(name: "LF-only line numbers", text: "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\nm=audio x RTP/AVP 0\n",
              error: .badPort(line: 5, text: "x")),
    ]

    @Test(arguments: cases)
    func rejectsWithSpecificError(testCase: MalformedCase) {
        #expect(throws: testCase.error) {
            _ = try SessionDescription.parse(testCase.text)
        }
    }

    @Test(arguments: cases)
    func errorsDescribeThemselves(testCase: MalformedCase) {
        let error = testCase.error
        #expect(error.description.hasPrefix(error == .empty ? "SDP is empty" : "SDP line \(error.line):"))
        #expect(error.code.hasPrefix("sdp."))
    }

    @Test func typedThrowsNeedNoCast() {
        do {
            _ = try SessionDescription.parse("v=0\r\n")
            Issue.record("parsed an incomplete description")
        } catch {
            // `error` is statically an SDPParseError.
            #expect(error.line == 2)
            #expect(error.code == "sdp.missing-line")
            #expect(error.description == "SDP line 2: the required \"o=\" line is missing")
        }
    }
}
