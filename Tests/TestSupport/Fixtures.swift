import Foundation

/// Locates files under the repository's `Fixtures/` folder, so tests read the committed vectors and captures
/// byte for byte instead of re-typing them.
public enum Fixtures {
    /// The repository root, found from this source file's location (`Tests/TestSupport/Fixtures.swift`).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `Fixtures/` itself.
    public static let directory: URL = repositoryRoot.appendingPathComponent("Fixtures")

    /// The URL of `Fixtures/<relativePath>`.
    public static func url(_ relativePath: String) -> URL {
        directory.appendingPathComponent(relativePath)
    }

    /// The bytes of `Fixtures/<relativePath>`.
    public static func data(_ relativePath: String) throws -> [UInt8] {
        Array(try Data(contentsOf: url(relativePath)))
    }

    /// The text of `Fixtures/<relativePath>` (UTF-8).
    public static func text(_ relativePath: String) throws -> String {
        try String(contentsOf: url(relativePath), encoding: .utf8)
    }

    /// The names of the files in `Fixtures/<relativeDirectory>` with the given extension, sorted.
    public static func files(in relativeDirectory: String, withExtension ext: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url(relativeDirectory).path)
            .filter { $0.hasSuffix("." + ext) }
            .sorted()
            .map { relativeDirectory + "/" + $0 }
    }

    /// Decodes a hex dump: whitespace, newlines and `#` comments to the end of a line are ignored.
    public static func hex(_ text: String) -> [UInt8]? {
        var digits: [UInt8] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            for scalar in content.unicodeScalars where !scalar.properties.isWhitespace {
                guard let value = UInt8(String(scalar), radix: 16) else { return nil }
                digits.append(value)
            }
        }
        guard digits.count % 2 == 0 else { return nil }
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    /// The bytes of a hex-dump fixture file (see ``hex(_:)``).
    public static func hexData(_ relativePath: String) throws -> [UInt8] {
        guard let bytes = hex(try text(relativePath)) else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url(relativePath).path])
        }
        return bytes
    }
}

extension Fixtures {
    /// The packets of a one-packet-per-line hex capture (`Fixtures/packets/*.hex`): each line that is not empty
    /// and does not start with `#` is one whole packet in hex. Returns nil if a line is not valid hex.
    public static func hexLines(_ relativePath: String) throws -> [[UInt8]] {
        var packets: [[UInt8]] = []
        for line in try text(relativePath).split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let bytes = hex(trimmed) else {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url(relativePath).path])
            }
            packets.append(bytes)
        }
        return packets
    }
}
