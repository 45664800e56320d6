/// The registry protocol between an sfu/turn/fs server and the apiserver (DESIGN.md §2 "Registry").
///
/// The server opens a WebSocket to `<apiserver>/v1/registry` with `Authorization: Bearer <server credential>`
/// (a ``ServerClaims`` token signed with the ``KeyPurpose/server`` key; its kind and address are the server's
/// identity). A wrong or expired credential is refused at the upgrade with HTTP 401 and no WebSocket.
/// Then, as JSON text messages:
///
/// 1. server → apiserver `{"type":"announce","capacity":500,"load":0,"draining":false}`
/// 2. apiserver → server `{"type":"welcome","serverID":"…","heartbeatSeconds":5,"deadAfterSeconds":15}`
/// 3. server → apiserver `{"type":"heartbeat","load":12,"draining":false}` every `heartbeatSeconds`
///
/// A server not heard from for `deadAfterSeconds` is marked dead, and meetings on a dead sfuserver are
/// reallocated. Drain (`"draining":true`) keeps existing meetings but allocates no new ones to the server.
/// The apiserver answers anything it cannot use with `{"type":"error","code":"…","message":"…"}` and closes.
public struct RegistryMessage: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable {
        case announce, welcome, heartbeat, error
    }

    public var type: Kind
    /// announce: how many participants (sfu), allocations (turn) or bytes (fs) the server takes.
    public var capacity: Int?
    /// announce, heartbeat: the server's current load in the same unit as `capacity`.
    public var load: Int?
    /// announce, heartbeat: no new meetings, please.
    public var draining: Bool?
    /// welcome: the registry's id for this server.
    public var serverID: String?
    /// welcome: how often to heartbeat.
    public var heartbeatSeconds: Double?
    /// welcome: silence after which the server is taken as dead.
    public var deadAfterSeconds: Double?
    /// error: a stable code and a message.
    public var code: String?
    public var message: String?

    public init(type: Kind, capacity: Int? = nil, load: Int? = nil, draining: Bool? = nil, serverID: String? = nil,
        heartbeatSeconds: Double? = nil, deadAfterSeconds: Double? = nil, code: String? = nil, message: String? = nil)
    {
        self.type = type
        self.capacity = capacity
        self.load = load
        self.draining = draining
        self.serverID = serverID
        self.heartbeatSeconds = heartbeatSeconds
        self.deadAfterSeconds = deadAfterSeconds
        self.code = code
        self.message = message
    }

    public static func announce(capacity: Int, load: Int, draining: Bool) -> RegistryMessage {
        RegistryMessage(type: .announce, capacity: capacity, load: load, draining: draining)
    }

    public static func heartbeat(load: Int, draining: Bool) -> RegistryMessage {
        RegistryMessage(type: .heartbeat, load: load, draining: draining)
    }

    /// The path of the registry WebSocket on the apiserver.
    public static let path = "/v1/registry"
}
