import Foundation
import NIOCore
import NIOPosix
import RTP
import SDP
import Testing
import TestSupport
import WebRTC
import WebRTCDriver

/// Our PeerConnection and driver against headless Chromium (Selenium + chromedriver, fake camera and microphone),
/// over loopback UDP in real time: we offer, Chromium answers. Its getStats must show our Opus and VP8 decoded, and
/// we decode its fake camera's VP8 at the size it reports sending.
extension RealPeerInterop {
    @Suite(
        "WebRTC interop with headless Chromium",
        .enabled(
            if: RealPeer.available(
                RealPeer.executable("chromedriver") != nil && RealPeer.executable("chromium") != nil
                    && RealPeer.pythonModule("selenium")),
            "apt install chromium chromium-driver; pip install selenium==4.45.0"),
        .serialized
    )
    struct ChromiumMediaInteropTests {
        static let seconds = 6

        @Test("we offer, Chromium answers: both decode each other's audio and video")
        func weOffer() async throws {
            try await MediaPeerGate.shared.exclusively { try await run() }
        }

        func run() async throws {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let socket = try await MediaSocket.bind(host: "127.0.0.1", group: group)
            let peer = try await WebRTCPeer.create(on: socket)
            let chromium = try JSONLineProcess(script: "chromium_media_peer.py", arguments: [String(Self.seconds + 1)])
            defer { chromium.stop() }
            do {
                try chromium.writeJSON(["sdp": try await peer.createOffer()])
                let answer = try chromium.readJSON()
                if let error = answer["error"] { Issue.record("Chromium: \(error)") }
                try await peer.setRemoteDescription(try #require(answer["sdp"] as? String))
                let audioTrack = try await peer.localTrack(.audio)
                let videoTrack = try await peer.localTrack(.video)
                let audio = try await peer.receivedRTP(mid: audioTrack.mid)
                let video = try await peer.receivedRTP(mid: videoTrack.mid)
                try await peer.waitUntilConnected(timeout: .seconds(20))
                let connected = try chromium.readJSON(withKey: "connected")
                #expect(connected["connected"] as? Bool == true, "Chromium: \(connected)")

                async let sent = MediaExchange.send(on: peer, seconds: Self.seconds, width: 320, height: 240)
                async let decoded = MediaExchange.receive(
                    on: peer, audioMID: audioTrack.mid, videoMID: videoTrack.mid, audio: audio, video: video,
                    seconds: Self.seconds)
                let (ours, theirs) = try await (sent, decoded)
                let results = try #require(chromium.readJSON(withKey: "results")["results"] as? [String: Any])
                print("Chromium interop: sent \(ours); decoded \(theirs); Chromium getStats: \(results)")

                let inboundAudio = try #require(results["audio"] as? [String: Any])
                let inboundVideo = try #require(results["video"] as? [String: Any])
                #expect((inboundAudio["totalSamplesReceived"] as? Int ?? 0) > 0)
                #expect((inboundVideo["framesDecoded"] as? Int ?? 0) > 0)
                #expect(inboundVideo["frameWidth"] as? Int == 320 && inboundVideo["frameHeight"] as? Int == 240)

                let outboundVideo = try #require(results["outboundVideo"] as? [String: Any])
                #expect(theirs.videoFramesDecoded > 0)
                #expect(theirs.videoWidth == outboundVideo["frameWidth"] as? Int)
                #expect(theirs.videoHeight == outboundVideo["frameHeight"] as? Int)
                #expect(theirs.audioFramesDecoded > 0)
            } catch {
                Issue.record("\(error); Chromium peer stderr:\n\(chromium.stderrTail)")
            }
            await peer.close()
            await socket.close()
            try await group.shutdownGracefully()
        }
    }
}
