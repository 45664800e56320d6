import NIOCore
import STUN
import Testing
import TestSupport

/// One specific input per `STUNParseError` case, with the exact error expected.
struct STUNMalformedInputTests {
    /// A Binding request header (transaction ID 1...12) followed by `body`, with the length field set to match.
    static func message(_ body: [UInt8], type: UInt16 = 0x0001) -> [UInt8] {
        [UInt8(type >> 8), UInt8(type & 0xFF), UInt8(body.count >> 8), UInt8(body.count & 0xFF), 0x21, 0x12, 0xA4, 0x42]
            + Array(1...12) + body
    }

    static let transactionID = STUNTransactionID(bytes: Array(1...12))

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        let error: STUNParseError
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "19-byte header", bytes: Array(message([]).prefix(19)), error: .truncatedHeader(available: 19)),
        Case(name: "empty", bytes: [], error: .truncatedHeader(available: 0)),
        Case(name: "top bits set (RTP)", bytes: [0x80] + Array(message([]).dropFirst()), error: .notSTUN(firstByte: 0x80)),
        Case(name: "RFC 3489 message without cookie",
             bytes: replacingUInt16(replacingUInt16(message([]), at: 4, with: 0x1234), at: 6, with: 0x5678),
             error: .badMagicCookie(0x1234_5678)),
        Case(name: "length 2", bytes: replacingUInt16(message([0, 0, 0, 0]), at: 2, with: 2),
             error: .lengthNotMultipleOfFour(2)),
        Case(name: "length says 8, 4 received", bytes: replacingUInt16(message([0x80, 0x22, 0, 0]), at: 2, with: 8),
             error: .lengthMismatch(declared: 28, available: 24)),
        Case(name: "trailing bytes after message", bytes: message([]) + [0, 0, 0, 0],
             error: .lengthMismatch(declared: 20, available: 24)),
        Case(name: "attribute length past the end", bytes: message([0x80, 0x22, 0x00, 0x08, 0x61, 0x62, 0x63, 0x64]),
             error: .attributeOverrun(type: 0x8022, length: 8, available: 4)),
        Case(name: "padding past the end", bytes: message([0x80, 0x22, 0x00, 0x05, 0x61, 0x62, 0x63, 0x64]),
             error: .attributeOverrun(type: 0x8022, length: 8, available: 4)),
        Case(name: "PRIORITY of 3 bytes", bytes: message([0x00, 0x24, 0x00, 0x03, 1, 2, 3, 0]),
             error: .invalidAttributeLength(type: 0x0024, length: 3)),
        Case(name: "IPv4 XOR-MAPPED-ADDRESS of 12 bytes",
             bytes: message([0x00, 0x20, 0x00, 0x0C, 0, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]),
             error: .invalidAttributeLength(type: 0x0020, length: 12)),
        Case(name: "MESSAGE-INTEGRITY-SHA256 of 12 bytes", bytes: message([0x00, 0x1C, 0x00, 0x0C] + Array(repeating: 0, count: 12)),
             error: .invalidAttributeLength(type: 0x001C, length: 12)),
        Case(name: "address family 3", bytes: message([0x00, 0x20, 0x00, 0x08, 0, 3, 0, 0, 1, 2, 3, 4]),
             error: .badAddressFamily(type: 0x0020, family: 3)),
        Case(name: "MAPPED-ADDRESS family 0", bytes: message([0x00, 0x01, 0x00, 0x08, 0, 0, 0, 0, 1, 2, 3, 4]),
             error: .badAddressFamily(type: 0x0001, family: 0)),
        Case(name: "USERNAME not UTF-8", bytes: message([0x00, 0x06, 0x00, 0x02, 0xC3, 0x28, 0, 0]),
             error: .invalidUTF8(type: 0x0006)),
        Case(name: "ERROR-CODE class 7", bytes: message([0x00, 0x09, 0x00, 0x04, 0, 0, 7, 0]),
             error: .invalidErrorCode(type: 0x0009, errorClass: 7, number: 0)),
        Case(name: "ERROR-CODE number 100", bytes: message([0x00, 0x09, 0x00, 0x04, 0, 0, 4, 100]),
             error: .invalidErrorCode(type: 0x0009, errorClass: 4, number: 100)),
        Case(name: "attribute after FINGERPRINT",
             bytes: message([0x80, 0x28, 0x00, 0x04, 0, 0, 0, 0, 0x00, 0x24, 0x00, 0x04, 0, 0, 0, 1]),
             error: .attributeAfterFingerprint(type: 0x0024)),
    ]

    @Test(arguments: cases)
    func rejects(_ testCase: Case) {
        #expect(throws: testCase.error) { try STUNMessage(parsing: testCase.bytes) }
        #expect(throws: testCase.error) { try STUNMessage(parsing: ByteBuffer(bytes: testCase.bytes)) }
    }

    @Test func badFingerprint() throws {
        var bytes = try Fixtures.data("stun/rfc5769-2.2-ipv4-response.bin")
        bytes[bytes.count - 1] ^= 0x01
        #expect(throws: STUNParseError.badFingerprint(expected: 0xc07d_4c96, received: 0xc07d_4c97)) {
            try STUNMessage(parsing: bytes)
        }
        // A changed byte anywhere before FINGERPRINT is caught too.
        var software = try Fixtures.data("stun/rfc5769-2.2-ipv4-response.bin")
        software[24] ^= 0x20
        #expect(throws: STUNParseError.self) { try STUNMessage(parsing: software) }
        do {
            _ = try STUNMessage(parsing: software)
        } catch {
            guard case .badFingerprint = error else {
                Issue.record("expected badFingerprint, got \(error)")
                return
            }
        }
    }

    @Test func missingAndBadIntegrity() throws {
        let plain = Self.message([0x00, 0x24, 0x00, 0x04, 0, 0, 0, 1])
        let key = STUNIntegrityKey.shortTerm(password: "secret")
        #expect(throws: STUNParseError.missingIntegrity) { try STUNMessage.verifyIntegrity(of: plain, key: key) }
        #expect(throws: STUNParseError.missingIntegrity) { try STUNMessage(parsing: plain, integrityKey: key) }
        let signed = try STUNMessage(parsing: plain).bytes(integrityKey: key)
        try STUNMessage.verifyIntegrity(of: signed, key: key)
        #expect(throws: STUNParseError.missingIntegrity) {
            try STUNMessage.verifyIntegrity(of: signed, key: key, algorithm: .hmacSHA256)
        }
        #expect(throws: STUNParseError.badIntegrity(.hmacSHA1)) {
            try STUNMessage.verifyIntegrity(of: signed, key: .shortTerm(password: "Secret"))
        }
        var tampered = signed
        tampered[27] ^= 0x01  // the PRIORITY value, covered by the HMAC
        #expect(throws: STUNParseError.badIntegrity(.hmacSHA1)) { try STUNMessage.verifyIntegrity(of: tampered, key: key) }
        let sha256 = try STUNMessage(parsing: plain).bytes(integrityKey: STUNIntegrityKey(bytes: key.bytes, algorithm: .hmacSHA256))
        try STUNMessage.verifyIntegrity(of: sha256, key: key)
        #expect(throws: STUNParseError.badIntegrity(.hmacSHA256)) {
            try STUNMessage.verifyIntegrity(of: sha256, key: .shortTerm(password: "other"))
        }
        // Framing errors come through verification as well.
        #expect(throws: STUNParseError.truncatedHeader(available: 3)) {
            try STUNMessage.verifyIntegrity(of: [1, 2, 3], key: key)
        }
    }

    @Test func invalidChannelNumber() {
        #expect(throws: STUNParseError.invalidChannelNumber(0x3FFF)) {
            try ChannelData(parsingDatagram: [0x3F, 0xFF, 0x00, 0x00])
        }
        #expect(throws: STUNParseError.invalidChannelNumber(0x8000)) {
            try ChannelData(parsingDatagram: [0x80, 0x00, 0x00, 0x00])
        }
        #expect(throws: STUNParseError.invalidChannelNumber(0x0001)) {
            try ChannelData.parse(stream: ByteBuffer(bytes: [0x00, 0x01, 0x00, 0x00]))
        }
    }

    @Test func channelDataLengthMismatch() {
        #expect(throws: STUNParseError.lengthMismatch(declared: 9, available: 8)) {
            try ChannelData(parsingDatagram: [0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4])
        }
        #expect(throws: STUNParseError.lengthMismatch(declared: 5, available: 12)) {
            try ChannelData(parsingDatagram: [0x40, 0x00, 0x00, 0x01, 1, 0, 0, 0, 0, 0, 0, 0])
        }
        #expect(throws: STUNParseError.lengthMismatch(declared: 4, available: 3)) {
            try ChannelData(parsingDatagram: [0x40, 0x00, 0x00])
        }
    }

    @Test func attributesAfterIntegrityAreIgnored() throws {
        let key = STUNIntegrityKey.shortTerm(password: "pw")
        let signed = try STUNMessage(
            method: .allocate, messageClass: .request, transactionID: Self.transactionID ?? .random(),
            attributes: [.requestedTransport(protocolNumber: 17), .messageIntegrity([])]
        ).bytes(integrityKey: key)
        // Append an (even malformed-valued) comprehension-required attribute after MESSAGE-INTEGRITY.
        var extended = signed + [0x00, 0x24, 0x00, 0x03, 0xFF, 0xFF, 0xFF, 0x00, 0x7F, 0xFF, 0x00, 0x00]
        extended = replacingUInt16(extended, at: 2, with: UInt16(extended.count - 20))
        let parsed = try STUNMessage(parsing: extended)
        #expect(parsed.attributes.map(\.type) == [.requestedTransport, .messageIntegrity])
        #expect(parsed.unknownComprehensionRequiredAttributes.isEmpty)
        try STUNMessage.verifyIntegrity(of: extended, key: key)
    }

    @Test func unknownComprehensionRequiredAttributesAreReported() throws {
        let bytes = Self.message([
            0x00, 0x03, 0x00, 0x04, 0, 0, 0, 6,  // CHANGE-REQUEST (RFC 5780): comprehension-required, not ours
            0x80, 0x2B, 0x00, 0x00,  // RESPONSE-ORIGIN-like optional type with no value
            0x7F, 0xFE, 0x00, 0x02, 0xAB, 0xCD, 0xEE, 0xEE,  // unknown required, padding bytes not zero
            0x00, 0x03, 0x00, 0x00,  // the same unknown type again
        ])
        let message = try STUNMessage(parsing: bytes)
        #expect(message.unknownComprehensionRequiredAttributes == [STUNAttributeType(rawValue: 0x0003), STUNAttributeType(rawValue: 0x7FFE)])
        #expect(message.attributes[2] == .unknown(STUNAttributeType(rawValue: 0x7FFE), [0xAB, 0xCD]))
        // A server's 420 answer lists them.
        let answer = STUNMessage(
            method: message.method, messageClass: .errorResponse, transactionID: message.transactionID,
            attributes: [.errorCode(.unknownAttribute), .unknownAttributes(message.unknownComprehensionRequiredAttributes)])
        let reparsed = try STUNMessage(parsing: answer.serialized())
        #expect(reparsed.errorCode?.code == 420)
        #expect(reparsed.attributes[1] == .unknownAttributes([STUNAttributeType(rawValue: 0x0003), STUNAttributeType(rawValue: 0x7FFE)]))
    }

    @Test func errorDescriptionsAreReadable() {
        #expect(STUNParseError.badMagicCookie(0x1234_5678).description == "bad STUN magic cookie 0x12345678, expected 0x2112a442")
        #expect(STUNParseError.attributeOverrun(type: 0x8022, length: 8, available: 4).description
            == "attribute SOFTWARE of length 8 (padded) overruns the message: 4 bytes left")
        #expect(STUNParseError.badIntegrity(.hmacSHA1).code == "stun.bad-integrity")
        for testCase in Self.cases { #expect(!testCase.error.description.isEmpty) }
    }

    @Test func encodeErrors() {
        var buffer = ByteBuffer(bytes: [9, 9])
        let tooLong = STUNMessage(method: .send, messageClass: .indication, attributes: [
            .data(ByteBuffer(bytes: Array(repeating: 0, count: 70_000)))
        ])
        #expect(throws: STUNEncodeError.attributeTooLong(type: 0x0013, length: 70_000)) { try tooLong.write(into: &buffer) }
        #expect(buffer.bytes == [9, 9])
        let twoBig = STUNMessage(method: .send, messageClass: .indication, attributes: [
            .data(ByteBuffer(bytes: Array(repeating: 0, count: 40_000))),
            .data(ByteBuffer(bytes: Array(repeating: 0, count: 40_000))),
        ])
        #expect(throws: STUNEncodeError.messageTooLong(length: 80_008)) { try twoBig.write(into: &buffer) }
        #expect(buffer.bytes == [9, 9])
        let badCode = STUNMessage(method: .binding, messageClass: .errorResponse, attributes: [.errorCode(STUNErrorCode(code: 200))])
        #expect(throws: STUNEncodeError.invalidErrorCode(200)) { try badCode.write(into: &buffer) }
        #expect(throws: STUNEncodeError.invalidChannelNumber(0x3000)) {
            try ChannelData(channelNumber: 0x3000, payload: ByteBuffer()).write(into: &buffer, padding: .none)
        }
        #expect(buffer.bytes == [9, 9])
    }
}
