import NIOCore
import STUN
import Testing
import TestSupport

/// RFC 5769's four sample messages, stored byte for byte in Fixtures/stun/ (see Fixtures/README.md).
struct RFC5769Tests {
    static let shortTermKey = STUNIntegrityKey.shortTerm(password: "VOkJxbRl1RmTxUk/WvJxBt")
    /// §2.4: the username is U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9; "TheMatrIX" is the SASLprep'd form of the
    /// RFC's password "The\u{00AA}M\u{00AA}tr\u{2168}" (we do not implement SASLprep and pass the prepared form).
    static let longTermUsername = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}"
    static let longTermKey = STUNIntegrityKey.longTerm(
        username: longTermUsername, realm: "example.org", password: "TheMatrIX")
    static let transactionID = STUNTransactionID(bytes: hexBytes("b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"))

    @Test func sampleRequest() throws {
        let bytes = try Fixtures.data("stun/rfc5769-2.1-request.bin")
        #expect(bytes.count == 108)
        let message = try STUNMessage(parsing: bytes)
        #expect(message.method == .binding)
        #expect(message.messageClass == .request)
        #expect(message.transactionID == Self.transactionID)
        #expect(message.attributes == [
            .software("STUN test client"),
            .priority(0x6e00_01ff),
            .iceControlled(tieBreaker: 0x932f_f9b1_5126_3b36),
            .username("evtj:h6vY"),
            .messageIntegrity(hexBytes("9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2")),
            .fingerprint(0xe57a_3bcf),
        ])
        #expect(message.unknownComprehensionRequiredAttributes.isEmpty)
        try STUNMessage.verifyIntegrity(of: bytes, key: Self.shortTermKey)
        _ = try STUNMessage(parsing: ByteBuffer(bytes: bytes), integrityKey: Self.shortTermKey)
        #expect(throws: STUNParseError.badIntegrity(.hmacSHA1)) {
            try STUNMessage.verifyIntegrity(of: bytes, key: .shortTerm(password: "VOkJxbRl1RmTxUk/WvJxBT"))
        }
        try expectReserializesModuloPadding(message, original: bytes, key: Self.shortTermKey)
    }

    @Test func sampleIPv4Response() throws {
        let bytes = try Fixtures.data("stun/rfc5769-2.2-ipv4-response.bin")
        let message = try STUNMessage(parsing: bytes)
        #expect(message.type == STUNMessageType(method: .binding, messageClass: .successResponse))
        #expect(message.transactionID == Self.transactionID)
        let mapped = STUNTransportAddress(address: try #require(STUNIPAddress("192.0.2.1")), port: 32853)
        #expect(message.attributes == [
            .software("test vector"),
            .xorMappedAddress(mapped),
            .messageIntegrity(hexBytes("2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7")),
            .fingerprint(0xc07d_4c96),
        ])
        #expect(message.xorMappedAddress?.description == "192.0.2.1:32853")
        try STUNMessage.verifyIntegrity(of: bytes, key: Self.shortTermKey)
        try expectReserializesModuloPadding(message, original: bytes, key: Self.shortTermKey)
        // The XOR-MAPPED-ADDRESS value itself is byte-exact (RFC 5769 §2.2: 00 01 a1 47 e1 12 a6 43).
        let written = try STUNMessage(
            method: .binding, messageClass: .successResponse, transactionID: message.transactionID,
            attributes: [.xorMappedAddress(mapped)]
        ).bytes()
        #expect(Array(written[20...]) == hexBytes("00 20 00 08 00 01 a1 47 e1 12 a6 43"))
    }

    @Test func sampleIPv6Response() throws {
        let bytes = try Fixtures.data("stun/rfc5769-2.3-ipv6-response.bin")
        let message = try STUNMessage(parsing: bytes)
        let mapped = STUNTransportAddress(
            address: try #require(STUNIPAddress("2001:db8:1234:5678:11:2233:4455:6677")), port: 32853)
        #expect(message.attributes == [
            .software("test vector"),
            .xorMappedAddress(mapped),
            .messageIntegrity(hexBytes("a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41")),
            .fingerprint(0xc8fb_0b4c),
        ])
        #expect(message.xorMappedAddress?.description == "[2001:db8:1234:5678:11:2233:4455:6677]:32853")
        try STUNMessage.verifyIntegrity(of: bytes, key: Self.shortTermKey)
        try expectReserializesModuloPadding(message, original: bytes, key: Self.shortTermKey)
        let written = try STUNMessage(
            method: .binding, messageClass: .successResponse, transactionID: message.transactionID,
            attributes: [.xorMappedAddress(mapped)]
        ).bytes()
        #expect(Array(written[20...]) == hexBytes(
            "00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9"))
    }

    @Test func sampleRequestWithLongTermAuthentication() throws {
        let bytes = try Fixtures.data("stun/rfc5769-2.4-long-term-request.bin")
        let message = try STUNMessage(parsing: bytes)
        #expect(message.type == STUNMessageType(method: .binding, messageClass: .request))
        #expect(message.transactionID == STUNTransactionID(bytes: hexBytes("78 ad 34 33 c6 ad 72 c0 29 da 41 2e")))
        #expect(message.attributes == [
            .username(Self.longTermUsername),
            .nonce("f//499k954d6OL34oL9FSTvy64sA"),
            .realm("example.org"),
            .messageIntegrity(hexBytes("f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66")),
        ])
        #expect(message.username == Self.longTermUsername)
        #expect(message.realm == "example.org")
        #expect(message.nonce == "f//499k954d6OL34oL9FSTvy64sA")
        // The key: MD5("マトリックス:example.org:TheMatrIX").
        #expect(Self.longTermKey.bytes.count == 16)
        try STUNMessage.verifyIntegrity(of: bytes, key: Self.longTermKey)
        #expect(throws: STUNParseError.badIntegrity(.hmacSHA1)) {
            try STUNMessage.verifyIntegrity(
                of: bytes, key: .longTerm(username: Self.longTermUsername, realm: "example.org", password: "thematrix"))
        }
        // Zero padding here, so our writer reproduces the vector byte for byte, MESSAGE-INTEGRITY included.
        #expect(try message.bytes(integrityKey: Self.longTermKey) == bytes)
        // Also when MESSAGE-INTEGRITY is added by the writer rather than named in the attributes.
        var withoutIntegrity = message
        withoutIntegrity.attributes.removeLast()
        #expect(try withoutIntegrity.bytes(integrityKey: Self.longTermKey) == bytes)
    }

    /// §2.1–2.3 pad USERNAME/SOFTWARE with 0x20; we pad with zeros (RFC 8489 §14), which changes the bytes covered
    /// by MESSAGE-INTEGRITY and FINGERPRINT. So: same length, same bytes outside padding and the two computed
    /// values, and our computed values verify.
    private func expectReserializesModuloPadding(
        _ message: STUNMessage,
        original: [UInt8],
        key: STUNIntegrityKey
    ) throws {
        let written = try message.bytes(integrityKey: key)
        #expect(written.count == original.count)
        let reparsed = try STUNMessage(parsing: written, integrityKey: key)
        #expect(blankingComputedValues(reparsed.attributes) == blankingComputedValues(message.attributes))
        // Byte comparison with the vector's 0x20 padding set to zero, MI/FINGERPRINT values excluded.
        var expected = original
        var offset = 20
        var excluded: [Range<Int>] = []
        while offset < expected.count {
            let type = UInt16(expected[offset]) << 8 | UInt16(expected[offset + 1])
            let length = Int(expected[offset + 2]) << 8 | Int(expected[offset + 3])
            let padded = (length + 3) & ~3
            for index in (offset + 4 + length)..<(offset + 4 + padded) { expected[index] = 0 }
            if type == 0x0008 || type == 0x8028 { excluded.append((offset + 4)..<(offset + 4 + length)) }
            offset += 4 + padded
        }
        for index in 0..<min(written.count, expected.count) where !excluded.contains(where: { $0.contains(index) }) {
            #expect(written[index] == expected[index], "byte \(index)")
        }
    }
}
