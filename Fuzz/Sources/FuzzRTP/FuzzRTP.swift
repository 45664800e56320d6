// libFuzzer target for RTP packets: parsing arbitrary bytes must either throw an RTPParseError or succeed, and a
// parsed packet must re-serialize from its fields and parse again to the same fields. Extension walking, the
// typed WebRTC extensions, the VP8 descriptor, the Opus TOC, RTX wrap/unwrap and in-place rewriting all run on
// whatever parses.
import NIOCore
import RTP

private let extensionMap = RTPHeaderExtensionMap(
    audioLevel: 1,
    absSendTime: 2,
    transportSequenceNumber: 3,
    mid: 4,
    rtpStreamID: 10,
    repairedRTPStreamID: 11
)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRTP(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let buffer = ByteBuffer(bytes: UnsafeRawBufferPointer(start: start, count: count))

    // The VP8 descriptor and Opus TOC parsers also see the raw input, not only RTP payloads.
    if let descriptor = try? VP8PayloadDescriptor(payload: buffer) {
        _ = descriptor.isKeyframe(payload: buffer)
        var written = ByteBuffer()
        descriptor.write(to: &written)
    }
    var rewritable = buffer
    VP8PayloadDescriptor.rewrite(
        in: &rewritable,
        payloadStart: rewritable.readerIndex,
        pictureID: 77,
        tl0PictureIndex: 5
    )

    guard let packet = try? RTPPacket(parsing: buffer) else { return 0 }
    guard packet.header.packetLength == count else { fatalError("header lengths do not add up: \(packet.header)") }

    for element in packet.headerExtensions {
        guard packet.headerExtensionRange(id: element.id) != nil else {
            fatalError("element \(element.id) is iterated but not found by id")
        }
        _ = element.bytes
    }
    _ = try? packet.webRTCHeaderExtensions(using: extensionMap)

    let payload = packet.payload
    if let descriptor = try? VP8PayloadDescriptor(payload: payload) {
        _ = descriptor.isKeyframe(payload: payload)
    }
    if let toc = try? OpusTOC(payload: payload) {
        _ = toc.mode
        _ = toc.bandwidth
        _ = toc.frameDurationMicroseconds
        _ = try? toc.frameCount(payload: payload)
    }

    // Re-serialize from the fields and parse again: must succeed and give the same fields and payload.
    let fields = packet.headerFields
    var written = ByteBuffer()
    do {
        try written.writeRTPPacket(fields, payload: payload)
    } catch {
        fatalError("parsed fields did not serialize: \(error) \(fields)")
    }
    guard let again = try? RTPPacket(parsing: written), again.headerFields == fields, again.payload == payload else {
        fatalError("RTP round trip changed the packet: \(fields)")
    }

    // RTX: wrapping then reading the OSN gives the original sequence number; unwrap what has an OSN.
    var rtx = ByteBuffer()
    RTX.wrap(packet, rtxSSRC: 0xBBBB, rtxSequenceNumber: 1, rtxPayloadType: 97, into: &rtx)
    guard let rtxPacket = try? RTPPacket(parsing: rtx),
        (try? RTX.originalSequenceNumber(of: rtxPacket)) == packet.header.sequenceNumber
    else {
        fatalError("RTX wrap did not produce a parsable retransmission")
    }
    var restored = ByteBuffer()
    if (try? RTX.unwrap(packet, originalSSRC: 1, originalPayloadType: 96, into: &restored)) != nil {
        guard (try? RTPPacket(parsing: restored)) != nil else { fatalError("RTX unwrap produced an unparsable packet") }
    }

    // In-place rewrite keeps the packet parsable with the new values.
    var rewritten = packet
    rewritten.rewriteHeader(ssrc: 0x1234, sequenceNumber: 0xFFFF, timestamp: 1, payloadType: 100, marker: true)
    guard let reparsed = try? RTPPacket(parsing: rewritten.bytes), reparsed.header == rewritten.header else {
        fatalError("in-place rewrite broke the packet")
    }
    return 0
}
