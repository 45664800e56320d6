#!/usr/bin/env python3
"""Capture real SDP offers/answers from headless Chromium and aiortc into Fixtures/sdp/.

Usage: python3 Fixtures/capture/capture_sdp.py [outdir]      (default outdir: Fixtures/sdp)
Needs: apt-get install chromium chromium-driver; pip install aiortc selenium.
Loopback only: no ICE servers anywhere; aiortc gathers 127.0.0.1 only. One browser at a time.
SDP text is written byte for byte as the producer gave it (CRLF kept).
"""

import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(common.FIXTURES, "sdp")

GUM_PC = """
const s = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
const pc = new RTCPeerConnection({iceServers: []});
const cands = [];
pc.onicecandidate = e => cands.push(e.candidate ? e.candidate.candidate : null);
"""


def save(name, text):
    path = os.path.join(OUT, name)
    common.write_bytes(path, text)
    print("wrote %s (%d bytes)" % (path, len(text.encode())))


def chromium_mdns(url):
    """Default Chromium (mDNS host-candidate obfuscation on), no media permission, no getUserMedia."""
    d = common.start_chromium(mdns=True, fake_media=False)
    try:
        d.get(url)
        r = common.js(d, """
const pc = new RTCPeerConnection({iceServers: []});
pc.addTransceiver('audio', {direction: 'sendrecv'});
pc.addTransceiver('video', {direction: 'sendrecv'});
await pc.setLocalDescription(await pc.createOffer());
await waitGathering(pc);
done({sdp: pc.localDescription.sdp});
""")
        save("chromium-offer-mdns.sdp", r["sdp"])
    finally:
        d.quit()


def chromium_and_aiortc(url):
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

    common.loopback_only_aioice()
    loop = common.AiortcThread()
    d = common.start_chromium(mdns=False)
    notes = {}
    try:
        d.get(url)

        # 1. audio + video offer, after gathering completes.
        r = common.js(d, GUM_PC + """
for (const t of s.getTracks()) pc.addTransceiver(t, {direction: 'sendrecv', streams: [s]});
await pc.setLocalDescription(await pc.createOffer());
await waitGathering(pc);
window.pcs.av = pc;
done({sdp: pc.localDescription.sdp});
""")
        offer_av = r["sdp"]
        save("chromium-offer-audio-video.sdp", offer_av)

        # 2. trickle: description right after setLocalDescription, then the trickled candidates.
        r = common.js(d, GUM_PC + """
for (const t of s.getTracks()) pc.addTransceiver(t, {direction: 'sendrecv', streams: [s]});
const offer = await pc.createOffer();
await pc.setLocalDescription(offer);
const early = pc.localDescription.sdp;
const events = [];
await new Promise(resolve => {
  const t = setTimeout(resolve, 10000);
  pc.addEventListener('icecandidate', e => {
    events.push(e.candidate ? {c: e.candidate.candidate, mid: e.candidate.sdpMid} : null);
    if (!e.candidate) { clearTimeout(t); resolve(); }
  });
});
done({early, offer: offer.sdp, events, final: pc.localDescription.sdp});
pc.close();
""")
        early = r["early"]
        if "a=candidate" in early:  # should not happen; fall back to createOffer() output
            early = r["offer"]
            notes["trickle"] = "localDescription already had candidates; used createOffer() sdp"
        save("chromium-offer-trickle.sdp", early)
        lines = []
        last_mid = None
        for e in r["events"]:
            if e is not None and e["mid"] != last_mid:
                lines.append("# sdpMid %s" % e["mid"])
                last_mid = e["mid"]
            if e is None:
                lines.append("# end of gathering: null RTCIceCandidate event")
            elif e["c"] == "":
                lines.append("# end-of-candidates for mid %s: RTCIceCandidate with empty candidate" % e["mid"])
            else:
                lines.append(e["c"])
        common.write_bytes(os.path.join(OUT, "chromium-candidates.txt"),
                           "# Candidates trickled by Chromium (onicecandidate) after the offer in "
                           "chromium-offer-trickle.sdp, in arrival order.\n"
                           "# '# sdpMid N' comment lines give the m-section (mid) of the candidates below them.\n" + "\n".join(lines) + "\n")
        notes["trickle_final_has_end_of_candidates"] = "a=end-of-candidates" in r["final"]

        # 3. simulcast offer: rid q/h/f, scaleResolutionDownBy 4/2/1.
        r = common.js(d, GUM_PC + """
pc.addTransceiver(s.getAudioTracks()[0], {direction: 'sendrecv', streams: [s]});
pc.addTransceiver(s.getVideoTracks()[0], {direction: 'sendrecv', streams: [s], sendEncodings: [
  {rid: 'q', scaleResolutionDownBy: 4},
  {rid: 'h', scaleResolutionDownBy: 2},
  {rid: 'f', scaleResolutionDownBy: 1}]});
await pc.setLocalDescription(await pc.createOffer());
await waitGathering(pc);
done({sdp: pc.localDescription.sdp});
pc.close();
""")
        save("chromium-offer-simulcast.sdp", r["sdp"])

        # 4. aiortc answers Chromium's audio+video offer.
        async def aiortc_answer(offer_sdp):
            pc = RTCPeerConnection(common.aiortc_configuration())
            await pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
            pc.addTrack(AudioStreamTrack())
            pc.addTrack(VideoStreamTrack())
            await pc.setLocalDescription(await pc.createAnswer())
            return pc, pc.localDescription.sdp

        apc1, answer = loop.run(aiortc_answer(offer_av))
        save("aiortc-answer-to-chromium.sdp", answer)
        # complete the negotiation in Chromium (checks the answer is acceptable)
        common.js(d, """
await window.pcs.av.setRemoteDescription({type: 'answer', sdp: arguments[0]});
done(true);
""", answer)

        # 5. aiortc offers, Chromium answers.
        async def aiortc_offer():
            pc = RTCPeerConnection(common.aiortc_configuration())
            pc.addTrack(AudioStreamTrack())
            pc.addTrack(VideoStreamTrack())
            await pc.setLocalDescription(await pc.createOffer())  # gathers before returning
            return pc, pc.localDescription.sdp

        apc2, offer = loop.run(aiortc_offer())
        save("aiortc-offer-audio-video.sdp", offer)
        r = common.js(d, GUM_PC + """
await pc.setRemoteDescription({type: 'offer', sdp: arguments[0]});
for (const t of s.getTracks()) pc.addTrack(t, s);
await pc.setLocalDescription(await pc.createAnswer());
await waitGathering(pc);
window.pcs.ans = pc;
done({sdp: pc.localDescription.sdp});
""", offer)
        save("chromium-answer-to-aiortc.sdp", r["sdp"])
        loop.run(apc2.setRemoteDescription(RTCSessionDescription(r["sdp"], "answer")))

        # Let the aiortc offer/Chromium answer pair connect briefly, as a sanity check.
        t0 = time.time()
        while time.time() - t0 < 10 and apc2.connectionState != "connected":
            time.sleep(0.2)
        notes["aiortc_offer_pair_connection_state"] = apc2.connectionState
        common.js(d, "for (const k in window.pcs) window.pcs[k].close(); done(true);")

        loop.run(apc1.close())
        loop.run(apc2.close())
    finally:
        d.quit()
        loop.stop()
    return notes


def main():
    os.makedirs(OUT, exist_ok=True)
    server, url = common.start_http_server()
    print(json.dumps(common.versions()))
    chromium_mdns(url)
    notes = chromium_and_aiortc(url)
    print(json.dumps(notes))
    server.shutdown()
    # summary of notable features
    for name in sorted(os.listdir(OUT)):
        with open(os.path.join(OUT, name), "rb") as f:
            data = f.read()
        print("%-34s crlf=%-5s tcptype=%-5s end-of-candidates=%-5s mdns=%-5s rid=%s" % (
            name, b"\r\n" in data, b"tcptype" in data, b"end-of-candidates" in data,
            b".local" in data, b"a=rid:" in data))


if __name__ == "__main__":
    main()
