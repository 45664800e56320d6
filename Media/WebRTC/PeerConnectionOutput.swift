import ICE
import NIOCore
import RTP

/// Something the owner of a ``PeerConnection`` should know.
public enum PeerConnectionEvent: Sendable {
    /// ICE selected a pair, DTLS completed and SRTP keys are installed: media can flow both ways.
    case connected
    /// A decrypted RTP packet, with the mid of the media section it belongs to (RFC 8843 §9.2), nil if unknown.
    case rtpReceived(RTPPacket, mid: String?)
    /// A decrypted RTCP compound packet, decoded.
    case rtcpReceived([RTCPPacket])
    /// The ICE connection state changed.
    case iceConnectionStateChanged(ICEConnectionState)
    /// A local candidate to signal to the peer (trickle ICE, RFC 8838 §4).
    case localCandidate(Candidate)
    /// The connection failed; nothing more flows until an ICE restart or a new connection.
    case failed(PeerConnectionError)
    /// ``PeerConnection/close(now:)`` was called: close_notify went out, nothing more flows.
    case closed
}

/// What ``PeerConnection/pollOutput()`` returns.
public enum PeerConnectionOutput: Sendable {
    /// Send `datagram` from the local socket bound to `from` to `to`.
    case transmit(ByteBuffer, from: SocketAddress, to: SocketAddress)
    /// An event.
    case event(PeerConnectionEvent)
}
