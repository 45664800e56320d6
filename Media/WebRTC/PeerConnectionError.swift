import DTLS
import ICE
import SDP
import SRTP

/// Why a ``PeerConnection`` call failed or the connection failed. Each case has a stable ``code``.
public enum PeerConnectionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The remote description is not valid SDP.
    case invalidDescription(SDPParseError)
    /// The remote description lacks something WebRTC requires (RFC 8829 §5.8): ICE credentials, a fingerprint,
    /// a setup attribute, a BUNDLE group, rtcp-mux.
    case missingAttribute(String)
    /// A call came in the wrong JSEP state (e.g. `createAnswer()` without a remote offer).
    case wrongSignalingState(String)
    /// No codec of the offer is one we support, for the media section with this mid.
    case noCommonCodec(mid: String)
    /// ICE refused a credential or candidate.
    case ice(ICEError)
    /// DTLS failed: bad setup roles, fingerprint mismatch, handshake error.
    case dtls(DTLSError)
    /// SRTP could not be set up or refused to protect a packet.
    case srtp(SRTPError)
    /// DTLS negotiated an SRTP profile we cannot install (RFC 5764 §4.1.2 identifier).
    case unsupportedSRTPProfile(UInt16)
    /// An RTCP packet given to send could not be serialized.
    case unserializableRTCP(String)
    /// Media cannot be sent yet: no selected ICE pair or no SRTP keys.
    case notConnected
    /// ICE failed (every pair failed, or consent was lost, RFC 7675 §5.1).
    case iceFailed
    /// The peer closed DTLS (close_notify).
    case closedByPeer

    /// A stable machine-readable code.
    public var code: String {
        switch self {
        case .invalidDescription: "webrtc.invalid-description"
        case .missingAttribute: "webrtc.missing-attribute"
        case .wrongSignalingState: "webrtc.wrong-signaling-state"
        case .noCommonCodec: "webrtc.no-common-codec"
        case .ice: "webrtc.ice"
        case .dtls: "webrtc.dtls"
        case .srtp: "webrtc.srtp"
        case .unsupportedSRTPProfile: "webrtc.unsupported-srtp-profile"
        case .unserializableRTCP: "webrtc.unserializable-rtcp"
        case .notConnected: "webrtc.not-connected"
        case .iceFailed: "webrtc.ice-failed"
        case .closedByPeer: "webrtc.closed-by-peer"
        }
    }

    /// A human message.
    public var description: String {
        switch self {
        case .invalidDescription(let error): "invalid session description: \(error)"
        case .missingAttribute(let what): "the remote description lacks \(what)"
        case .wrongSignalingState(let why): "wrong signaling state: \(why)"
        case .noCommonCodec(let mid): "no supported codec in the media section with mid \(mid)"
        case .ice(let error): "ICE: \(error)"
        case .dtls(let error): "DTLS: \(error)"
        case .srtp(let error): "SRTP: \(error)"
        case .unsupportedSRTPProfile(let id): "unsupported SRTP profile 0x\(String(id, radix: 16))"
        case .unserializableRTCP(let why): "cannot serialize RTCP: \(why)"
        case .notConnected: "not connected: no selected ICE pair or no SRTP keys yet"
        case .iceFailed: "ICE failed (no working pair, or consent lost)"
        case .closedByPeer: "the peer closed the DTLS association"
        }
    }
}
