import NIOCore
import STUN
import Testing
import TestSupport

/// Real ICE connectivity checks between headless Chromium and aiortc (Fixtures/packets/chromium-stun.hex, see
/// Fixtures/README.md): every message parses, its MESSAGE-INTEGRITY verifies with the right ice-pwd, its FINGERPRINT
/// is checked, and our writer reproduces it byte for byte.
struct ChromiumCaptureTests {
    static let path = "packets/chromium-stun.hex"

    /// `# name=value name=value` header lines of the capture (ice-ufrag, ice-pwd).
    static func header(_ name: String, in text: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("# \(name) ") {
            for pair in line.dropFirst(name.count + 3).split(separator: " ") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
            }
        }
        return result
    }

    @Test func iceChecksParseAndVerify() throws {
        let text = try Fixtures.text(Self.path)
        let ufrags = Self.header("ice-ufrag", in: text)
        let passwords = Self.header("ice-pwd", in: text)
        let packets = try Fixtures.hexLines(Self.path)
        #expect(packets.count >= 2)
        #expect(ufrags.count == 2 && passwords.count == 2)
        // ufrag -> key of that agent (a request is verified with the receiver's password).
        var keyByUfrag: [String: STUNIntegrityKey] = [:]
        for (agent, ufrag) in ufrags {
            if let password = passwords[agent] { keyByUfrag[ufrag] = .shortTerm(password: password) }
        }
        var keyByTransaction: [STUNTransactionID: STUNIntegrityKey] = [:]
        var requests = 0
        var responses = 0
        for packet in packets {
            #expect(MultiplexedPacketKind(of: ByteBuffer(bytes: packet)) == .stun)
            let message = try STUNMessage(parsing: packet)  // verifies FINGERPRINT
            #expect(message.method == .binding)
            #expect(message.attributes.last?.type == .fingerprint)
            let key: STUNIntegrityKey
            switch message.messageClass {
            case .request:
                requests += 1
                // USERNAME = <receiver ufrag>:<sender ufrag> (RFC 8445 §7.2.2).
                let receiver = try #require(message.username?.split(separator: ":").first.map(String.init))
                key = try #require(keyByUfrag[receiver])
                keyByTransaction[message.transactionID] = key
                #expect(message.attributes.contains { $0.type == .priority })
                #expect(message.attributes.contains { $0.type == .iceControlling || $0.type == .iceControlled })
            case .successResponse:
                responses += 1
                key = try #require(keyByTransaction[message.transactionID], "response without a captured request")
                let mapped = try #require(message.xorMappedAddress)
                #expect(["192.0.2.2", "127.0.0.1"].contains(mapped.address.description))
            default:
                Issue.record("unexpected \(message.type)")
                continue
            }
            try STUNMessage.verifyIntegrity(of: packet, key: key)
            _ = try STUNMessage(parsing: ByteBuffer(bytes: packet), integrityKey: key)
            // Our writer, given the same attributes and key, produces the same bytes (zero padding on both sides).
            #expect(try message.bytes(integrityKey: key) == packet)
            // The other agent's password must not verify.
            for (_, other) in keyByUfrag where other != key {
                #expect(throws: STUNParseError.badIntegrity(.hmacSHA1)) {
                    try STUNMessage.verifyIntegrity(of: packet, key: other)
                }
            }
        }
        #expect(requests > 0 && responses > 0)
    }
}
