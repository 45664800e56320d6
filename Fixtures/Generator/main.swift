// Regenerates the pre-encoded clips in Fixtures/media/ with our own encoders (see Fixtures/README.md):
//     swift run MediaFixtures [output-directory]        (default: Fixtures/media)
// The clip parameters live here; the encoding is Codecs.TestClips.
import Codecs
import Foundation

let directory = URL(fileURLWithPath: CommandLine.arguments.dropFirst().first ?? "Fixtures/media")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

/// Three simulcast layers of the same moving test pattern, 2 s at 30 fps, at modest bitrates.
let layers: [(width: Int, height: Int, kbps: Int)] = [(320, 180, 150), (640, 360, 300), (1280, 720, 600)]
for layer in layers {
    let bytes = try TestClips.vp8IVF(width: layer.width, height: layer.height, framesPerSecond: 30, frameCount: 60,
                                     bitrateKbps: layer.kbps)
    let name = "test-pattern-\(layer.width)x\(layer.height).ivf"
    try Data(bytes).write(to: directory.appendingPathComponent(name))
    print("\(name): \(bytes.count) bytes")
}
let tone = try TestClips.opusOgg(frequency: 440, seconds: 3)
try Data(tone).write(to: directory.appendingPathComponent("tone-440hz.ogg"))
print("tone-440hz.ogg: \(tone.count) bytes")
