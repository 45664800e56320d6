/// Recovers the frequency of a tone in PCM, to check that audio survived a codec or a network path (a 440 Hz tone
/// sent must come back as 440 ± 2 Hz).
///
/// Two stages: positive-going zero crossings (with hysteresis against noise, and linear interpolation between
/// samples for sub-sample crossing times) give a first estimate; a Goertzel scan (the DFT at single frequencies)
/// around it, refined by parabolic interpolation of the power peak, gives the answer. The Goertzel stage keeps a
/// little codec noise or a second weak component from moving the result.
public enum FrequencyEstimator {
    /// The dominant frequency of a mono signal, or nil when it has no clear periodicity (silence, < 2 periods).
    public static func dominantFrequency(of samples: some Collection<Int16>, sampleRate: Int) -> Double? {
        let signal = samples.map { Double($0) }
        guard let coarse = zeroCrossingFrequency(of: signal, sampleRate: sampleRate) else { return nil }
        // Scan ±4 Hz around the coarse estimate in 0.25 Hz steps, then interpolate the peak.
        let step = 0.25
        let candidates = (-16...16).map { coarse + Double($0) * step }.filter { $0 > 0 }
        let powers = candidates.map { goertzelPower(of: signal, frequency: $0, sampleRate: sampleRate) }
        guard let best = powers.indices.max(by: { powers[$0] < powers[$1] }) else { return coarse }
        guard best > 0, best < powers.count - 1 else { return candidates[best] }
        let (left, middle, right) = (powers[best - 1], powers[best], powers[best + 1])
        let denominator = left - 2 * middle + right
        guard denominator != 0 else { return candidates[best] }
        let offset = 0.5 * (left - right) / denominator
        return candidates[best] + max(-0.5, min(0.5, offset)) * step
    }

    /// The channel `channel` of interleaved PCM, as a mono array.
    public static func channel(_ channel: Int, of interleaved: [Int16], channels: Int) -> [Int16] {
        guard channels > 0, channel >= 0, channel < channels else { return [] }
        return stride(from: channel, to: interleaved.count, by: channels).map { interleaved[$0] }
    }

    /// Frequency from the mean period between positive-going zero crossings, or nil with fewer than 3 crossings.
    public static func zeroCrossingFrequency(of signal: [Double], sampleRate: Int) -> Double? {
        guard signal.count > 2 else { return nil }
        let mean = signal.reduce(0, +) / Double(signal.count)
        let energy = signal.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(signal.count)
        guard energy > 1 else { return nil }
        let threshold = 0.1 * energy.squareRoot()
        var armed = false
        var first: Double?
        var last = 0.0
        var crossings = 0
        for index in 1..<signal.count {
            let previous = signal[index - 1] - mean
            let current = signal[index] - mean
            if current < -threshold { armed = true }
            if armed, previous < 0, current >= 0 {
                let time = Double(index - 1) + (-previous) / (current - previous)
                if first == nil { first = time }
                last = time
                crossings += 1
                armed = false
            }
        }
        guard crossings >= 3, let first, last > first else { return nil }
        return Double(crossings - 1) * Double(sampleRate) / (last - first)
    }

    /// The power of `signal` at `frequency` (the Goertzel algorithm: one DFT term, O(n)).
    public static func goertzelPower(of signal: [Double], frequency: Double, sampleRate: Int) -> Double {
        let omega = 2 * Double.pi * frequency / Double(sampleRate)
        let coefficient = 2 * cosine(omega)
        var s1 = 0.0
        var s2 = 0.0
        for sample in signal {
            let s0 = sample + coefficient * s1 - s2
            s2 = s1
            s1 = s0
        }
        return s1 * s1 + s2 * s2 - coefficient * s1 * s2
    }
}
