#!/usr/bin/env python3
"""An aiortc 1.16 peer for WebRTCDriverTests: a WebRTC stack we did not write, on loopback only.

It sends a 440 Hz tone (Opus) and 320x240 video (VP8), decodes what it receives, and reports.
Line-based JSON over stdin/stdout:
  offer role:  prints {"type": "offer", "sdp": ...}, reads {"sdp": <answer>}
  answer role: reads {"sdp": <offer>}, prints {"type": "answer", "sdp": ...}
  then prints {"connected": true} once the connection is up, runs media for <seconds>, and prints
  {"results": {"audioFramesDecoded", "audioFrequency", "videoFramesDecoded", "videoWidth", "videoHeight",
               "audioPacketsReceived", "videoPacketsReceived", "keyframeRequestsReceived"}}
Usage: aiortc_media_peer.py offer|answer [seconds] [audio frames to decode] [video frames to decode]
It receives for at least <seconds> and until it decoded the target frame counts, at most 45 s.
Every wait is bounded; the process exits on its own after at most 90 s.
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
from aiortc import (MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription,
                    VideoStreamTrack)
from aiortc.rtcconfiguration import RTCBundlePolicy

# Host candidates on 127.0.0.1 only: the test runs on loopback (aioice skips loopback when gathering).
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

SAMPLE_RATE = 48000
TONE_HZ = 440.0
WIDTH, HEIGHT = 320, 240
MAX_RECEIVE_SECONDS = 45


class ToneTrack(MediaStreamTrack):
    """A 440 Hz sine, 20 ms mono frames at 48 kHz, paced in real time."""
    kind = "audio"

    def __init__(self):
        super().__init__()
        self.samples = 0
        self.start = None

    async def recv(self):
        if self.start is None:
            self.start = time.time()
        wait = self.start + self.samples / SAMPLE_RATE - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        count = 960
        t = (numpy.arange(count) + self.samples) / SAMPLE_RATE
        pcm = (numpy.sin(2 * math.pi * TONE_HZ * t) * 12000).astype(numpy.int16)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self.samples
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self.samples += count
        return frame


class PatternTrack(VideoStreamTrack):
    """Moving gradient frames of WIDTH x HEIGHT at 30 fps."""

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
    window = numpy.hanning(len(data))
    spectrum = numpy.abs(numpy.fft.rfft(data * window))
    peak = int(numpy.argmax(spectrum[1:])) + 1
    # Parabolic interpolation around the peak bin.
    if 1 <= peak < len(spectrum) - 1:
        a, b, c = numpy.log(spectrum[peak - 1:peak + 2] + 1e-12)
        peak = peak + 0.5 * (a - c) / (a - 2 * b + c)
    return float(peak * rate / len(data))


async def read_json():
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    if not line:
        raise SystemExit("stdin closed")
    return json.loads(line)


def emit(obj):
    print(json.dumps(obj), flush=True)


async def main():
    role = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 6.0
    target_audio = int(sys.argv[3]) if len(sys.argv) > 3 else 150
    target_video = int(sys.argv[4]) if len(sys.argv) > 4 else 75
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
    results = {"audioFramesDecoded": 0, "videoFramesDecoded": 0, "videoWidth": 0, "videoHeight": 0,
               "audioFrequency": 0.0}
    audio_samples = []
    connected = asyncio.Event()
    tasks = []

    async def consume(track):
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            if track.kind == "audio":
                results["audioFramesDecoded"] += 1
                pcm = frame.to_ndarray()
                channels = len(frame.layout.channels)
                mono = pcm.reshape(-1, channels)[:, 0] if frame.format.is_packed else pcm[0]
                audio_samples.extend(mono.tolist())
                del audio_samples[:-SAMPLE_RATE * 2]
            else:
                results["videoFramesDecoded"] += 1
                results["videoWidth"], results["videoHeight"] = frame.width, frame.height

    @pc.on("track")
    def on_track(track):
        tasks.append(asyncio.ensure_future(consume(track)))

    @pc.on("connectionstatechange")
    def on_state():
        if pc.connectionState == "connected":
            connected.set()

    pc.addTrack(ToneTrack())
    pc.addTrack(PatternTrack())

    if role == "offer":
        await pc.setLocalDescription(await pc.createOffer())
        emit({"type": "offer", "sdp": pc.localDescription.sdp})
        answer = await read_json()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
    else:
        offer = await read_json()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        emit({"type": "answer", "sdp": pc.localDescription.sdp})

    await asyncio.wait_for(connected.wait(), 20)
    emit({"connected": True})
    # Receive for at least <seconds>, then until the targets are decoded, at most MAX_RECEIVE_SECONDS: under the
    # whole test suite in parallel on 2 cores the sender may be paced late, so a fixed window measured the machine's
    # load instead of the protocol. Whatever was decoded by the hard limit is reported and judged by the test.
    started = time.time()
    while time.time() - started < MAX_RECEIVE_SECONDS:
        done = (results["audioFramesDecoded"] >= target_audio and results["videoFramesDecoded"] >= target_video)
        if done and time.time() - started >= seconds:
            break
        await asyncio.sleep(0.1)

    results["audioFrequency"] = dominant_frequency(audio_samples, SAMPLE_RATE)
    stats = await pc.getStats()
    for report in stats.values():
        if report.type == "inbound-rtp":
            results[report.kind + "PacketsReceived"] = report.packetsReceived
    emit({"results": results})
    await pc.close()
    for task in tasks:
        task.cancel()


asyncio.run(asyncio.wait_for(main(), 90))
