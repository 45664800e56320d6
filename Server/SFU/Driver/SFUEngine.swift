import DTLS
import NIOCore
import SFUCore
import ServerKit
import WebRTCDriver

/// Counters of the media loop, written only on it; ``SFUMetricsSnapshot`` copies are published every tick for
/// `/metrics` and the registry heartbeat, so readers on other threads never touch the loop's state.
struct SFUMetricsCounters {
    var packetsIn = 0
    var bytesIn = 0
    var packetsOut = 0
    var bytesOut = 0
    var sendFailures = 0
    var keyframeRequestsFromSubscribers = 0
    var keyframeRequestsToPublishers = 0
    var joins = 0
    var refusedJoins = 0
}

/// What `/metrics` and the registry see.
public struct SFUMetricsSnapshot: Sendable, Hashable {
    public var rooms = 0
    public var participants = 0
    public var packetsIn = 0
    public var bytesIn = 0
    public var packetsOut = 0
    public var bytesOut = 0
    public var keyframeRequestsFromSubscribers = 0
    public var keyframeRequestsToPublishers = 0
    public var joins = 0
    public var refusedJoins = 0
    public var draining = false
}

/// The sfuserver's state on its media event loop: rooms by meeting id, signaling sessions, counters. Every
/// signaling message is executed here, so rooms need no locks and forwarding never hops.
final class SFUEngine {
    let transport: UDPMediaTransport
    let certificate: DTLSCertificate
    let room: RoomConfiguration
    let maximumParticipants: Int
    var rooms: [String: SFURoom] = [:]
    var sessions: [Int: (meetingID: String, participantID: String)] = [:]
    var metrics = SFUMetricsCounters()
    var draining = false
    let started = NIODeadline.now()

    init(transport: UDPMediaTransport, certificate: DTLSCertificate, room: RoomConfiguration, maximumParticipants: Int) {
        self.transport = transport
        self.certificate = certificate
        self.room = room
        self.maximumParticipants = maximumParticipants
    }

    func monotonicSeconds() -> Double {
        Double((NIODeadline.now() - started).nanoseconds) / 1e9
    }

    var participantCount: Int { rooms.values.reduce(0) { $0 + $1.members.count } }

    /// A verified participant opens its session; false if refused (the sink was closed with the reason).
    func open(session: Int, claims: JoinClaims, sink: SignalingSink) -> Bool {
        if draining {
            metrics.refusedJoins += 1
            sink.close(with: SignalingError(.draining, "this sfuserver is shutting down; join again through the apiserver"))
            return false
        }
        let isResume = rooms[claims.meetingID]?.members[claims.participantID] != nil
        if !isResume && participantCount >= maximumParticipants {
            metrics.refusedJoins += 1
            sink.close(with: SignalingError(.roomFull, "this sfuserver serves its maximum of \(maximumParticipants) participants"))
            return false
        }
        let room = rooms[claims.meetingID] ?? SFURoom(meetingID: claims.meetingID, configuration: self.room,
            engine: self, certificate: certificate)
        rooms[claims.meetingID] = room
        guard room.join(claims, sessionID: session, sink: sink) else {
            metrics.refusedJoins += 1
            if room.members.isEmpty { rooms[claims.meetingID] = nil }
            return false
        }
        metrics.joins += 1
        sessions[session] = (claims.meetingID, claims.participantID)
        return true
    }

    func message(session: Int, _ message: ClientMessage, nowUnixSeconds: Int64) {
        guard let (meetingID, participantID) = sessions[session], let room = rooms[meetingID] else { return }
        room.handle(message, from: participantID, sessionID: session, nowUnixSeconds: nowUnixSeconds)
    }

    func closed(session: Int) {
        guard let (meetingID, participantID) = sessions.removeValue(forKey: session) else { return }
        guard let room = rooms[meetingID] else { return }
        room.disconnected(participant: participantID, sessionID: session)
        if room.members.isEmpty { rooms[meetingID] = nil }
    }

    func roomEnded(_ room: SFURoom) {
        room.closeAll(with: SignalingError(.meetingEnded, "the meeting has ended"))
        rooms[room.core.meetingID] = nil
    }

    func tick() -> SFUMetricsSnapshot {
        let now = monotonicSeconds()
        for (id, room) in rooms {
            room.tick(now: now)
            if room.members.isEmpty { rooms[id] = nil }
        }
        return snapshot
    }

    var snapshot: SFUMetricsSnapshot {
        SFUMetricsSnapshot(rooms: rooms.count, participants: participantCount, packetsIn: metrics.packetsIn,
            bytesIn: metrics.bytesIn, packetsOut: metrics.packetsOut, bytesOut: metrics.bytesOut,
            keyframeRequestsFromSubscribers: metrics.keyframeRequestsFromSubscribers,
            keyframeRequestsToPublishers: metrics.keyframeRequestsToPublishers, joins: metrics.joins,
            refusedJoins: metrics.refusedJoins, draining: draining)
    }

    /// Graceful drain: refuse new joins, tell everyone to rejoin elsewhere, close every connection.
    func drain() {
        draining = true
        for room in rooms.values {
            room.closeAll(with: SignalingError(.draining, "this sfuserver is shutting down; join again"))
        }
        rooms.removeAll()
        sessions.removeAll()
    }
}
