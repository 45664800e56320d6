// libFuzzer target for the IVF reader (Media/Codecs).
//
// Each input is read as an IVF file: the header, then every frame. Whatever reads is written again with IVFWriter
// and read back; the frames and header fields must survive — a mismatch traps on purpose, that is a finding.
// Inputs without the DKIF signature are also tried with one prepended, so the fuzzer reaches the frame loop.
// Reading must never trap on any input.
import Codecs

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIVF(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    for input in [bytes, Array("DKIF".utf8) + bytes.dropFirst(min(4, bytes.count))] {
        guard var reader = try? IVFReader(bytes: input) else { continue }
        var frames: [IVFFrame] = []
        while frames.count < 10_000, let frame = try? reader.nextFrame() { frames.append(frame) }
        var writer = IVFWriter(header: reader.header)
        for frame in frames { writer.append(frame: frame.data, timestamp: frame.timestamp) }
        guard var again = try? IVFReader(bytes: writer.bytes), let reread = try? again.readAllFrames() else {
            fatalError("IVF written from \(frames.count) frames does not read back")
        }
        guard reread == frames, again.header.width == reader.header.width,
            again.header.height == reader.header.height, again.header.timebaseRate == reader.header.timebaseRate
        else {
            fatalError("IVF frames or header changed across write/read")
        }
    }
    return 0
}
