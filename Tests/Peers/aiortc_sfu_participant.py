#!/usr/bin/env python3
"""An aiortc 1.16 meeting participant for SFUTests: a WebRTC stack we did not write, joining our sfuserver.

It speaks the signaling protocol of docs/signaling.md through its parent (the Swift test holds the WebSocket):
  stdin:  every message the sfuserver sent, one JSON object per line
  stdout: every message for the sfuserver (objects with "v"), and reports (objects with "report"), one per line
On "joined" it offers a publish connection (a sine tone as Opus, a moving pattern as VP8, sendonly) and a
subscribe connection with the announced number of recvonly slots, decodes everything it receives, attributes
frames to participants through the "slots" messages, and reports once every expected remote participant's audio
and video were decoded (or after at most 45 s), then keeps publishing until stdin closes.
Control lines from the test on stdin (not from the server): {"control": "mute", "track": "camera", "muted": true}
sends a mute message; {"control": "report", "tag": "x"} prints another report (with "tag") at once.
Usage: aiortc_sfu_participant.py <tone Hz> <amplitude 0..32767> <expected remote participants>
       [audio frames per remote] [video frames per remote]
Every wait is bounded; the process exits on its own after at most 120 s. Loopback only.
"""
import asyncio
import fractions
import json
import math
import sys
import time

import aioice.ice
import av
import numpy
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from aiortc.rtcconfiguration import RTCBundlePolicy

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

SAMPLE_RATE = 48000
WIDTH, HEIGHT = 320, 240
MAX_RECEIVE_SECONDS = 45


class ToneTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self, hz, amplitude):
        super().__init__()
        self.hz, self.amplitude = hz, amplitude
        self.samples = 0
        self.start = None

    async def recv(self):
        if self.start is None:
            self.start = time.time()
        wait = self.start + self.samples / SAMPLE_RATE - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        t = (numpy.arange(960) + self.samples) / SAMPLE_RATE
        pcm = (numpy.sin(2 * math.pi * self.hz * t) * self.amplitude).astype(numpy.int16)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self.samples
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self.samples += 960
        return frame


class PatternTrack(VideoStreamTrack):
    def __init__(self):
        super().__init__()
        self.counter = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        y = numpy.add.outer(numpy.arange(HEIGHT), numpy.arange(WIDTH)) + self.counter * 4
        image = numpy.zeros((HEIGHT, WIDTH, 3), numpy.uint8)
        image[:, :, 0] = (y % 256).astype(numpy.uint8)
        image[:, :, 1] = ((y // 2) % 256).astype(numpy.uint8)
        image[:, :, 2] = 128
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = pts
        frame.time_base = time_base
        self.counter += 1
        return frame


def dominant_frequency(samples, rate):
    if len(samples) < rate // 2:
        return 0.0
    data = numpy.asarray(samples[-rate:], dtype=numpy.float64)
    spectrum = numpy.abs(numpy.fft.rfft(data * numpy.hanning(len(data))))
    peak = int(numpy.argmax(spectrum[1:])) + 1
    if 1 <= peak < len(spectrum) - 1:
        a, b, c = numpy.log(spectrum[peak - 1:peak + 2] + 1e-12)
        denominator = a - 2 * b + c
        if denominator != 0 and math.isfinite(denominator):
            peak = peak + 0.5 * (a - c) / denominator
    value = float(peak * rate / len(data))
    return value if math.isfinite(value) else 0.0


def emit(obj):
    print(json.dumps(obj), flush=True)


async def main():
    hz = float(sys.argv[1])
    amplitude = int(sys.argv[2])
    expected = int(sys.argv[3])
    target_audio = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    target_video = int(sys.argv[5]) if len(sys.argv) > 5 else 40
    config = RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    publish = RTCPeerConnection(config)
    subscribe = RTCPeerConnection(config)
    slot_owner = {}          # subscribe mid -> participant id
    stats = {}               # participant id -> counters
    mid_frames = {}          # subscribe mid -> frames decoded on it, whoever it carried
    samples = {}             # participant id -> recent PCM
    dominant_seen = []
    errors = []
    tasks = []
    loop = asyncio.get_running_loop()
    lines = asyncio.Queue()

    def reader():
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, None)

    loop.run_in_executor(None, reader)

    def entry(pid):
        return stats.setdefault(pid, {"audioFrames": 0, "videoFrames": 0, "width": 0, "height": 0})

    async def consume(track, mid):
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            mid_frames[mid] = mid_frames.get(mid, 0) + 1
            pid = slot_owner.get(mid)
            if pid is None:
                continue
            if track.kind == "audio":
                entry(pid)["audioFrames"] += 1
                pcm = frame.to_ndarray()
                channels = len(frame.layout.channels)
                mono = pcm.reshape(-1, channels)[:, 0] if frame.format.is_packed else pcm[0]
                buffer = samples.setdefault(pid, [])
                buffer.extend(mono.tolist())
                del buffer[:-SAMPLE_RATE * 2]
            else:
                e = entry(pid)
                e["videoFrames"] += 1
                e["width"], e["height"] = frame.width, frame.height

    @subscribe.on("track")
    def on_track(track):
        mid = next((t.mid for t in subscribe.getTransceivers() if t.receiver.track is track), None)
        tasks.append(asyncio.ensure_future(consume(track, mid)))

    publish.addTransceiver(ToneTrack(hz, amplitude), direction="sendonly")
    publish.addTransceiver(PatternTrack(), direction="sendonly")

    started = None
    reported = False
    last_owner = {}
    slot_kinds = {}

    def report(tag=None):
        for pid, buffer in samples.items():
            entry(pid)["frequency"] = dominant_frequency(buffer, SAMPLE_RATE)
        body = {"participants": stats, "dominantSpeakers": dominant_seen, "errors": errors,
                "publishState": publish.connectionState, "subscribeState": subscribe.connectionState,
                "mids": {mid: {"frames": n, "owner": slot_owner.get(mid), "lastOwner": last_owner.get(mid),
                               "kind": slot_kinds.get(mid)}
                         for mid, n in mid_frames.items()}}
        if tag is not None:
            body["tag"] = tag
        emit({"report": body})
    deadline = time.time() + 110
    while time.time() < deadline:
        try:
            line = await asyncio.wait_for(lines.get(), 0.2)
        except asyncio.TimeoutError:
            line = ""
        if line is None:
            break
        if line.strip():
            message = json.loads(line)
            kind = message.get("type")
            control = message.get("control")
            if control == "mute":
                emit({"v": 1, "type": "mute", "track": message["track"], "muted": message["muted"]})
            elif control == "report":
                report(message.get("tag"))
            elif kind == "joined":
                await publish.setLocalDescription(await publish.createOffer())
                tracks = {}
                for t in publish.getTransceivers():
                    tracks[t.mid] = "microphone" if t.kind == "audio" else "camera"
                emit({"v": 1, "type": "publishOffer", "sdp": publish.localDescription.sdp, "tracks": tracks})
                counts = message["slots"]
                kinds = []
                for _ in range(counts["audio"]):
                    subscribe.addTransceiver("audio", direction="recvonly")
                    kinds.append("audio")
                for _ in range(counts["video"]):
                    subscribe.addTransceiver("video", direction="recvonly")
                    kinds.append("video")
                await subscribe.setLocalDescription(await subscribe.createOffer())
                slots = {t.mid: k for t, k in zip(subscribe.getTransceivers(), kinds)}
                slot_kinds.update(slots)
                emit({"v": 1, "type": "subscribeOffer", "sdp": subscribe.localDescription.sdp, "slots": slots})
                started = time.time()
            elif kind == "publishAnswer":
                await publish.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="answer"))
            elif kind == "subscribeAnswer":
                await subscribe.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="answer"))
            elif kind == "slots":
                for slot in message["slots"]:
                    if slot.get("participantID"):
                        slot_owner[slot["mid"]] = slot["participantID"]
                        last_owner[slot["mid"]] = slot["participantID"]
                    else:
                        slot_owner.pop(slot["mid"], None)
            elif kind == "dominantSpeaker":
                dominant_seen.append(message.get("participantID"))
            elif kind == "error":
                errors.append(message)
        if started and not reported:
            complete = len(stats) >= expected and all(
                s["audioFrames"] >= target_audio and s["videoFrames"] >= target_video for s in stats.values())
            if complete or time.time() - started > MAX_RECEIVE_SECONDS:
                report()
                reported = True
    await publish.close()
    await subscribe.close()
    for task in tasks:
        task.cancel()


asyncio.run(asyncio.wait_for(main(), 120))
