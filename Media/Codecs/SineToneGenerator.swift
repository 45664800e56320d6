/// A sine tone as 16-bit PCM, for test signals (`meetclient join --tone 440`) and codec tests.
///
/// Keeps its phase between calls, so consecutive 20 ms frames join without a click. Allocates nothing when
/// filling a caller's buffer.
public struct SineToneGenerator: Sendable, Hashable {
    /// Tone frequency in Hz.
    public var frequency: Double
    /// Peak amplitude, 0…32767.
    public var amplitude: Double
    public var sampleRate: Int
    /// Channels written per sample frame (interleaved; every channel gets the same tone).
    public var channels: Int
    /// Current phase in radians, 0..<2π.
    public private(set) var phase: Double = 0

    public init(frequency: Double, amplitude: Double = 8_000, sampleRate: Int = 48_000, channels: Int = 1) {
        self.frequency = frequency
        self.amplitude = min(max(amplitude, 0), 32_767)
        self.sampleRate = max(1, sampleRate)
        self.channels = max(1, channels)
    }

    /// Fills `buffer` with interleaved samples; a trailing partial sample frame is filled with the next value.
    public mutating func fill(_ buffer: UnsafeMutableBufferPointer<Int16>) {
        let step = 2 * Double.pi * frequency / Double(sampleRate)
        var index = 0
        while index < buffer.count {
            let value = Int16((amplitude * sine(phase)).rounded())
            for _ in 0..<channels where index < buffer.count {
                buffer[index] = value
                index += 1
            }
            phase += step
            if phase >= 2 * Double.pi { phase -= 2 * Double.pi }
        }
    }

    /// The next `sampleFrames` sample frames (× ``channels`` samples) as a new array.
    public mutating func next(sampleFrames: Int) -> [Int16] {
        var samples = [Int16](repeating: 0, count: max(0, sampleFrames) * channels)
        samples.withUnsafeMutableBufferPointer { fill($0) }
        return samples
    }
}
