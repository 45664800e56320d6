/// Reads YUV4MPEG2 (Y4M) video, the raw format of `ffmpeg -f yuv4mpegpipe` and many test sequences: a text header
/// `YUV4MPEG2 W<width> H<height> F<num>:<den> [I.] [A.] [C<colourspace>] …\n`, then frames each introduced by
/// `FRAME[ params]\n`. Only 8-bit 4:2:0 is read (`C420`, `C420jpeg`, `C420paldv`, `C420mpeg2`, or no C tag).
/// Used for `meetclient join --video-file F.y4m`.
public struct Y4MReader: Sendable {
    public let width: Int
    public let height: Int
    /// Frame rate as numerator / denominator (F tag; 30:1 when absent).
    public let frameRate: (numerator: Int, denominator: Int)
    private let bytes: [UInt8]
    private var offset: Int

    /// Longest header or FRAME line we accept, so that a file without a newline is an error, not a long scan.
    static let maximumLineLength = 4_096

    public init(bytes: [UInt8]) throws(CodecError) {
        let header = try Self.line(in: bytes, at: 0)
        let fields = header.text.split(separator: " ")
        guard fields.first == "YUV4MPEG2" else {
            throw .malformed(format: "Y4M", offset: 0, reason: "signature is not YUV4MPEG2")
        }
        var width = 0
        var height = 0
        var rate = (30, 1)
        for field in fields.dropFirst() {
            guard let tag = field.first else { continue }
            let value = field.dropFirst()
            switch tag {
            case "W": width = Int(value) ?? 0
            case "H": height = Int(value) ?? 0
            case "F":
                let parts = value.split(separator: ":")
                guard parts.count == 2, let numerator = Int(parts[0]), let denominator = Int(parts[1]),
                    numerator > 0, denominator > 0
                else {
                    throw .malformed(format: "Y4M", offset: 0, reason: "frame rate \(field) is not F<num>:<den>")
                }
                rate = (numerator, denominator)
            case "C":
                guard ["420", "420jpeg", "420paldv", "420mpeg2"].contains(String(value)) else {
                    throw .unsupported(format: "Y4M", reason: "colour space C\(value) (only 8-bit 4:2:0)")
                }
            default: continue
            }
        }
        guard (1...16_384).contains(width), (1...16_384).contains(height) else {
            throw .malformed(format: "Y4M", offset: 0, reason: "frame size \(width)x\(height)")
        }
        self.width = width
        self.height = height
        self.frameRate = rate
        self.bytes = bytes
        self.offset = header.end
    }

    /// The next frame, or nil at the end of the file.
    /// - Throws: ``CodecError/malformed(format:offset:reason:)`` when a frame does not start with `FRAME`, or
    ///   ``CodecError/truncated(format:offset:needed:)`` when its pixels are cut short.
    public mutating func nextFrame() throws(CodecError) -> I420Frame? {
        guard offset < bytes.count else { return nil }
        let line = try Self.line(in: bytes, at: offset)
        guard line.text.hasPrefix("FRAME") else {
            throw .malformed(format: "Y4M", offset: offset, reason: "frame header is not FRAME")
        }
        let size = I420Frame.byteCount(width: width, height: height)
        var reader = LittleEndianReader(bytes, format: "Y4M", offset: line.end)
        let pixels = Array(try reader.read(size))
        offset = reader.offset
        return try I420Frame(width: width, height: height, bytes: pixels)
    }

    private static func line(in bytes: [UInt8], at start: Int) throws(CodecError) -> (text: String, end: Int) {
        var index = start
        let limit = min(bytes.count, start + maximumLineLength)
        while index < limit, bytes[index] != 0x0A { index += 1 }
        guard index < limit else {
            throw .malformed(format: "Y4M", offset: start, reason: "header line without a newline")
        }
        return (String(decoding: bytes[start..<index], as: UTF8.self), index + 1)
    }
}

/// Writes Y4M (4:2:0), e.g. to look at decoded video with any player (`ffplay out.y4m`).
public struct Y4MWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    public let width: Int
    public let height: Int

    public init(width: Int, height: Int, framesPerSecond: Int = 30) {
        self.width = width
        self.height = height
        bytes.appendASCII("YUV4MPEG2 W\(width) H\(height) F\(framesPerSecond):1 Ip A1:1 C420jpeg\n")
    }

    /// Appends a frame of the writer's size.
    public mutating func append(_ frame: I420Frame) throws(CodecError) {
        guard frame.width == width, frame.height == height else {
            throw .frameSizeMismatch(expected: I420Frame.byteCount(width: width, height: height), actual: frame.bytes.count)
        }
        bytes.appendASCII("FRAME\n")
        bytes.append(contentsOf: frame.bytes)
    }
}
