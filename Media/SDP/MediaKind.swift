/// The media type of an `m=` line (RFC 8866 §5.14): `audio`, `video`, `application` (data channels), or
/// another token kept as written.
public struct MediaKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public static let audio = MediaKind(rawValue: "audio")
    public static let video = MediaKind(rawValue: "video")
    public static let application = MediaKind(rawValue: "application")
    public static let text = MediaKind(rawValue: "text")

    public var description: String { rawValue }
}
