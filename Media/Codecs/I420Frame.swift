/// One video picture in I420 (planar YUV 4:2:0, 8 bits): the Y plane at full size, then U and V at half width and
/// half height (rounded up). Planes are tightly packed (stride = plane width) in one contiguous array, the layout
/// of Y4M files and of `VPX_IMG_FMT_I420` with a stride alignment of 1.
///
/// A value type; decoders write into a frame the caller keeps, so the storage is reused from frame to frame.
public struct I420Frame: Sendable, Hashable {
    /// Width of the luma plane in pixels.
    public private(set) var width: Int
    /// Height of the luma plane in pixels.
    public private(set) var height: Int
    /// Y, then U, then V, tightly packed.
    public var bytes: [UInt8]

    /// A frame of the given size, filled with black (Y 16, U/V 128, video range).
    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        bytes = []
        bytes.reserveCapacity(Self.byteCount(width: self.width, height: self.height))
        bytes.append(contentsOf: repeatElement(16, count: self.width * self.height))
        bytes.append(contentsOf: repeatElement(128, count: 2 * chromaWidth * chromaHeight))
    }

    /// A frame over existing I420 bytes.
    /// - Throws: ``CodecError/frameSizeMismatch(expected:actual:)`` when `bytes` is not exactly one frame.
    public init(width: Int, height: Int, bytes: [UInt8]) throws(CodecError) {
        guard width > 0, height > 0 else {
            throw .invalidConfiguration("I420 frame size \(width)x\(height) is empty")
        }
        let expected = Self.byteCount(width: width, height: height)
        guard bytes.count == expected else { throw .frameSizeMismatch(expected: expected, actual: bytes.count) }
        self.width = width
        self.height = height
        self.bytes = bytes
    }

    /// Bytes in an I420 frame of this size.
    public static func byteCount(width: Int, height: Int) -> Int {
        width * height + 2 * ((width + 1) / 2) * ((height + 1) / 2)
    }

    /// Width of the U and V planes.
    public var chromaWidth: Int { (width + 1) / 2 }
    /// Height of the U and V planes.
    public var chromaHeight: Int { (height + 1) / 2 }
    /// Where the U plane starts in ``bytes``.
    public var uOffset: Int { width * height }
    /// Where the V plane starts in ``bytes``.
    public var vOffset: Int { width * height + chromaWidth * chromaHeight }

    /// Changes the frame's size, reusing the storage (only growing it when needed). Contents are unspecified.
    public mutating func resize(width: Int, height: Int) {
        guard width != self.width || height != self.height else { return }
        self.width = max(0, width)
        self.height = max(0, height)
        let count = Self.byteCount(width: self.width, height: self.height)
        if bytes.count > count {
            bytes.removeSubrange(count...)
        } else if bytes.count < count {
            bytes.append(contentsOf: repeatElement(0, count: count - bytes.count))
        }
    }

    /// The mean luma of the frame (0…255), a cheap check that a decoded picture resembles the sent one.
    public var meanLuma: Double {
        let count = width * height
        guard count > 0 else { return 0 }
        var sum = 0
        for index in 0..<count { sum &+= Int(bytes[index]) }
        return Double(sum) / Double(count)
    }
}
