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
        try await MediaPeerGate.shared.exclusively { try await meetAlone(participants) }
    }

    func meetAlone(_ participants: [(id: String, hz: Double, amplitude: Int)]) async throws -> (SFUHarness, [String: [String: Any]]) {
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

    @Test("muting a camera stops forwarding it at once while its audio keeps flowing",
        .enabled(if: RealPeer.available(aiortcPresent), "pip install aiortc==1.16.0"))
    func muteStopsForwarding() async throws {
        try await MediaPeerGate.shared.exclusively {
            let harness = try await SFUHarness.start()
            let alice = try AiortcParticipant(url: harness.url, token: try harness.token(meeting: "m", participant: "alice"),
                toneHz: 440, amplitude: 12000, expectedRemotes: 1)
            let bob = try AiortcParticipant(url: harness.url, token: try harness.token(meeting: "m", participant: "bob"),
                toneHz: 660, amplitude: 12000, expectedRemotes: 1)
            do {
                _ = try await alice.waitForReport(90)
                let before = try await bob.waitForReport(90)
                let mids = before["mids"] as? [String: [String: Any]] ?? [:]
                let cameraMid = try #require(mids.first { $0.value["owner"] as? String == "alice" && $0.value["kind"] as? String == "video" }?.key,
                    "bob has no video slot carrying alice: \(before)")
                try alice.control(["control": "mute", "track": "camera", "muted": true])
                // Until bob is told the slot is empty (the server stops forwarding when it reassigns the slot).
                var emptied: [String: Any] = [:]
                for attempt in 0..<100 {
                    try bob.control(["control": "report", "tag": "e\(attempt)"])
                    let report = try await bob.waitForReport(10, tag: "e\(attempt)")
                    if ((report["mids"] as? [String: [String: Any]])?[cameraMid]?["owner"] as? String) == nil {
                        emptied = report
                        break
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                try #require(!emptied.isEmpty, "bob's slot still carries alice's muted camera")
                func frames(_ report: [String: Any]) -> (video: Int, audio: Int) {
                    let video = (report["mids"] as? [String: [String: Any]])?[cameraMid]?["frames"] as? Int ?? 0
                    let audio = ((report["participants"] as? [String: [String: Any]])?["alice"]?["audioFrames"] as? Int) ?? 0
                    return (video, audio)
                }
                let atMute = frames(emptied)
                // Then at least another second of alice's audio: her video must not have moved meanwhile.
                var later = atMute
                for attempt in 0..<100 {
                    try bob.control(["control": "report", "tag": "l\(attempt)"])
                    later = frames(try await bob.waitForReport(10, tag: "l\(attempt)"))
                    if later.audio >= atMute.audio + 50 { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(later.audio >= atMute.audio + 50, "alice's audio stopped too: \(atMute) → \(later)")
                #expect(later.video - atMute.video <= 3, "alice's muted camera still reaches bob: \(atMute) → \(later)")
                print("SFU mute: bob decoded alice's camera \(atMute.video) → \(later.video) frames while her audio went \(atMute.audio) → \(later.audio)")
            } catch {
                await alice.stop()
                await bob.stop()
                await harness.server.shutdown()
                throw error
            }
            await alice.stop()
            await bob.stop()
            await harness.server.shutdown()
        }
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

/// Three headless Chromium participants and one aiortc participant in one room; one browser also shares a screen.
@Suite("sfuserver with Chromium and aiortc participants", .serialized)
struct SFUBrowserTests {
    static let peersPresent = RealPeer.pythonModule("aiortc") && RealPeer.pythonModule("selenium")
        && RealPeer.executable("chromium") != nil && RealPeer.executable("chromedriver") != nil

    @Test("everyone decodes everyone's audio and video; a screen share reaches the others while cameras flow",
        .enabled(if: RealPeer.available(peersPresent), "apt-get install chromium chromium-driver; pip install selenium aiortc"))
    func fourParticipantsWithScreenShare() async throws {
        try await MediaPeerGate.shared.exclusively { try await fourParticipants() }
    }

    func fourParticipants() async throws {
        let harness = try await SFUHarness.start()
        let ids = ["c1", "c2", "c3", "a1"]
        var spec: [String: Any] = [:]
        spec["participants"] = try ["c1", "c2", "c3"].map { id -> [String: Any] in
            ["id": id, "token": try harness.token(meeting: "room", participant: id), "screen": id == "c3"]
        }
        spec["expect"] = Dictionary(uniqueKeysWithValues: ["c1", "c2", "c3"].map { id in (id, ids.filter { $0 != id }) })
        spec["expectScreen"] = ["c1": "c3", "c2": "c3"]
        var browsers: ChromiumParticipants?
        var aiortc: AiortcParticipant?
        defer { _ = harness }
        do {
            browsers = try ChromiumParticipants(url: harness.url, spec: spec)
            aiortc = try AiortcParticipant(url: harness.url, token: try harness.token(meeting: "room", participant: "a1"),
                toneHz: 440, amplitude: 12000, expectedRemotes: 3)
            let reports = try await browsers!.waitForReports(120)
            let aiortcReport = try await aiortc!.waitForReport(90)
            let metrics = harness.server.metrics
            await browsers?.stop()
            await aiortc?.stop()
            await harness.server.shutdown()

            for me in ["c1", "c2", "c3"] {
                let report = try #require(reports[me], "no report for \(me)")
                #expect((report["errors"] as? [Any])?.isEmpty == true, "\(me): \(report)")
                let received = report["participants"] as? [String: [String: [String: Any]]] ?? [:]
                print("SFU interop: \(me) decoded " + received.keys.sorted().map { other in
                    let tracks = received[other] ?? [:]
                    return "\(other) video \(tracks["camera"]?["framesDecoded"] ?? 0) frames, audio energy "
                        + "\(tracks["microphone"]?["totalAudioEnergy"] ?? 0)"
                        + (tracks["screen"].map { ", screen \($0["framesDecoded"] ?? 0) frames \($0["frameWidth"] ?? 0)x\($0["frameHeight"] ?? 0)" } ?? "")
                }.joined(separator: "; "))
                for other in ids where other != me {
                    let camera = received[other]?["camera"] ?? [:]
                    let microphone = received[other]?["microphone"] ?? [:]
                    #expect((camera["framesDecoded"] as? Int ?? 0) > 0, "\(me) decoded no video of \(other): \(received)")
                    #expect((microphone["totalAudioEnergy"] as? Double ?? 0) > 0,
                        "\(me) heard no audio of \(other): \(received)")
                }
                if me != "c3" {
                    let screen = received["c3"]?["screen"] ?? [:]
                    #expect((screen["framesDecoded"] as? Int ?? 0) > 0, "\(me) decoded no screen of c3: \(received)")
                    #expect(screen["frameWidth"] as? Int == 640, "\(me): screen \(screen)")
                }
            }
            let received = aiortcReport["participants"] as? [String: [String: Any]] ?? [:]
            print("SFU interop: a1 (aiortc) decoded \(received); sfuserver \(metrics.packetsIn) packets in, \(metrics.packetsOut) out")
            for other in ["c1", "c2", "c3"] {
                #expect((received[other]?["videoFrames"] as? Int ?? 0) > 0, "aiortc decoded no video of \(other): \(aiortcReport)")
                #expect((received[other]?["audioFrames"] as? Int ?? 0) > 0, "aiortc decoded no audio of \(other): \(aiortcReport)")
            }
            #expect(metrics.participants == 4, "\(metrics)")
        } catch {
            await browsers?.stop()
            await aiortc?.stop()
            await harness.server.shutdown()
            throw error
        }
    }
}
