/// Who is speaking and who is the dominant speaker, from RFC 6464 audio levels, in virtual time.
///
/// The driver averages the `ssrc-audio-level` header extension (RFC 6464 §3: 0 to 127 meaning 0 to −127 dBov) of
/// each publisher's packets over a short interval and hands the averages in with ``update(levels:now:)``. Levels
/// are smoothed (exponential moving average); a participant speaks while the smoothed level is above
/// ``speakingThreshold``. The dominant speaker changes with hysteresis so it does not flap between two people
/// talking over each other: a challenger must be louder than the current dominant speaker by ``switchMargin`` for
/// ``switchHold``, or the current one must have been silent for ``silenceRelease``. (Jitsi's dominant-speaker
/// identification, after Volfin and Cohen, uses three time scales for the same purpose; this is the simpler
/// two-rule form, documented in docs/signaling.md.)
public struct SpeakerDetector: Sendable {
    /// Smoothed level in dBov (0 loudest, −127 silence) per participant.
    public private(set) var smoothed: [String: Double] = [:]
    public private(set) var dominant: String?
    /// Seconds-based times (monotonic) of the last moment each participant was above the threshold.
    public private(set) var lastSpoke: [String: Double] = [:]
    var challenger: String?
    var challengerSince: Double = 0

    /// Smoothed dBov above which a participant speaks (speech is typically −20 to −40 dBov; silence with comfort
    /// noise below −60).
    public var speakingThreshold = -50.0
    public var switchMargin = 6.0
    public var switchHold = 1.0
    public var silenceRelease = 1.5
    /// Weight of a new average in the moving average (per update; updates come every ~200 ms).
    public var smoothing = 0.4

    public init() {}

    /// Whether `participant` speaks now.
    public func isSpeaking(_ participant: String) -> Bool {
        (smoothed[participant] ?? -127) > speakingThreshold
    }

    /// Participants speaking now, loudest first.
    public var speaking: [String] {
        smoothed.filter { $0.value > speakingThreshold }.sorted { $0.value > $1.value }.map(\.key)
    }

    /// Feeds the average level (dBov, 0…−127) of every audio publisher over the last interval; publishers that
    /// sent nothing (muted, DTX) should be given −127. Returns true when the dominant speaker changed.
    public mutating func update(levels: [String: Double], now: Double) -> Bool {
        for (participant, level) in levels {
            let clamped = min(0, max(-127, level))
            let previous = smoothed[participant] ?? -127
            let value = previous + smoothing * (clamped - previous)
            smoothed[participant] = value
            if value > speakingThreshold { lastSpoke[participant] = now }
        }
        for participant in smoothed.keys where levels[participant] == nil {
            smoothed[participant] = max(-127, (smoothed[participant] ?? -127) - 10)
        }
        // While everyone is silent the last dominant speaker stays: only a new voice replaces it.
        guard let loudest = speaking.first else {
            challenger = nil
            return false
        }
        guard let current = dominant, smoothed[current] != nil else {
            dominant = loudest
            challenger = nil
            return true
        }
        if loudest == current {
            challenger = nil
            return false
        }
        if now - (lastSpoke[current] ?? -.infinity) >= silenceRelease {
            dominant = loudest
            challenger = nil
            return true
        }
        let margin = (smoothed[loudest] ?? -127) - (smoothed[current] ?? -127)
        guard margin >= switchMargin else {
            challenger = nil
            return false
        }
        if challenger != loudest {
            challenger = loudest
            challengerSince = now
            return false
        }
        if now - challengerSince >= switchHold {
            dominant = loudest
            challenger = nil
            return true
        }
        return false
    }

    /// Forgets a participant who left.
    public mutating func remove(_ participant: String) -> Bool {
        smoothed.removeValue(forKey: participant)
        lastSpoke.removeValue(forKey: participant)
        if challenger == participant { challenger = nil }
        guard dominant == participant else { return false }
        dominant = speaking.first
        return true
    }
}
