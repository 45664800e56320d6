import Foundation
import ServerKit

// JSON coding of the signaling messages: `{"v":1,"type":"…", …fields}` (docs/signaling.md). Decoding never traps
// and never guesses: a missing or wrongly typed field is a ``SignalingErrorCode/malformedMessage`` naming it, an
// unknown `type` is ``SignalingErrorCode/unknownMessage``, another `v` is ``SignalingErrorCode/unsupportedVersion``.

/// The largest signaling message accepted (an SDP offer with many sections is ~20 KiB).
public let maximumSignalingMessageBytes = 256 * 1024

extension ClientMessage {
    /// Decodes one text frame.
    public static func decode(_ text: String) throws(SignalingError) -> ClientMessage {
        guard text.utf8.count <= maximumSignalingMessageBytes else {
            throw SignalingError(.tooLarge, "a message is at most \(maximumSignalingMessageBytes) bytes")
        }
        let raw: RawClientMessage
        do {
            raw = try JSONDecoder().decode(RawClientMessage.self, from: Data(text.utf8))
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw SignalingError(.malformedMessage, "\"\(field)\" has the wrong type")
        } catch {
            throw SignalingError(.malformedMessage, "not a JSON object")
        }
        guard let version = raw.v else {
            throw SignalingError(.malformedMessage, "\"v\" (the protocol version, \(signalingProtocolVersion)) is missing")
        }
        guard version == signalingProtocolVersion else {
            throw SignalingError(.unsupportedVersion,
                "protocol version \(version) is not supported; this sfuserver speaks \(signalingProtocolVersion)")
        }
        guard let type = raw.type else { throw SignalingError(.malformedMessage, "\"type\" is missing") }
        switch type {
        case "publishOffer":
            var tracks: [String: TrackKind] = [:]
            for (mid, value) in raw.tracks ?? [:] {
                guard let kind = TrackKind(rawValue: value) else {
                    throw SignalingError(.malformedMessage, "\"tracks\" values are microphone, camera or screen")
                }
                tracks[mid] = kind
            }
            return .publishOffer(sdp: try required(raw.sdp, "sdp"), tracks: tracks)
        case "subscribeOffer":
            var slots: [String: SlotKind] = [:]
            for (mid, value) in raw.slots ?? [:] {
                guard let kind = SlotKind(rawValue: value) else {
                    throw SignalingError(.malformedMessage, "\"slots\" values are audio, video or screen")
                }
                slots[mid] = kind
            }
            return .subscribeOffer(sdp: try required(raw.sdp, "sdp"), slots: slots)
        case "candidate":
            guard let pc = PeerConnectionRole(rawValue: try required(raw.pc, "pc")) else {
                throw SignalingError(.malformedMessage, "\"pc\" is publish or subscribe")
            }
            return .candidate(pc: pc, candidate: raw.candidate)
        case "mute":
            return .mute(track: try track(required(raw.track, "track")), muted: try required(raw.muted, "muted"))
        case "chat":
            let text = try required(raw.text, "text")
            guard !text.isEmpty, text.count <= 4000 else {
                throw SignalingError(.malformedMessage, "\"text\" is 1 to 4000 characters")
            }
            return .chat(text: text)
        case "raiseHand":
            return .raiseHand(raised: try required(raw.raised, "raised"))
        case "host":
            guard let action = HostAction(rawValue: try required(raw.action, "action")) else {
                throw SignalingError(.malformedMessage, "\"action\" is mute, muteAll, remove, lock, unlock or end")
            }
            return .host(action: action, participantID: raw.participantID, track: try raw.track.map(track))
        case "ping":
            return .ping(id: raw.id)
        default:
            throw SignalingError(.unknownMessage, "unknown message type \"\(type)\"")
        }
    }

    private static func required<Value>(_ value: Value?, _ name: String) throws(SignalingError) -> Value {
        guard let value else { throw SignalingError(.malformedMessage, "\"\(name)\" is missing") }
        return value
    }

    private static func track(_ value: String) throws(SignalingError) -> TrackKind {
        guard let kind = TrackKind(rawValue: value) else {
            throw SignalingError(.malformedMessage, "\"track\" is microphone, camera or screen")
        }
        return kind
    }

    /// Encodes the message (what a client sends; used by meetclient and the tests).
    public func encoded() -> String {
        var object: [String: Any] = ["v": signalingProtocolVersion]
        switch self {
        case .publishOffer(let sdp, let tracks):
            object["type"] = "publishOffer"
            object["sdp"] = sdp
            object["tracks"] = tracks.mapValues(\.rawValue)
        case .subscribeOffer(let sdp, let slots):
            object["type"] = "subscribeOffer"
            object["sdp"] = sdp
            object["slots"] = slots.mapValues(\.rawValue)
        case .candidate(let pc, let candidate):
            object["type"] = "candidate"
            object["pc"] = pc.rawValue
            object["candidate"] = candidate ?? NSNull()
        case .mute(let track, let muted):
            object["type"] = "mute"
            object["track"] = track.rawValue
            object["muted"] = muted
        case .chat(let text):
            object["type"] = "chat"
            object["text"] = text
        case .raiseHand(let raised):
            object["type"] = "raiseHand"
            object["raised"] = raised
        case .host(let action, let participantID, let track):
            object["type"] = "host"
            object["action"] = action.rawValue
            if let participantID { object["participantID"] = participantID }
            if let track { object["track"] = track.rawValue }
        case .ping(let id):
            object["type"] = "ping"
            if let id { object["id"] = id }
        }
        return serializeJSON(object)
    }
}

extension ServerMessage {
    /// Encodes the message as one text frame.
    public func encoded() -> String {
        var object: [String: Any] = ["v": signalingProtocolVersion]
        switch self {
        case .joined(let participantID, let meetingID, let participants, let slots, let resumed, let locked):
            object["type"] = "joined"
            object["participantID"] = participantID
            object["meetingID"] = meetingID
            object["participants"] = participants.map(\.jsonObject)
            object["slots"] = ["audio": slots.audio, "video": slots.video, "screen": slots.screen]
            object["resumed"] = resumed
            object["locked"] = locked
        case .publishAnswer(let sdp):
            object["type"] = "publishAnswer"
            object["sdp"] = sdp
        case .subscribeAnswer(let sdp):
            object["type"] = "subscribeAnswer"
            object["sdp"] = sdp
        case .participantJoined(let info):
            object["type"] = "participantJoined"
            object["participant"] = info.jsonObject
        case .participantLeft(let participantID, let reason):
            object["type"] = "participantLeft"
            object["participantID"] = participantID
            object["reason"] = reason
        case .participantUpdated(let info):
            object["type"] = "participantUpdated"
            object["participant"] = info.jsonObject
        case .slots(let assignments):
            object["type"] = "slots"
            object["slots"] = assignments.map { slot -> [String: Any] in
                var entry: [String: Any] = ["mid": slot.mid, "kind": slot.kind.rawValue]
                entry["participantID"] = slot.participantID ?? NSNull()
                entry["track"] = slot.track?.rawValue ?? NSNull()
                return entry
            }
        case .dominantSpeaker(let participantID):
            object["type"] = "dominantSpeaker"
            object["participantID"] = participantID ?? NSNull()
        case .speaking(let participantIDs):
            object["type"] = "speaking"
            object["participantIDs"] = participantIDs
        case .chat(let from, let displayName, let text, let sentAt):
            object["type"] = "chat"
            object["from"] = from
            object["displayName"] = displayName
            object["text"] = text
            object["sentAt"] = sentAt
        case .mutedBy(let participantID, let track):
            object["type"] = "mutedBy"
            object["participantID"] = participantID
            object["track"] = track.rawValue
        case .roomLocked(let locked):
            object["type"] = "roomLocked"
            object["locked"] = locked
        case .ended(let by):
            object["type"] = "ended"
            object["by"] = by
        case .pong(let id):
            object["type"] = "pong"
            if let id { object["id"] = id }
        case .error(let error):
            object["type"] = "error"
            object["code"] = error.code.rawValue
            object["message"] = error.message
            object["fatal"] = error.isFatal
        }
        return serializeJSON(object)
    }
}

extension ParticipantInfo {
    var jsonObject: [String: Any] {
        ["id": id, "displayName": displayName, "role": role.rawValue, "tracks": tracks.map(\.rawValue),
         "audioMuted": audioMuted, "videoMuted": videoMuted, "handRaised": handRaised]
    }
}

/// Sorted keys so a message's text is deterministic (tests compare it, logs diff it).
func serializeJSON(_ object: [String: Any]) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
        return "{\"v\":\(signalingProtocolVersion),\"type\":\"error\",\"code\":\"server.internal\"}"
    }
    return String(decoding: data, as: UTF8.self)
}

/// Every field any client message may have, each optional and typed: JSONDecoder reports a wrongly typed one
/// with its name, and ``ClientMessage/decode(_:)`` checks which are required for the `type`.
struct RawClientMessage: Decodable {
    var v: Int?
    var type: String?
    var sdp: String?
    var tracks: [String: String]?
    var slots: [String: String]?
    var pc: String?
    var candidate: String?
    var track: String?
    var muted: Bool?
    var text: String?
    var raised: Bool?
    var action: String?
    var participantID: String?
    var id: Int?
}
