// libFuzzer target for the STUN module: every parser entry point on arbitrary bytes must either throw a
// STUNParseError or succeed, and whatever succeeds must re-serialize and parse again to the same thing.
import NIOCore
import STUN

private let fuzzKey = STUNIntegrityKey.shortTerm(password: "VOkJxbRl1RmTxUk/WvJxBt")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSTUN(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: start, count: count)
    let buffer = ByteBuffer(bytes: raw)

    // STUN message: parse (fingerprint checked), integrity with a fixed key, and the raw-pointer entry point.
    if let message = try? STUNMessage(parsing: buffer) {
        _ = message.unknownComprehensionRequiredAttributes
        _ = try? STUNMessage.verifyIntegrity(of: buffer, key: fuzzKey)
        _ = try? STUNMessage.verifyIntegrity(of: buffer, key: fuzzKey, algorithm: .hmacSHA256)
        guard let rawParsed = try? STUNMessage(parsing: raw), rawParsed == message else {
            fatalError("ByteBuffer and raw-pointer parsers disagree")
        }
        // Re-serialize (integrity values written as parsed, FINGERPRINT recomputed) and parse again.
        guard let written = try? message.serialized(), let again = try? STUNMessage(parsing: written) else {
            fatalError("a parsed message did not re-serialize and parse: \(message)")
        }
        guard again.type == message.type, again.transactionID == message.transactionID,
            again.attributes.count == message.attributes.count
        else { fatalError("round trip changed the message: \(message) -> \(again)") }
        // With a key and a fingerprint the output must verify.
        if let signed = try? message.serialized(integrityKey: fuzzKey, fingerprint: true) {
            guard (try? STUNMessage(parsing: signed, integrityKey: fuzzKey)) != nil else {
                fatalError("our own signed output does not verify: \(message)")
            }
        }
    } else {
        _ = try? STUNMessage.verifyIntegrity(of: buffer, key: fuzzKey)
    }

    // ChannelData as a datagram and as a stream frame; what parses must round-trip.
    if let channelData = try? ChannelData(parsingDatagram: buffer) {
        guard let written = try? channelData.serialized(padding: .none),
            (try? ChannelData(parsingDatagram: written)) == channelData
        else { fatalError("ChannelData datagram round trip failed") }
    }
    if case .frame(let frame, let consumed)? = try? ChannelData.parse(stream: buffer) {
        guard consumed <= count, let written = try? frame.serialized(padding: .toFourBytes),
            written.readableBytes == consumed
        else { fatalError("ChannelData stream round trip failed") }
    }
    _ = try? STUNStreamFraming.nextFrame(in: buffer)
    _ = MultiplexedPacketKind(of: buffer)
    _ = STUNMessage.looksLikeSTUN(buffer)
    return 0
}
