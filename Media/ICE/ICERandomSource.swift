/// The agent's own pseudo-random stream (SplitMix64), seeded once from the generator the caller injects, so an
/// agent is a plain value type and tests replay exactly.
///
/// It draws transaction IDs, consent-interval jitter and peer-reflexive foundations. None of these is a secret:
/// every check and response is authenticated by MESSAGE-INTEGRITY keyed with the ice-pwd, which comes from the
/// caller's generator directly (``ICECredentials/random(using:)``).
struct ICERandomSource: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
