import Testing

/// The suites that run a real peer (aiortc, Chromium) in real time, one after another: run side by side on a busy
/// machine, the peers starve each other and media falls behind.
@Suite("WebRTC with real peers", .serialized)
enum RealPeerInterop {}
