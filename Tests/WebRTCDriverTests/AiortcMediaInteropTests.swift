import Foundation
import NIOCore
import NIOPosix
import RTP
import SDP
import Testing
import TestSupport
import WebRTC
import WebRTCDriver

/// Our PeerConnection and driver against aiortc 1.16 (Tests/Peers/aiortc_media_peer.py), a WebRTC stack we did not
/// write, over loopback UDP in real time, once with us offering and once answering. Opus and VP8 flow both ways;
/// aiortc decodes ours and counts frames, we decode its with libopus/libvpx and recover its 440 Hz tone and frame
/// size.
extension RealPeerInterop {
    @Suite(
        "WebRTC interop with aiortc (Opus + VP8 both ways)",
        .enabled(if: RealPeer.available(RealPeer.pythonModule("aiortc")), "pip install aiortc==1.16.0"),
        .serialized
    )
    struct AiortcMediaInteropTests {
        static let seconds = 6
        static let width = 320
        static let height = 240

        @Test("we offer, aiortc answers")
        func weOffer() async throws {
            try await MediaPeerGate.shared.exclusively { try await run(weOffer: true) }
        }

        @Test("aiortc offers, we answer")
        func weAnswer() async throws {
            try await MediaPeerGate.shared.exclusively { try await run(weOffer: false) }
        }

        func run(weOffer: Bool) async throws {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let socket = try await MediaSocket.bind(host: "127.0.0.1", group: group)
            let peer = try await WebRTCPeer.create(on: socket)
            let aiortc = try JSONLineProcess(
                script: "aiortc_media_peer.py",
                arguments: [weOffer ? "answer" : "offer", String(Self.seconds + 2), "150", "75"])
            defer { aiortc.stop() }
            do {
                if weOffer {
                    try aiortc.writeJSON(["sdp": try await peer.createOffer()])
                    let answer = try aiortc.readJSON(withKey: "sdp")
                    try await peer.setRemoteDescription(try #require(answer["sdp"] as? String))
                } else {
                    let offer = try aiortc.readJSON(withKey: "sdp")
                    try await peer.setRemoteDescription(try #require(offer["sdp"] as? String))
                    try aiortc.writeJSON(["sdp": try await peer.createAnswer()])
                }
                let audioTrack = try await peer.localTrack(.audio)
                let videoTrack = try await peer.localTrack(.video)
                let audio = try await peer.receivedRTP(mid: audioTrack.mid)
                let video = try await peer.receivedRTP(mid: videoTrack.mid)
                try await peer.waitUntilConnected(timeout: .seconds(20))
                // Our side connects first when we are the DTLS client; aiortc installs its SRTP keys only when its
                // own handshake completes, which on a loaded machine (the whole suite runs in parallel in CI) came
                // seconds later, so media sent meanwhile was dropped and it decoded 29 of 300 frames. Start the
                // media only once aiortc says it is connected (the peer bounds that wait itself).
                _ = try aiortc.readJSON(withKey: "connected")

                async let sent = MediaExchange.send(on: peer, seconds: Self.seconds, width: Self.width, height: Self.height)
                async let decoded = MediaExchange.receive(
                    on: peer, audioMID: audioTrack.mid, videoMID: videoTrack.mid, audio: audio, video: video,
                    seconds: Self.seconds + 1)
                let (ours, theirs) = try await (sent, decoded)
                let report = try #require(aiortc.readJSON(withKey: "results")["results"] as? [String: Any])
                let statistics = try await peer.statistics()
                print(
                    "aiortc interop (\(weOffer ? "we offer" : "we answer")): sent \(ours); decoded \(theirs); "
                        + "aiortc: \(report); srtp \(String(describing: statistics.srtpProfile)), dropped \(statistics.droppedDatagrams)")

                // aiortc decoded what we sent.
                let aiortcAudio = report["audioFramesDecoded"] as? Int ?? 0
                let aiortcVideo = report["videoFramesDecoded"] as? Int ?? 0
                // At least a second's worth each (aiortc's Python decoding lags on a loaded machine; the counts are
                // printed above).
                #expect(aiortcAudio >= 50, "aiortc decoded \(aiortcAudio) of \(ours.audioFrames) audio frames")
                #expect(aiortcVideo >= 25, "aiortc decoded \(aiortcVideo) of \(ours.videoFrames) video frames")
                #expect(report["videoWidth"] as? Int == Self.width && report["videoHeight"] as? Int == Self.height)
                let aiortcFrequency = report["audioFrequency"] as? Double ?? 0
                #expect(abs(aiortcFrequency - MediaExchange.toneFrequency) <= 2, "aiortc heard \(aiortcFrequency) Hz")

                // We decoded what aiortc sent: its 440 Hz tone and 320x240 frames.
                #expect(theirs.audioFramesDecoded > 100)
                let frequency = try #require(theirs.audioFrequency)
                #expect(abs(frequency - 440) <= 2, "we heard \(frequency) Hz")
                #expect(theirs.videoFramesDecoded > 30)
                #expect(theirs.videoWidth == 320 && theirs.videoHeight == 240)
            } catch {
                Issue.record("\(error); aiortc stderr:\n\(aiortc.stderrTail)")
            }
            await peer.close()
            await socket.close()
            try await group.shutdownGracefully()
        }
    }
}
