import ICE
import NIOCore
import WebRTC

/// A ``PeerConnection`` living on a ``UDPMediaTransport``: the core, where its events go, its timer and the
/// remote addresses that route to it.
///
/// Confined to the transport's event loop, like the core it wraps.
public final class HostedPeerConnection {
    /// The sans-IO core. Call it only on the transport's event loop, and call ``UDPMediaTransport/service(_:)``
    /// after anything that may produce output (sending media, applying a description).
    public let core: PeerConnection
    /// Receives every event the core emits, on the event loop, in order. Called synchronously from the receive
    /// path: an sfuserver forwards from here without an actor hop; the async API hands events to its streams.
    public var onEvent: (PeerConnectionEvent) -> Void
    let id: Int
    var timer: Scheduled<Void>?
    var timerDeadline: NIODeadline?
    /// Remote addresses routed to this connection (released when it is removed).
    var remoteAddresses: Set<SocketAddress> = []
    /// The ICE username fragment it is registered under (changes with an ICE restart).
    var localUsernameFragment: String
    var isRemoved = false

    init(id: Int, core: PeerConnection, onEvent: @escaping (PeerConnectionEvent) -> Void) {
        self.id = id
        self.core = core
        self.onEvent = onEvent
        localUsernameFragment = core.localICECredentials.usernameFragment
    }
}
