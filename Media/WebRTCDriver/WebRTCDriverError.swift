import WebRTC

/// Why a driver or ``WebRTCPeer`` call failed. Each case has a stable ``code``.
public enum WebRTCDriverError: Error, Sendable, CustomStringConvertible {
    /// The UDP (or TCP) socket could not be bound: address in use, no such interface.
    case bindFailed(String)
    /// The PeerConnection core refused the call (bad SDP, wrong state, not connected …).
    case peerConnection(PeerConnectionError)
    /// The description or candidate is not valid SDP.
    case invalidSDP(String)
    /// The socket or connection was closed.
    case closed
    /// No negotiated media section of this kind or mid.
    case noSuchTrack(String)
    /// The connection did not come up (or fail) in the time given.
    case timedOut(String)

    /// A stable machine-readable code.
    public var code: String {
        switch self {
        case .bindFailed: "webrtc-driver.bind-failed"
        case .peerConnection(let error): error.code
        case .invalidSDP: "webrtc-driver.invalid-sdp"
        case .closed: "webrtc-driver.closed"
        case .noSuchTrack: "webrtc-driver.no-such-track"
        case .timedOut: "webrtc-driver.timed-out"
        }
    }

    /// A human message.
    public var description: String {
        switch self {
        case .bindFailed(let why): "cannot bind the media socket: \(why)"
        case .peerConnection(let error): error.description
        case .invalidSDP(let why): "invalid SDP: \(why)"
        case .closed: "the media socket or connection is closed"
        case .noSuchTrack(let what): "no negotiated track \(what)"
        case .timedOut(let what): "timed out: \(what)"
        }
    }
}
