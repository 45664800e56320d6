/// A capture or send resolution as `--size 1280x720` gives it.
public struct VideoSize: Sendable, Hashable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Parses `WIDTHxHEIGHT`; both even (I420 chroma subsampling needs it) and between 16 and 4096.
    public init(parsing text: String) throws(VideoSizeError) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]) else {
            throw .notASize(text)
        }
        guard (16...4096).contains(width), (16...4096).contains(height), width % 2 == 0, height % 2 == 0 else {
            throw .outOfRange(text)
        }
        self.init(width: width, height: height)
    }

    public var description: String { "\(width)x\(height)" }
}

/// Why a `--size` value was refused.
public enum VideoSizeError: Error, Hashable, Sendable, CustomStringConvertible {
    case notASize(String)
    case outOfRange(String)

    public var description: String {
        switch self {
        case .notASize(let text): "'\(text)' is not WIDTHxHEIGHT, e.g. 1280x720"
        case .outOfRange(let text): "'\(text)': width and height must be even and between 16 and 4096"
        }
    }
}
