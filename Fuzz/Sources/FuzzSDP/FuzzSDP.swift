// libFuzzer target for the SDP parser and serializer (Media/SDP).
//
// Each input is decoded as UTF-8 (invalid sequences become U+FFFD) and parsed as a whole session description;
// what parses is serialized and parsed again, and the two models must be equal and serialize identically — a
// mismatch traps on purpose, that is a finding. Every line is also parsed as a standalone ICE candidate (the
// trickle form), with the same round-trip check. Parsing itself must never trap on any input.
import SDP

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSDP(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    let text = String(decoding: bytes, as: UTF8.self)

    if let description = try? SessionDescription.parse(text) {
        let serialized = description.serialize()
        guard let reparsed = try? SessionDescription.parse(serialized) else {
            fatalError("serialized description does not parse:\n\(serialized)")
        }
        guard reparsed == description, reparsed.serialize() == serialized else {
            fatalError("description changed across serialize/parse:\n\(serialized)")
        }
    }

    // Split on the LF byte: as a Character, "\r\n" is one grapheme and would not split at "\n".
    for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
        guard let candidate = try? ICECandidate.parse(String(Substring(line))) else { continue }
        let serialized = candidate.serialize()
        guard let reparsed = try? ICECandidate.parse(serialized), reparsed == candidate else {
            fatalError("candidate changed across serialize/parse: \(serialized)")
        }
    }
    return 0
}
