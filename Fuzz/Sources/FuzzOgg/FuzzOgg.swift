// libFuzzer target for the Ogg page parser and the Ogg/Opus reader (Media/Codecs).
//
// Each input is parsed page by page (capture pattern, version, lacing, CRC-32) and as a whole Ogg Opus file. What
// parses as a file is written again with OggOpusWriter (same head, tags, packets) and read back; the packets and
// headers must survive — a mismatch traps on purpose, that is a finding. Parsing must never trap on any input.
import Codecs

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOgg(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    var offset = 0
    for _ in 0..<1_000 {
        guard offset < bytes.count, let (page, end) = try? OggPage.parse(bytes, at: offset) else { break }
        guard end > offset, (try? OggPage.parse(page.serialized(), at: 0))?.page == page else {
            fatalError("Ogg page changed across serialize/parse")
        }
        offset = end
    }
    guard let file = try? OggOpusFile(bytes: bytes) else { return 0 }
    var writer = OggOpusWriter(head: file.head, tags: file.tags)
    for packet in file.packets {
        do {
            try writer.append(packet: packet)
        } catch {
            return 0  // a packet too large for one page is refused by the writer, not a finding
        }
    }
    writer.finish()
    guard let again = try? OggOpusFile(bytes: writer.bytes) else {
        fatalError("Ogg Opus written from a parsed file does not parse")
    }
    guard again.head == file.head, again.tags == file.tags, again.packets == file.packets else {
        fatalError("Ogg Opus headers or packets changed across write/read")
    }
    return 0
}
