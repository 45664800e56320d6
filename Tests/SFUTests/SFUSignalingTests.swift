import Foundation
import SFU
import SFUCore
import TestSupport
import ServerKit
import Testing

/// The `/rtc` WebSocket of a real sfuserver on loopback: token checks, typed errors, host actions, chat. Each bad
/// input gets its error code and the room goes on.
@Suite("sfuserver signaling")
struct SFUSignalingTests {
    @Test("a forged, expired or other-server token is refused with a typed error and the connection closed")
    func badTokensAreRefused() async throws {
        let harness = try await SFUHarness.start()
        let forged = try harness.token(meeting: "m", participant: "p").dropLast(3) + "AAA"
        let expired = try harness.token(meeting: "m", participant: "p", expiresIn: -60)
        let otherServer = try harness.token(meeting: "m", participant: "p", sfu: "other.test:443")
        for (token, code) in [(String(forged), "token.invalid"), (expired, "token.expired"), (otherServer, "token.invalid"),
            ("", "token.invalid")]
        {
            // Read from the wire: the error frame, then a close frame, then the server ends the TCP connection.
            let (status, frames) = try await RawWebSocket.frames(port: harness.server.signalingPort, path: "/rtc?token=\(token)")
            #expect(status.contains("101"), "\(status)")
            let error = try #require(frames.first.flatMap { SignalingClient.object($0.text) }, "\(frames.map(\.text))")
            #expect(error["type"] as? String == "error" && error["code"] as? String == code, "\(error)")
            #expect(error["fatal"] as? Bool == true)
            #expect(frames.last?.opcode == 8, "no close frame after \(code)")
        }
        #expect(harness.server.metrics.participants == 0)
        await harness.server.shutdown()
    }

    @Test("unknown messages and malformed SDP get typed errors; the connection and the room carry on")
    func badMessagesAreNotFatal() async throws {
        let harness = try await SFUHarness.start()
        let alice = SignalingClient(url: "\(harness.url)?token=\(try harness.token(meeting: "m", participant: "alice"))")
        _ = try await alice.next(type: "joined")
        let bob = SignalingClient(url: "\(harness.url)?token=\(try harness.token(meeting: "m", participant: "bob"))")
        let joined = try await bob.next(type: "joined")
        #expect((joined["participants"] as? [[String: Any]])?.first?["id"] as? String == "alice", "\(joined)")
        _ = try await alice.next { $0["type"] as? String == "participantJoined" }

        for (text, code) in [
            (#"{"v":1,"type":"dance"}"#, "message.unknown"),
            ("not json", "message.malformed"),
            (#"{"v":1,"type":"mute","track":"microphone","muted":"yes"}"#, "message.malformed"),
            (#"{"v":2,"type":"ping"}"#, "protocol.version"),
        ] {
            alice.clear()
            alice.send(text)
            let error = try await alice.next(type: "error")
            #expect(error["code"] as? String == code, "\(text) → \(error)")
            if code == "protocol.version" {
                #expect(await alice.waitClosed(), "an unsupported version closes the connection")
            }
        }
        // Bob's connection: malformed SDP is an error, and ping still works.
        bob.send(.publishOffer(sdp: "v=0 this is not sdp", tracks: [:]))
        let sdpError = try await bob.next(type: "error")
        #expect(sdpError["code"] as? String == "sdp.invalid", "\(sdpError)")
        bob.send(.ping(id: 7))
        let pong = try await bob.next(type: "pong")
        #expect(pong["id"] as? Int == 7)
        // Alice's departure (closed after the version error) reached Bob.
        let left = try await bob.next(type: "participantLeft")
        #expect(left["participantID"] as? String == "alice")
        await alice.close()
        await bob.close()
        await harness.server.shutdown()
    }

    @Test("host actions are checked against the token's role; mute, chat, lock and remove reach everyone")
    func hostActions() async throws {
        let harness = try await SFUHarness.start()
        let host = SignalingClient(url: "\(harness.url)?token=\(try harness.token(meeting: "m", participant: "host", role: .host))")
        _ = try await host.next(type: "joined")
        let guest = SignalingClient(url: "\(harness.url)?token=\(try harness.token(meeting: "m", participant: "guest", role: .guest))")
        _ = try await guest.next(type: "joined")

        guest.send(.host(action: .remove, participantID: "host", track: nil))
        let forbidden = try await guest.next(type: "error")
        #expect(forbidden["code"] as? String == "forbidden", "\(forbidden)")

        host.send(.host(action: .mute, participantID: "guest", track: .microphone))
        let muted = try await guest.next(type: "mutedBy")
        #expect(muted["participantID"] as? String == "host" && muted["track"] as? String == "microphone")
        let update = try await host.next { ($0["participant"] as? [String: Any])?["audioMuted"] as? Bool == true }
        #expect((update["participant"] as? [String: Any])?["id"] as? String == "guest")

        guest.send(.chat(text: "hello <b>everyone</b>"))
        let chat = try await host.next(type: "chat")
        #expect(chat["text"] as? String == "hello <b>everyone</b>" && chat["from"] as? String == "guest")

        host.send(.host(action: .lock, participantID: nil, track: nil))
        _ = try await guest.next(type: "roomLocked")
        let late = SignalingClient(url: "\(harness.url)?token=\(try harness.token(meeting: "m", participant: "late"))")
        let locked = try await late.next(type: "error")
        #expect(locked["code"] as? String == "room.locked", "\(locked)")
        #expect(await late.waitClosed())

        host.send(.host(action: .remove, participantID: "guest", track: nil))
        let removed = try await guest.next { $0["code"] as? String == "participant.removed" }
        #expect(removed["code"] as? String == "participant.removed", "\(removed)")
        #expect(await guest.waitClosed())
        let left = try await host.next(type: "participantLeft")
        #expect(left["participantID"] as? String == "guest" && left["reason"] as? String == "removed")

        host.send(.host(action: .end, participantID: nil, track: nil))
        _ = try await host.next(type: "ended")
        #expect(await host.waitClosed())
        for client in [host, guest, late] { await client.close() }
        await harness.server.shutdown()
    }

    @Test("joining again with the same participant resumes and closes the older connection")
    func reconnectResumes() async throws {
        let harness = try await SFUHarness.start()
        let token = try harness.token(meeting: "m", participant: "p")
        let first = SignalingClient(url: "\(harness.url)?token=\(token)")
        _ = try await first.next(type: "joined")
        first.send(.raiseHand(raised: true))
        _ = try await first.next(type: "participantUpdated")
        let second = SignalingClient(url: "\(harness.url)?token=\(token)")
        let joined = try await second.next(type: "joined")
        #expect(joined["resumed"] as? Bool == true, "\(joined)")
        let replaced = try await first.next(type: "error")
        #expect(replaced["code"] as? String == "session.replaced")
        #expect(await first.waitClosed())
        second.send(.ping(id: 1))
        _ = try await second.next(type: "pong")
        await first.close()
        await second.close()
        await harness.server.shutdown()
    }
}
