import NIOCore
import STUN
import Testing

/// Message type encoding, transaction IDs, addresses, and the exact wire form of individual attributes.
struct STUNHeaderAndAttributeTests {
    @Test func messageTypeInterleavesMethodAndClass() {
        // RFC 8489 §5 / RFC 8656 examples.
        let table: [(STUNMethod, STUNClass, UInt16)] = [
            (.binding, .request, 0x0001), (.binding, .indication, 0x0011), (.binding, .successResponse, 0x0101),
            (.binding, .errorResponse, 0x0111), (.allocate, .request, 0x0003), (.allocate, .successResponse, 0x0103),
            (.allocate, .errorResponse, 0x0113), (.send, .indication, 0x0016), (.data, .indication, 0x0017),
            (.createPermission, .request, 0x0008), (.channelBind, .request, 0x0009), (.refresh, .request, 0x0004),
            (.connect, .request, 0x000A), (.connectionBind, .request, 0x000B), (.connectionAttempt, .indication, 0x001C),
        ]
        for (method, messageClass, raw) in table {
            let type = STUNMessageType(method: method, messageClass: messageClass)
            #expect(type.rawValue == raw, "\(type)")
            #expect(STUNMessageType(rawValue: raw) == type)
        }
        // Every 12-bit method and class survives the interleaving.
        for method in stride(from: UInt16(0), through: 0xFFF, by: 1) {
            for messageClass in STUNClass.allCases {
                let type = STUNMessageType(method: STUNMethod(rawValue: method) ?? .binding, messageClass: messageClass)
                #expect(type.rawValue & 0xC000 == 0)
                #expect(STUNMessageType(rawValue: type.rawValue) == type)
            }
        }
        #expect(STUNMethod(rawValue: 0x1000) == nil)
        #expect(STUNMessageType(rawValue: 0x0113).description == "Allocate error response")
    }

    @Test func transactionIDs() {
        let bytes: [UInt8] = Array(1...12)
        let id = STUNTransactionID(bytes: bytes)
        #expect(id?.bytes == bytes)
        #expect(id?.description == "0102030405060708090a0b0c")
        #expect(STUNTransactionID(bytes: Array(1...11)) == nil)
        var first = SplitMix64(seed: 7)
        var second = SplitMix64(seed: 7)
        #expect(STUNTransactionID.random(using: &first) == STUNTransactionID.random(using: &second))
        #expect(STUNTransactionID.random() != STUNTransactionID.random())
    }

    @Test func ipAddressTextForms() throws {
        let cases: [(String, String)] = [
            ("192.0.2.1", "192.0.2.1"), ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"),
            ("2001:db8::1", "2001:db8::1"), ("2001:0DB8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"),
            ("::", "::"), ("::1", "::1"), ("fe80::1%eth0", "fe80::1"), ("::ffff:192.0.2.9", "::ffff:c000:209"),
            ("1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0"), ("2001:db8:1234:5678:11:2233:4455:6677", "2001:db8:1234:5678:11:2233:4455:6677"),
        ]
        for (input, canonical) in cases {
            #expect(STUNIPAddress(input)?.description == canonical, "\(input)")
        }
        for bad in ["", "1.2.3", "1.2.3.256", "1.2.3.4.5", "::1::", "12345::", "g::1", "1:2:3:4:5:6:7:8:9", ":::", "a.b.c.d"] {
            #expect(STUNIPAddress(bad) == nil, "\(bad)")
        }
        #expect(STUNIPAddress(bytes: [192, 0, 2, 1]) == .v4(0xC000_0201))
        #expect(STUNIPAddress("2001:db8::1")?.bytes == [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1])
        let address = STUNTransportAddress(address: try #require(STUNIPAddress("2001:db8::1")), port: 3478)
        let socketAddress = try address.socketAddress()
        #expect(socketAddress.port == 3478)
        #expect(STUNTransportAddress(socketAddress) == address)
        let v4 = STUNTransportAddress(address: .v4(0x7F00_0001), port: 9)
        #expect(STUNTransportAddress(try v4.socketAddress()) == v4)
    }

    /// Each attribute's value bytes as the RFCs lay them out, written after a fixed header (transaction ID 1...12).
    @Test func attributeWireForms() throws {
        let id = STUNTransactionID(bytes: Array(1...12)) ?? .random()
        func body(_ attribute: STUNAttribute) throws -> [UInt8] {
            Array(try STUNMessage(method: .binding, messageClass: .request, transactionID: id, attributes: [attribute]).bytes()[20...])
        }
        let peer = STUNTransportAddress(address: .v4(0xC000_0201), port: 32853)
        #expect(try body(.mappedAddress(peer)) == hexBytes("00 01 00 08 00 01 80 55 c0 00 02 01"))
        #expect(try body(.xorPeerAddress(peer)) == hexBytes("00 12 00 08 00 01 a1 47 e1 12 a6 43"))
        #expect(try body(.xorRelayedAddress(peer)) == hexBytes("00 16 00 08 00 01 a1 47 e1 12 a6 43"))
        #expect(try body(.alternateServer(peer)) == hexBytes("80 23 00 08 00 01 80 55 c0 00 02 01"))
        #expect(try body(.errorCode(.staleNonce)) == hexBytes("00 09 00 0f 00 00 04 26") + Array("Stale Nonce".utf8) + [0])
        #expect(try body(.addressErrorCode(family: .ipv6, .addressFamilyNotSupported.with(reason: "")))
            == hexBytes("80 01 00 04 02 00 04 28"))
        #expect(try body(.channelNumber(0x4001)) == hexBytes("00 0c 00 04 40 01 00 00"))
        #expect(try body(.lifetime(600)) == hexBytes("00 0d 00 04 00 00 02 58"))
        #expect(try body(.requestedTransport(protocolNumber: 17)) == hexBytes("00 19 00 04 11 00 00 00"))
        #expect(try body(.requestedAddressFamily(.ipv6)) == hexBytes("00 17 00 04 02 00 00 00"))
        #expect(try body(.additionalAddressFamily(.ipv6)) == hexBytes("80 00 00 04 02 00 00 00"))
        #expect(try body(.evenPort(reserveNextPort: true)) == hexBytes("00 18 00 01 80 00 00 00"))
        #expect(try body(.dontFragment) == hexBytes("00 1a 00 00"))
        #expect(try body(.reservationToken(0x0102_0304_0506_0708)) == hexBytes("00 22 00 08 01 02 03 04 05 06 07 08"))
        #expect(try body(.icmp(type: 3, code: 4, errorData: 1400)) == hexBytes("80 04 00 08 00 00 03 04 00 00 05 78"))
        #expect(try body(.connectionID(0xDEAD_BEEF)) == hexBytes("00 2a 00 04 de ad be ef"))
        #expect(try body(.priority(0x6e00_01ff)) == hexBytes("00 24 00 04 6e 00 01 ff"))
        #expect(try body(.useCandidate) == hexBytes("00 25 00 00"))
        #expect(try body(.iceControlling(tieBreaker: 1)) == hexBytes("80 2a 00 08 00 00 00 00 00 00 00 01"))
        #expect(try body(.iceControlled(tieBreaker: 2)) == hexBytes("80 29 00 08 00 00 00 00 00 00 00 02"))
        #expect(try body(.data(ByteBuffer(bytes: [1, 2, 3]))) == hexBytes("00 13 00 03 01 02 03 00"))
        #expect(try body(.unknownAttributes([.init(rawValue: 0x0003)])) == hexBytes("00 0a 00 02 00 03 00 00"))
        #expect(try body(.passwordAlgorithms([.md5, .sha256])) == hexBytes("80 02 00 08 00 01 00 00 00 02 00 00"))
        #expect(try body(.passwordAlgorithm(.sha256)) == hexBytes("00 1d 00 04 00 02 00 00"))
        #expect(try body(.software("ab")) == hexBytes("80 22 00 02 61 62 00 00"))
        #expect(try body(.alternateDomain("x.org")) == hexBytes("80 03 00 05 78 2e 6f 72 67 00 00 00"))
        #expect(try body(.unknown(.init(rawValue: 0xC057), [1])) == hexBytes("c0 57 00 01 01 00 00 00"))
    }

    @Test func credentialKeys() {
        // RFC 8489 §9.2.2: MD5("user:realm:pass"); compare with a known MD5.
        let md5 = STUNIntegrityKey.longTerm(username: "user", realm: "realm", password: "pass")
        #expect(md5.bytes == hexBytes("8493fbc53ba582fb4c044c456bdc40eb"))
        // SHA-256 variant: SHA-256("user:realm:pass").
        let sha = STUNIntegrityKey.longTerm(username: "user", realm: "realm", password: "pass", passwordAlgorithm: .sha256)
        #expect(sha.bytes.count == 32)
        #expect(sha.bytes != md5.bytes)
        #expect(STUNIntegrityKey.shortTerm(password: "pw").bytes == Array("pw".utf8))
        // USERHASH = SHA-256("user:realm").
        #expect(STUNUserHash.compute(username: "user", realm: "realm").count == 32)
    }

    @Test func crc32KnownAnswer() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
    }

    @Test func fingerprintOnlyMessage() throws {
        let message = STUNMessage(method: .binding, messageClass: .indication)
        let bytes = try message.bytes(fingerprint: true)
        #expect(bytes.count == 28)
        let parsed = try STUNMessage(parsing: bytes)
        guard case .fingerprint(let value) = parsed.attributes.first else {
            Issue.record("no FINGERPRINT")
            return
        }
        #expect(value == CRC32.checksum(bytes[0..<20]) ^ STUNMessage.fingerprintXOR)
        #expect(STUNMessage.looksLikeSTUN(ByteBuffer(bytes: bytes)))
        #expect(!STUNMessage.looksLikeSTUN(ByteBuffer(bytes: [0x80] + bytes.dropFirst())))
    }

    /// A key given for a message whose attributes already end in FINGERPRINT: the integrity attribute goes before it.
    @Test func integrityIsInsertedBeforeANamedFingerprint() throws {
        let key = STUNIntegrityKey.shortTerm(password: "pw")
        let message = STUNMessage(method: .binding, messageClass: .request, attributes: [.priority(1), .fingerprint(0)])
        let bytes = try message.bytes(integrityKey: key)
        let parsed = try STUNMessage(parsing: bytes, integrityKey: key)
        #expect(parsed.attributes.map(\.type) == [.priority, .messageIntegrity, .fingerprint])
    }
}
