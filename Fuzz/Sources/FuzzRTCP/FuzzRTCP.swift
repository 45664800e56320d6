// libFuzzer target for RTCP compound packets: parsing arbitrary bytes must either throw an RTCPParseError or
// succeed; what parses and re-serializes must parse again to the same packets and serialize to the same bytes.
// NACKs are expanded and rebuilt, transport-cc feedback is decoded and checked for consistent counts.
import NIOCore
import RTP

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRTCP(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let buffer = ByteBuffer(bytes: UnsafeRawBufferPointer(start: start, count: count))

    // The allocation-free reader must agree with the full parser on how many packets there are.
    var reader = RTCPCompoundReader(buffer)
    var viewCount = 0
    while let view = try? reader.next() {
        _ = view.senderSSRC
        _ = view.mediaSSRC
        viewCount += 1
    }

    guard let packets = try? RTCPPacket.parseCompound(buffer) else { return 0 }
    guard packets.count == viewCount else { fatalError("reader saw \(viewCount) packets, parser \(packets.count)") }

    for packet in packets {
        switch packet {
        case .genericNACK(let nack):
            let lost = nack.lostSequenceNumbers
            let rebuilt = RTCPGenericNACK(
                senderSSRC: nack.senderSSRC,
                mediaSSRC: nack.mediaSSRC,
                lostSequenceNumbers: lost
            )
            guard Set(rebuilt.lostSequenceNumbers) == Set(lost) else { fatalError("NACK rebuild lost numbers") }
        case .transportCCFeedback(let feedback):
            let results = feedback.packetResults
            guard results.count == Int(feedback.packetStatusCount),
                results.filter({ $0.receiveDelta != nil }).count == feedback.receiveDeltas.count
            else {
                fatalError("transport-cc counts disagree: \(feedback)")
            }
        case .receiverEstimatedMaximumBitrate(let remb):
            _ = remb.bitrate
        default:
            break
        }
    }

    // Some parsed packets cannot be written back (e.g. an APP body left unaligned by padding removal); the
    // writer must say so with an error. Whatever is written must parse to the same packets.
    var written = ByteBuffer()
    guard (try? written.writeRTCPCompound(packets)) != nil else { return 0 }
    guard let again = try? RTCPPacket.parseCompound(written), again == packets else {
        fatalError("RTCP round trip changed the packets: \(packets)")
    }
    var writtenAgain = ByteBuffer()
    guard (try? writtenAgain.writeRTCPCompound(again)) != nil, writtenAgain == written else {
        fatalError("RTCP re-serialization is not stable: \(packets)")
    }
    return 0
}
