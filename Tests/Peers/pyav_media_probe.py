#!/usr/bin/env python3
"""Decodes a media file with PyAV (FFmpeg's demuxers and decoders: a reader we did not write) and reports what it
found, so that Swift tests can check the IVF and Ogg/Opus files our writers produce.

    pyav_media_probe.py FILE [RAW_PCM_OUT]

Prints one JSON object: container format, and per stream the codec, frame count, width/height (video) or sample
rate, channels and decoded sample count (audio). With RAW_PCM_OUT, the first audio channel is written there as
signed 16-bit little-endian mono samples (FFmpeg's downmix). Needs only PyAV (installed with aiortc), no numpy.
"""
import json
import sys

import av


def main() -> None:
    path = sys.argv[1]
    pcm_out = sys.argv[2] if len(sys.argv) > 2 else None
    report = {"streams": []}
    with av.open(path) as container:
        report["format"] = container.format.name
        for stream in container.streams:
            entry = {"type": stream.type, "codec": stream.codec_context.name, "frames": 0}
            if stream.type == "video":
                sizes = set()
                for frame in container.decode(stream):
                    entry["frames"] += 1
                    sizes.add((frame.width, frame.height))
                entry["sizes"] = sorted(sizes)
            elif stream.type == "audio":
                samples = 0
                pcm = bytearray()
                # FFmpeg's resampler gives packed s16 mono (the first channel's content for our identical channels).
                resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
                for frame in container.decode(stream):
                    entry["frames"] += 1
                    entry["sample_rate"] = frame.sample_rate
                    entry["channels"] = len(frame.layout.channels)
                    samples += frame.samples
                    for converted in resampler.resample(frame):
                        pcm += bytes(converted.planes[0])[: converted.samples * 2]
                entry["samples"] = samples
                if pcm_out:
                    with open(pcm_out, "wb") as handle:
                        handle.write(pcm)
            report["streams"].append(entry)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
