import NIOCore
import STUN
import Testing
import TestSupport

/// Seeded random messages: serialize → parse gives the same message; random mutations of valid messages never crash
/// the parser (they throw a `STUNParseError` or parse to something that re-serializes).
struct STUNPropertyTests {
    static let methods: [STUNMethod] = [
        .binding, .allocate, .refresh, .send, .data, .createPermission, .channelBind, .connect, .connectionBind,
        .connectionAttempt,
    ]

    @Test func serializeThenParseIsIdentity() throws {
        var random = SplitMix64(seed: 0x5EED_0001)
        for iteration in 0..<3000 {
            let (message, key, fingerprint) = Self.randomMessage(using: &random)
            let buffer = try message.serialized(integrityKey: key, fingerprint: fingerprint)
            #expect(buffer.readableBytes % 4 == 0)
            let parsed = try STUNMessage(parsing: buffer, integrityKey: key)
            var expected = message.attributes
            if let key, !expected.contains(where: { $0.type == .messageIntegrity || $0.type == .messageIntegritySHA256 }) {
                expected.append(key.algorithm == .hmacSHA1 ? .messageIntegrity([]) : .messageIntegritySHA256(Array(repeating: 0, count: 32)))
            }
            if fingerprint, !expected.contains(where: { $0.type == .fingerprint }) { expected.append(.fingerprint(0)) }
            #expect(parsed.type == message.type, "iteration \(iteration)")
            #expect(parsed.transactionID == message.transactionID, "iteration \(iteration)")
            #expect(blankingComputedValues(parsed.attributes) == blankingComputedValues(expected), "iteration \(iteration)")
            // The same through the [UInt8] entry point.
            let fromArray = try STUNMessage(parsing: buffer.bytes, integrityKey: key)
            #expect(fromArray == parsed)
            // And serializing the parsed message again gives the same bytes.
            #expect(try parsed.serialized(integrityKey: key, fingerprint: fingerprint) == buffer)
        }
    }

    @Test func mutatedMessagesNeverCrash() throws {
        var random = SplitMix64(seed: 0x5EED_0002)
        var seeds: [[UInt8]] = try [
            "stun/rfc5769-2.1-request.bin", "stun/rfc5769-2.2-ipv4-response.bin",
            "stun/rfc5769-2.3-ipv6-response.bin", "stun/rfc5769-2.4-long-term-request.bin",
        ].map { try Fixtures.data($0) }
        for _ in 0..<200 {
            let (message, key, fingerprint) = Self.randomMessage(using: &random)
            seeds.append(try message.bytes(integrityKey: key, fingerprint: fingerprint))
        }
        let key = STUNIntegrityKey.shortTerm(password: "VOkJxbRl1RmTxUk/WvJxBt")
        var parsedCount = 0
        for iteration in 0..<20000 {
            var bytes = seeds[Int(random.next() % UInt64(seeds.count))]
            switch iteration % 5 {
            case 0:  // flip a few random bits
                for _ in 0..<(1 + Int(random.next() % 4)) where !bytes.isEmpty {
                    bytes[Int(random.next() % UInt64(bytes.count))] ^= UInt8(1) << (random.next() % 8)
                }
            case 1:  // truncate
                bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count + 1))))
            case 2:  // overwrite a byte in the attribute area with a random value (lengths and types)
                if bytes.count > 20 { bytes[20 + Int(random.next() % UInt64(bytes.count - 20))] = UInt8.random(in: 0...255, using: &random) }
            case 3:  // append random bytes and fix the header length so framing passes
                let extra = (0..<(4 * Int(random.next() % 6))).map { _ in UInt8.random(in: 0...255, using: &random) }
                bytes += extra
                if bytes.count >= 20 { bytes = replacingUInt16(bytes, at: 2, with: UInt16(truncatingIfNeeded: bytes.count - 20)) }
            default:  // random garbage with a valid header
                let body = (0..<(4 * Int(random.next() % 12))).map { _ in UInt8.random(in: 0...255, using: &random) }
                bytes = [0x00, 0x01] + [UInt8(body.count >> 8), UInt8(body.count & 0xFF)]
                    + [0x21, 0x12, 0xA4, 0x42] + Array(bytes.dropFirst(8).prefix(12)) + body
                if bytes.count < 20 + body.count { continue }
            }
            do {
                let parsed = try STUNMessage(parsing: bytes)
                parsedCount += 1
                _ = parsed.unknownComprehensionRequiredAttributes
                _ = try? STUNMessage.verifyIntegrity(of: bytes, key: key)
                // Whatever parses can be written again and parses to the same (fingerprint recomputed).
                let again = try STUNMessage(parsing: parsed.serialized())
                #expect(blankingComputedValues(again.attributes) == blankingComputedValues(parsed.attributes))
            } catch let error as STUNParseError {
                #expect(!error.description.isEmpty)
            }
            _ = try? ChannelData(parsingDatagram: bytes)
            _ = try? ChannelData.parse(stream: ByteBuffer(bytes: bytes))
            _ = try? STUNStreamFraming.nextFrame(in: ByteBuffer(bytes: bytes))
        }
        #expect(parsedCount > 100)
    }

    // MARK: generators

    static func randomMessage(
        using random: inout SplitMix64
    ) -> (STUNMessage, STUNIntegrityKey?, Bool) {
        let method = random.next() % 8 == 0
            ? (STUNMethod(rawValue: UInt16(random.next() % 0x1000)) ?? .binding)
            : methods[Int(random.next() % UInt64(methods.count))]
        let messageClass = STUNClass.allCases[Int(random.next() % 4)]
        var attributes = (0..<Int(random.next() % 12)).map { _ in randomAttribute(using: &random) }
        var key: STUNIntegrityKey?
        switch random.next() % 4 {
        case 0:
            key = .shortTerm(password: randomText(using: &random))
        case 1:
            key = .longTerm(username: "user", realm: "example.org", password: "pw", algorithm: .hmacSHA256)
        case 2:
            key = .longTerm(username: "u", realm: "r", password: "p", passwordAlgorithm: .sha256)
            // Name both integrity attributes explicitly: MI then MI-SHA256 (truncated to 16) is a legal order.
            attributes.append(.messageIntegrity([]))
            attributes.append(.messageIntegritySHA256(Array(repeating: 0, count: 16)))
        default:
            key = nil
        }
        let fingerprint = random.next() % 2 == 0
        let message = STUNMessage(
            method: method, messageClass: messageClass,
            transactionID: .random(using: &random), attributes: attributes)
        return (message, key, fingerprint)
    }

    static func randomAddress(using random: inout SplitMix64) -> STUNTransportAddress {
        let address: STUNIPAddress = random.next() % 2 == 0
            ? .v4(UInt32(truncatingIfNeeded: random.next()))
            : .v6(random.next(), random.next())
        return STUNTransportAddress(address: address, port: UInt16(truncatingIfNeeded: random.next()))
    }

    static func randomText(using random: inout SplitMix64) -> String {
        let alphabet: [Character] = Array("abcXYZ019:/+=-_ .éマトリックス🎥ü")
        return String((0..<Int(random.next() % 24)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
    }

    static func randomBytes(_ count: Int, using random: inout SplitMix64) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    static func randomErrorCode(using random: inout SplitMix64) -> STUNErrorCode {
        STUNErrorCode(code: 300 + Int(random.next() % 400), reason: randomText(using: &random))
    }

    static func randomAttribute(using random: inout SplitMix64) -> STUNAttribute {
        switch random.next() % 34 {
        case 0: return .mappedAddress(randomAddress(using: &random))
        case 1: return .xorMappedAddress(randomAddress(using: &random))
        case 2: return .username(randomText(using: &random))
        case 3: return .userHash(randomBytes(32, using: &random))
        case 4: return .errorCode(randomErrorCode(using: &random))
        case 5: return .realm(randomText(using: &random))
        case 6: return .nonce(randomText(using: &random))
        case 7:
            return .passwordAlgorithms((0..<Int(random.next() % 4)).map { _ in
                STUNPasswordAlgorithm(number: UInt16(truncatingIfNeeded: random.next()),
                    parameters: randomBytes(Int(random.next() % 7), using: &random))
            })
        case 8:
            return .passwordAlgorithm(STUNPasswordAlgorithm(number: UInt16(truncatingIfNeeded: random.next()),
                parameters: randomBytes(Int(random.next() % 7), using: &random)))
        case 9:
            return .unknownAttributes((0..<Int(random.next() % 5)).map { _ in
                STUNAttributeType(rawValue: UInt16(truncatingIfNeeded: random.next()))
            })
        case 10: return .software(randomText(using: &random))
        case 11: return .alternateServer(randomAddress(using: &random))
        case 12: return .alternateDomain(randomText(using: &random))
        case 13: return .channelNumber(UInt16(truncatingIfNeeded: random.next()))
        case 14: return .lifetime(UInt32(truncatingIfNeeded: random.next()))
        case 15: return .xorPeerAddress(randomAddress(using: &random))
        case 16: return .data(ByteBuffer(bytes: randomBytes(Int(random.next() % 100), using: &random)))
        case 17: return .xorRelayedAddress(randomAddress(using: &random))
        case 18: return .requestedAddressFamily(STUNAddressFamily(rawValue: UInt8(truncatingIfNeeded: random.next())))
        case 19: return .evenPort(reserveNextPort: random.next() % 2 == 0)
        case 20: return .requestedTransport(protocolNumber: UInt8(truncatingIfNeeded: random.next()))
        case 21: return .dontFragment
        case 22: return .reservationToken(random.next())
        case 23: return .additionalAddressFamily(STUNAddressFamily(rawValue: UInt8(truncatingIfNeeded: random.next())))
        case 24:
            return .addressErrorCode(family: STUNAddressFamily(rawValue: UInt8(truncatingIfNeeded: random.next())),
                randomErrorCode(using: &random))
        case 25:
            return .icmp(type: UInt8(truncatingIfNeeded: random.next()), code: UInt8(truncatingIfNeeded: random.next()),
                errorData: UInt32(truncatingIfNeeded: random.next()))
        case 26: return .connectionID(UInt32(truncatingIfNeeded: random.next()))
        case 27: return .priority(UInt32(truncatingIfNeeded: random.next()))
        case 28: return .useCandidate
        case 29: return .iceControlled(tieBreaker: random.next())
        case 30: return .iceControlling(tieBreaker: random.next())
        default:
            // An unknown attribute: any type this module does not decode, any value.
            var type: STUNAttributeType
            repeat {
                type = STUNAttributeType(rawValue: UInt16(truncatingIfNeeded: random.next()))
            } while STUNAttributeType.known.contains(type)
            return .unknown(type, randomBytes(Int(random.next() % 40), using: &random))
        }
    }
}
