/// `sin` without Foundation: Media code imports no Foundation. Range-reduced Taylor series, accurate to ~1e-12
/// over 0…2π, which is far below 16-bit quantisation.
@inline(__always)
func sine(_ x: Double) -> Double {
    var angle = x.truncatingRemainder(dividingBy: 2 * Double.pi)
    if angle < 0 { angle += 2 * Double.pi }
    // Reduce to -π…π, then to -π/2…π/2 using sin(π - a) = sin(a).
    if angle > Double.pi { angle -= 2 * Double.pi }
    if angle > Double.pi / 2 { angle = Double.pi - angle } else if angle < -Double.pi / 2 { angle = -Double.pi - angle }
    let square = angle * angle
    var term = angle
    var sum = angle
    var n = 1.0
    for _ in 0..<10 {
        term *= -square / ((n + 1) * (n + 2))
        sum += term
        n += 2
    }
    return sum
}

/// `cos` from ``sine(_:)``.
@inline(__always)
func cosine(_ x: Double) -> Double { sine(x + Double.pi / 2) }
