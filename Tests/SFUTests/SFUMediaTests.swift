import Foundation
import SFU
import TestSupport
import Testing

/// Real participants we did not write (aiortc) in one room of our sfuserver, through its real `/rtc` WebSocket
/// and UDP media socket on loopback.
@Suite("sfuserver with aiortc participants", .serialized)
struct SFUMediaTests {
    static let aiortcPresent = RealPeer.pythonModule("aiortc")

    /// Runs `participants` (tone Hz, amplitude) in one meeting and returns their reports by participant id.
    func meet(_ participants: [(id: String, hz: Double, amplitude: Int)]) async throws -> (SFUHarness, [String: [String: Any]]) {
        let harness = try await SFUHarness.start()
        var peers: [(String, AiortcParticipant)] = []
        do {
            for participant in participants {
                let token = try harness.token(meeting: "m1", participant: participant.id)
                peers.append((participant.id, try AiortcParticipant(url: harness.url, token: token,
                    toneHz: participant.hz, amplitude: participant.amplitude, expectedRemotes: participants.count - 1)))
            }
            var reports: [String: [String: Any]] = [:]
            for (id, peer) in peers { reports[id] = try await peer.waitForReport(90) }
            for (_, peer) in peers { await peer.stop() }
            return (harness, reports)
        } catch {
            for (_, peer) in peers { await peer.stop() }
            await harness.server.shutdown()
            throw error
        }
    }

    @Test("two aiortc participants each decode the other's Opus tone and VP8 video through the sfuserver",
        .enabled(if: RealPeer.available(aiortcPresent), "pip install aiortc==1.16.0"))
    func twoParticipantsExchangeMedia() async throws {
        let (harness, reports) = try await meet([("alice", 440, 12000), ("bob", 660, 12000)])
        let metrics = harness.server.metrics
        await harness.server.shutdown()
        for (me, other, hz) in [("alice", "bob", 660.0), ("bob", "alice", 440.0)] {
            let report = try #require(reports[me])
            let participants = try #require(report["participants"] as? [String: [String: Any]], "\(report)")
            let received = try #require(participants[other], "\(me) received nothing from \(other): \(report)")
            #expect((received["audioFrames"] as? Int ?? 0) >= 100, "\(me) ← \(other): \(received)")
            #expect((received["videoFrames"] as? Int ?? 0) >= 40, "\(me) ← \(other): \(received)")
            #expect(received["width"] as? Int == 320 && received["height"] as? Int == 240, "\(received)")
            let frequency = received["frequency"] as? Double ?? 0
            #expect(abs(frequency - hz) < 3, "\(me) heard \(other) at \(frequency) Hz, sent \(hz) Hz")
            #expect((report["errors"] as? [Any])?.isEmpty == true, "\(report)")
        }
        #expect(metrics.packetsOut > 0 && metrics.packetsIn > 0, "\(metrics)")
    }

    @Test("the dominant speaker is the participant who makes sound",
        .enabled(if: RealPeer.available(aiortcPresent), "pip install aiortc==1.16.0"))
    func dominantSpeakerFollowsSound() async throws {
        let (harness, reports) = try await meet([("speaker", 500, 12000), ("quiet", 700, 0)])
        await harness.server.shutdown()
        for id in ["speaker", "quiet"] {
            let report = try #require(reports[id])
            let seen = (report["dominantSpeakers"] as? [Any])?.compactMap { $0 as? String } ?? []
            #expect(seen.contains("speaker"), "\(id) saw dominant speakers \(seen)")
            #expect(!seen.contains("quiet"), "\(id) saw dominant speakers \(seen)")
        }
    }
}
