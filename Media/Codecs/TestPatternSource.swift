/// A synthetic camera: eight vertical colour bars (the SMPTE/EBU order — white, yellow, cyan, green, magenta, red,
/// blue, black, in video-range BT.601 YUV) that scroll left by a few pixels per frame, with a white square that
/// moves down the picture, so that an encoder sees motion and a viewer sees that frames advance.
/// Used by `meetclient join --test-pattern`, the fixtures and the codec tests. Any size, I420.
public struct TestPatternSource: Sendable, Hashable {
    public let width: Int
    public let height: Int
    /// Pixels the bars move per frame.
    public var pixelsPerFrame: Int
    /// Frames produced so far.
    public private(set) var frameIndex: Int = 0

    /// (Y, U, V) of the eight bars, BT.601 video range.
    static let bars: [(UInt8, UInt8, UInt8)] = [
        (235, 128, 128), (210, 16, 146), (170, 166, 16), (145, 54, 34),
        (106, 202, 222), (81, 90, 240), (41, 240, 110), (16, 128, 128),
    ]

    public init(width: Int, height: Int, pixelsPerFrame: Int = 4) {
        self.width = max(2, width)
        self.height = max(2, height)
        self.pixelsPerFrame = pixelsPerFrame
    }

    /// Draws the next picture into `frame` (resized to this source's size) and advances.
    public mutating func nextFrame(into frame: inout I420Frame) {
        draw(index: frameIndex, into: &frame)
        frameIndex += 1
    }

    /// A new frame with the next picture.
    public mutating func nextFrame() -> I420Frame {
        var frame = I420Frame(width: width, height: height)
        nextFrame(into: &frame)
        return frame
    }

    /// Draws picture number `index` (deterministic: the same index gives the same picture).
    public func draw(index: Int, into frame: inout I420Frame) {
        frame.resize(width: width, height: height)
        let shift = (index &* pixelsPerFrame) % width
        let barWidth = max(1, (width + 7) / 8)
        let chromaWidth = frame.chromaWidth
        let chromaHeight = frame.chromaHeight
        let uOffset = frame.uOffset
        let vOffset = frame.vOffset
        let square = max(2, height / 8) & ~1
        let squareTop = (index &* 2) % max(1, height - square) & ~1
        let squareLeft = (width / 2 - square / 2) & ~1
        let bars = Self.bars
        let width = self.width
        let height = self.height
        frame.bytes.withUnsafeMutableBufferPointer { pixels in
            for x in 0..<width {
                let bar = bars[min(7, ((x + shift) % width) / barWidth)]
                for y in 0..<height { pixels[y * width + x] = bar.0 }
            }
            for cx in 0..<chromaWidth {
                let bar = bars[min(7, ((2 * cx + shift) % width) / barWidth)]
                for cy in 0..<chromaHeight {
                    pixels[uOffset + cy * chromaWidth + cx] = bar.1
                    pixels[vOffset + cy * chromaWidth + cx] = bar.2
                }
            }
            for y in squareTop..<min(height, squareTop + square) {
                for x in squareLeft..<min(width, squareLeft + square) { pixels[y * width + x] = 235 }
            }
            for cy in (squareTop / 2)..<min(chromaHeight, (squareTop + square) / 2) {
                for cx in (squareLeft / 2)..<min(chromaWidth, (squareLeft + square) / 2) {
                    pixels[uOffset + cy * chromaWidth + cx] = 128
                    pixels[vOffset + cy * chromaWidth + cx] = 128
                }
            }
        }
    }
}
