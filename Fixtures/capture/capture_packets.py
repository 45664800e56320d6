#!/usr/bin/env python3
"""Capture real decrypted RTP/RTCP and raw STUN between headless Chromium and aiortc into Fixtures/packets/.

Usage: python3 Fixtures/capture/capture_packets.py [outdir] [--no-simulcast]   (default outdir: Fixtures/packets)
Needs: apt-get install chromium chromium-driver; pip install aiortc selenium.

Session 1 (main): Chromium offers audio+video (fake mic + fake camera, no simulcast), aiortc answers with
  synthetic audio+video. aiortc is patched (in this process only) to negotiate transport-wide-cc
  (extmap + rtcp-fb transport-cc) and to stamp transport-wide sequence numbers on what it sends, so that
  Chromium sends transport-cc feedback. Hooks (monkeypatches, all in this file):
    RTCDtlsTransport._handle_rtp_data / _handle_rtcp_data  -> plaintext received (after SRTP unprotect)
    RTCDtlsTransport._send_rtp                              -> plaintext sent by aiortc (before SRTP protect)
    aioice StunProtocol.datagram_received / send_stun       -> raw STUN on the wire (both directions)
  To provoke loss feedback: three of Chromium's VP8 packets are recorded but not given to aiortc's jitter
  buffer (aiortc NACKs, Chromium answers with RTX); aiortc's first ~1 s of video and two later VP8 packets
  are not sent (Chromium sends PLI, NACK; aiortc answers with RTX).
Session 2 (simulcast): Chromium offers video with rids q/h/f; aiortc's answer is edited (text) to accept
  simulcast (a=rid recv, a=simulcast:recv, rid/repaired-rid extmaps, x-google start/min bitrate so all
  layers run). Chromium's video is recorded but not given to aiortc (aiortc can't receive simulcast).
  Stock aiortc (no transport-cc), so Chromium, receiving aiortc's video, sends REMB.
Loopback only: no ICE servers; aiortc's only candidate is 127.0.0.1. One browser at a time.
"""

import asyncio
import dataclasses
import datetime
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

args = [a for a in sys.argv[1:] if not a.startswith("--")]
OUT = args[0] if args else os.path.join(common.FIXTURES, "packets")
SIMULCAST = "--no-simulcast" not in sys.argv
DATE = datetime.date.today().isoformat()
TWCC_URI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

import aioice.ice  # noqa: E402
import aioice.stun  # noqa: E402
from aiortc import RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc import codecs as aiortc_codecs  # noqa: E402
from aiortc import rtp as aiortc_rtp  # noqa: E402
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack  # noqa: E402
from aiortc.rtcdtlstransport import RTCDtlsTransport  # noqa: E402
from aiortc.rtcrtpparameters import RTCRtcpFeedback, RTCRtpHeaderExtensionParameters  # noqa: E402

common.loopback_only_aioice()


# ---------------------------------------------------------------- recording hooks

class Recorder:
    def __init__(self):
        self.reset()

    def reset(self):
        self.rx_rtp = []   # plaintext RTP received by aiortc (sent by Chromium)
        self.rx_rtcp = []  # plaintext RTCP compounds received by aiortc
        self.tx_rtp = []   # plaintext RTP sent by aiortc
        self.tx_rtcp = []
        self.stun = []     # (direction, bytes, addr)
        self.on = False
        self.forward_rx_video = True     # give Chromium's video to aiortc?
        self.video_pts = set()           # VP8 payload types (for drop decisions)
        self.audio_pts = set()           # Opus payload types
        self.rx_drop_idx = set()         # indices (among Chromium VP8 packets) not given to aiortc
        self.tx_drop_first_ms = 0        # aiortc video not sent during the first N ms
        self.tx_drop_idx = set()         # indices (among aiortc VP8 packets sent) to drop
        self.rx_vp8 = 0
        self.tx_vp8 = 0
        self.t0 = None
        self.dropped_rx = []
        self.dropped_tx = 0


REC = Recorder()
_orig_rtp = RTCDtlsTransport._handle_rtp_data
_orig_rtcp = RTCDtlsTransport._handle_rtcp_data
_orig_send = RTCDtlsTransport._send_rtp


async def _hook_rtp(self, data, arrival_time_ms):
    if REC.on:
        REC.rx_rtp.append(bytes(data))
        pt = data[1] & 0x7F
        if pt in REC.video_pts:
            idx = REC.rx_vp8
            REC.rx_vp8 += 1
            if idx in REC.rx_drop_idx:
                REC.dropped_rx.append(int.from_bytes(data[2:4], "big"))
                return
        if not REC.forward_rx_video and pt not in REC.audio_pts:
            return
    await _orig_rtp(self, data, arrival_time_ms)


async def _hook_rtcp(self, data):
    if REC.on:
        REC.rx_rtcp.append(bytes(data))
    await _orig_rtcp(self, data)


async def _hook_send(self, data):
    if REC.on:
        if aiortc_rtp.is_rtcp(data):
            REC.tx_rtcp.append(bytes(data))
        else:
            pt = data[1] & 0x7F
            if pt in REC.video_pts:
                if REC.t0 is None:
                    REC.t0 = time.time()
                if (time.time() - REC.t0) * 1000 < REC.tx_drop_first_ms:
                    REC.dropped_tx += 1
                    return
                idx = REC.tx_vp8
                REC.tx_vp8 += 1
                if idx in REC.tx_drop_idx:
                    REC.dropped_tx += 1
                    return
            REC.tx_rtp.append(bytes(data))
    await _orig_send(self, data)


_orig_dgram = aioice.ice.StunProtocol.datagram_received
_orig_send_stun = aioice.ice.StunProtocol.send_stun


def _hook_dgram(self, data, addr):
    if REC.on and len(data) >= 20 and data[0] < 2:
        REC.stun.append(("chromium->aiortc", bytes(data), addr))
    return _orig_dgram(self, data, addr)


def _hook_send_stun(self, message, addr):
    if REC.on:
        REC.stun.append(("aiortc->chromium", bytes(message), addr))
    return _orig_send_stun(self, message, addr)


RTCDtlsTransport._handle_rtp_data = _hook_rtp
RTCDtlsTransport._handle_rtcp_data = _hook_rtcp
RTCDtlsTransport._send_rtp = _hook_send
aioice.ice.StunProtocol.datagram_received = _hook_dgram
aioice.ice.StunProtocol.send_stun = _hook_send_stun


# ---------------------------------------------------------------- transport-cc patch (session 1 only)

_twcc_state = {"on": False, "seq": 0}
_orig_ext_set = aiortc_rtp.HeaderExtensionsMap.set


def _ext_set(self, values):
    if _twcc_state["on"] and values.transport_sequence_number is None:
        values = dataclasses.replace(values, transport_sequence_number=_twcc_state["seq"])
        _twcc_state["seq"] = (_twcc_state["seq"] + 1) & 0xFFFF
    return _orig_ext_set(self, values)


aiortc_rtp.HeaderExtensionsMap.set = _ext_set
_saved_codecs = None


def enable_twcc(on):
    """Make aiortc offer/accept transport-wide-cc (extension + rtcp-fb) for audio and video."""
    _twcc_state["on"] = on
    for kind in ("audio", "video"):
        exts = aiortc_codecs.HEADER_EXTENSIONS[kind]
        exts[:] = [e for e in exts if e.uri != TWCC_URI]
        if on:
            exts.append(RTCRtpHeaderExtensionParameters(id=5, uri=TWCC_URI))
        for c in aiortc_codecs.CODECS[kind]:
            if c.mimeType.lower() == "video/rtx":
                continue
            c.rtcpFeedback = [f for f in c.rtcpFeedback if f.type != "transport-cc"]
            if on:
                c.rtcpFeedback.append(RTCRtcpFeedback(type="transport-cc"))


# ---------------------------------------------------------------- SDP helpers

def sdp_sections(sdp):
    """[(kind, [lines])] per m-section."""
    out = []
    for line in sdp.split("\r\n"):
        if line.startswith("m="):
            out.append((line[2:].split()[0], []))
        elif out:
            out[-1][1].append(line)
    return out


def negotiated(answer, kinds=("audio", "video")):
    """Comment lines describing the answer: extmaps, payload types, ssrcs."""
    lines = []
    for kind, sec in sdp_sections(answer):
        if kind not in kinds:
            continue
        mid = next((l[6:] for l in sec if l.startswith("a=mid:")), "?")
        lines.append("# m=%s mid=%s" % (kind, mid))
        for l in sec:
            if l.startswith("a=extmap:"):
                i, uri = l[9:].split(" ", 1)
                lines.append("# extmap %s %s" % (i, uri))
        fmtp = {}
        for l in sec:
            if l.startswith("a=fmtp:"):
                p, v = l[7:].split(" ", 1)
                fmtp[p] = v
        for l in sec:
            if l.startswith("a=rtpmap:"):
                p, v = l[9:].split(" ", 1)
                extra = (" " + fmtp[p]) if p in fmtp else ""
                lines.append("# pt %s %s%s" % (p, v, extra))
        for l in sec:
            if l.startswith("a=rtcp-fb:"):
                lines.append("# rtcp-fb %s" % l[10:])
    return lines


def ssrc_lines(sdp, who):
    out = []
    for kind, sec in sdp_sections(sdp):
        for l in sec:
            m = re.match(r"a=ssrc-group:(\S+) (.*)", l)
            if m:
                out.append("# ssrc-group %s %s %s %s" % (who, kind, m.group(1), m.group(2)))
        seen = []
        for l in sec:
            m = re.match(r"a=ssrc:(\d+) ", l)
            if m and m.group(1) not in seen:
                seen.append(m.group(1))
        for s in seen:
            out.append("# ssrc %s %s %s" % (who, kind, s))
    return out


def pts_by_name(answer, kind, name):
    for k, sec in sdp_sections(answer):
        if k != kind:
            continue
        return {int(l[9:].split()[0]) for l in sec
                if l.startswith("a=rtpmap:") and l.split(" ", 1)[1].split("/")[0].lower() == name.lower()}
    return set()


def ice_creds(sdp):
    u = re.search(r"a=ice-ufrag:(\S+)", sdp).group(1)
    p = re.search(r"a=ice-pwd:(\S+)", sdp).group(1)
    return u, p


def check_integrity(data, key):
    """RFC 8489 14.5 MESSAGE-INTEGRITY (HMAC-SHA1, short-term key = the password)."""
    import hashlib
    import hmac
    i = 20
    while i + 4 <= len(data):
        t = int.from_bytes(data[i:i + 2], "big")
        ln = int.from_bytes(data[i + 2:i + 4], "big")
        if t == 0x0008:
            hdr = data[:2] + (i + 24 - 20).to_bytes(2, "big") + data[4:20]
            mac = hmac.new(key, hdr + data[20:i], hashlib.sha1).digest()
            return hmac.compare_digest(mac, data[i + 4:i + 24])
        i += 4 + (ln + 3) // 4 * 4
    return False


# ---------------------------------------------------------------- output

def write_hex(name, header, packets):
    path = os.path.join(OUT, name)
    body = []
    for p in packets:
        if isinstance(p, str):
            body.append(p)  # a comment line
        else:
            body.append(p.hex())
    n = sum(1 for p in packets if not isinstance(p, str))
    text = "\n".join(header + ["# packets: %d" % n] + body) + "\n"
    common.write_bytes(path, text)
    print("wrote %s: %d packets, %d bytes" % (path, n, len(text)))
    return n


def header(what, how, v, extra=()):
    return [
        "# " + what,
        "# producer: %s | capture peer: aiortc %s (aioice %s) | driven by selenium %s"
        % (v["chromium"], v["aiortc"], v["aioice"], v["selenium"]),
        "# date: %s; command: python3 Fixtures/capture/capture_packets.py" % DATE,
        "# how: " + how,
        "# format: one packet per line, lowercase hex; '#' lines are comments",
    ] + list(extra)


def rtp_fields(p):
    pt = p[1] & 0x7F
    seq = int.from_bytes(p[2:4], "big")
    ssrc = int.from_bytes(p[8:12], "big")
    return pt, seq, ssrc


def rtcp_types(compound):
    """[(pt, fmt)] of each packet in a compound."""
    out = []
    i = 0
    while i + 4 <= len(compound):
        fmt = compound[i] & 0x1F
        pt = compound[i + 1]
        length = (int.from_bytes(compound[i + 2:i + 4], "big") + 1) * 4
        out.append((pt, fmt))
        i += length
    return out


def select_rtcp(compounds, limit=100, per_signature=8):
    """Keep arrival order, at most `per_signature` compounds with the same list of (pt, fmt)."""
    seen = {}
    out = []
    for c in compounds:
        sig = tuple(rtcp_types(c))
        if seen.get(sig, 0) >= per_signature:
            continue
        seen[sig] = seen.get(sig, 0) + 1
        out.append(c)
        if len(out) >= limit:
            break
    return out


def is_padding_only(p, rtx_pts):
    pt = p[1] & 0x7F
    if pt not in rtx_pts or not (p[0] & 0x20):
        return False
    cc = p[0] & 0x0F
    off = 12 + 4 * cc
    if p[0] & 0x10:
        off += 4 + 4 * int.from_bytes(p[off + 2:off + 4], "big")
    return len(p) - off == p[-1]


def select_video(packets, vp8_pts, rtx_pts, n_vp8=70, max_padding=3, limit=100):
    out = []
    vp8 = pad = 0
    for p in packets:
        pt = p[1] & 0x7F
        if pt in vp8_pts:
            if vp8 >= n_vp8:
                continue
            vp8 += 1
        elif pt in rtx_pts:
            if is_padding_only(p, rtx_pts):
                if pad >= max_padding:
                    continue
                pad += 1
        else:
            continue
        out.append(p)
        if len(out) >= limit:
            break
    return out


def summarize_rtcp(compounds):
    counts = {}
    for c in compounds:
        for t in rtcp_types(c):
            counts[t] = counts.get(t, 0) + 1
    return ", ".join("PT %d FMT %d x%d" % (pt, fmt, n) for (pt, fmt), n in sorted(counts.items()))


# ---------------------------------------------------------------- sessions

CHROMIUM_OFFER_JS = """
const simulcast = arguments[0];
const s = await navigator.mediaDevices.getUserMedia(simulcast
  ? {audio: true, video: {width: 1280, height: 720}} : {audio: true, video: true});
const pc = new RTCPeerConnection({iceServers: []});
window.pc = pc;
pc.ontrack = e => {
  const v = document.createElement(e.track.kind === 'video' ? 'video' : 'audio');
  v.muted = true; v.autoplay = true; v.srcObject = new MediaStream([e.track]);
  document.body.appendChild(v); v.play().catch(() => {});
};
pc.addTransceiver(s.getAudioTracks()[0], {direction: 'sendrecv', streams: [s]});
const init = {direction: 'sendrecv', streams: [s]};
if (simulcast) init.sendEncodings = [
  {rid: 'q', scaleResolutionDownBy: 4}, {rid: 'h', scaleResolutionDownBy: 2}, {rid: 'f', scaleResolutionDownBy: 1}];
pc.addTransceiver(s.getVideoTracks()[0], init);
await pc.setLocalDescription(await pc.createOffer());
await waitGathering(pc);
done(pc.localDescription.sdp);
"""


def accept_simulcast(answer, offer):
    """Edit aiortc's answer so Chromium sends its three rid layers."""
    ext = {}
    for kind, sec in sdp_sections(offer):
        if kind == "video":
            for l in sec:
                if l.startswith("a=extmap:"):
                    i, uri = l[9:].split(" ", 1)
                    ext[uri] = i
    out = []
    kind = None
    for line in answer.split("\r\n"):
        if line.startswith("m="):
            kind = line[2:].split()[0]
        out.append(line)
        if kind == "video" and line.startswith("a=mid:"):
            for uri in ("urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
                        "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"):
                out.append("a=extmap:%s %s" % (ext[uri], uri))
        if kind == "video" and line.startswith("a=rtpmap:") and "VP8/90000" in line:
            pt = line[9:].split()[0]
            out.append("a=fmtp:%s x-google-start-bitrate=2500;x-google-min-bitrate=2000;"
                       "x-google-max-bitrate=3000" % pt)
        if kind == "video" and line == "a=rtcp-mux":
            out += ["a=rid:q recv", "a=rid:h recv", "a=rid:f recv", "a=simulcast:recv q;h;f"]
    return "\r\n".join(out)


def run_session(url, loop, simulcast, seconds):
    REC.reset()
    enable_twcc(not simulcast)
    d = common.start_chromium(mdns=False)
    try:
        d.get(url)
        offer = common.js(d, CHROMIUM_OFFER_JS, simulcast)
        REC.on = True  # before aiortc starts its connectivity checks

        async def answer_it():
            pc = RTCPeerConnection(common.aiortc_configuration())
            await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
            pc.addTrack(AudioStreamTrack())
            pc.addTrack(VideoStreamTrack())
            await pc.setLocalDescription(await pc.createAnswer())
            return pc

        apc = loop.run(answer_it())
        answer = apc.localDescription.sdp
        sent_answer = accept_simulcast(answer, offer) if simulcast else answer
        REC.video_pts = pts_by_name(answer, "video", "VP8")
        REC.audio_pts = pts_by_name(answer, "audio", "opus")
        if simulcast:
            REC.forward_rx_video = False
        else:
            REC.rx_drop_idx = {45, 46, 60}
            REC.tx_drop_first_ms = 1000
            REC.tx_drop_idx = {80, 81}
        common.js(d, "await window.pc.setRemoteDescription({type: 'answer', sdp: arguments[0]}); done(true);",
                  sent_answer)
        t0 = time.time()
        while time.time() - t0 < 15 and apc.connectionState != "connected":
            time.sleep(0.2)
        state = apc.connectionState
        time.sleep(seconds)
        stats = common.js(d, """
const r = await window.pc.getStats(); const out = [];
r.forEach(s => { if (s.type === 'outbound-rtp' || s.type === 'inbound-rtp')
  out.push([s.type, s.kind, s.rid || '', s.ssrc, s.packetsSent || s.packetsReceived || 0,
            s.frameWidth || 0, s.frameHeight || 0, s.nackCount || 0, s.pliCount || 0]); });
done(out);""")
        common.js(d, "window.pc.close(); done(true);")  # Chromium sends RTCP BYE
        time.sleep(1.0)
        loop.run(apc.close())
        REC.on = False
    finally:
        d.quit()
    return offer, answer, sent_answer, state, stats


def main():
    os.makedirs(OUT, exist_ok=True)
    v = common.versions()
    server, url = common.start_http_server()
    loop = common.AiortcThread()

    # ---------------- session 1
    offer, answer, _, state, stats = run_session(url, loop, simulcast=False, seconds=12)
    print("session 1:", state, stats)
    print("dropped (not forwarded) Chromium VP8 seqs:", REC.dropped_rx, "aiortc packets not sent:", REC.dropped_tx)
    neg = negotiated(answer)
    ssrcs = ssrc_lines(offer, "chromium") + ssrc_lines(answer, "aiortc")
    session = ("session: Chromium offer (getUserMedia fake mic+camera 640x480, audio+video sendrecv, no simulcast), "
               "aiortc answer with AudioStreamTrack+VideoStreamTrack; aiortc patched to negotiate transport-wide-cc "
               "and stamp transport-wide seq numbers on what it sends; connection state %s; ICE over "
               "192.0.2.2 (Chromium) <-> 127.0.0.1 (aiortc), both on this host" % state)
    audio_pts = pts_by_name(answer, "audio", "opus")
    vp8_pts = pts_by_name(answer, "video", "VP8")
    rtx_pts = pts_by_name(answer, "video", "rtx")
    counts = {}

    rx_audio = [p for p in REC.rx_rtp if (p[1] & 0x7F) in audio_pts][:60]
    counts["chromium-rtp-audio.hex"] = write_hex("chromium-rtp-audio.hex", header(
        "Plaintext RTP (Opus) sent by Chromium, as received by aiortc after SRTP unprotect",
        "hook on aiortc RTCDtlsTransport._handle_rtp_data (called right after _rx_srtp.unprotect); "
        "first 60 audio packets of the session", v, [("# " + session)] + neg + ssrcs), rx_audio)

    rx_video = select_video(REC.rx_rtp, vp8_pts, rtx_pts)
    counts["chromium-rtp-video.hex"] = write_hex("chromium-rtp-video.hex", header(
        "Plaintext RTP (VP8 + RTX) sent by Chromium, as received by aiortc after SRTP unprotect",
        "hook on aiortc RTCDtlsTransport._handle_rtp_data; the first 70 VP8 packets (starting with the first "
        "keyframe) plus the RTX packets in arrival order (at most 3 padding-only RTX probes). VP8 packets with "
        "seq %s were recorded but not given to aiortc's jitter buffer, so aiortc NACKed them and Chromium "
        "retransmitted them on RTX" % REC.dropped_rx, v, [("# " + session)] + neg + ssrcs), rx_video)

    rx_rtcp = select_rtcp(REC.rx_rtcp)
    counts["chromium-rtcp.hex"] = write_hex("chromium-rtcp.hex", header(
        "Plaintext RTCP compound packets sent by Chromium, as received by aiortc after SRTCP unprotect",
        "hook on aiortc RTCDtlsTransport._handle_rtcp_data (called right after _rx_srtp.unprotect_rtcp); "
        "arrival order, at most 8 compounds with the same sequence of (PT, FMT); aiortc withheld its first "
        "~1 s of video and 2 later VP8 packets so Chromium sent PLI and NACK; Chromium closed its "
        "RTCPeerConnection at the end (BYE)", v,
        [("# " + session)] + neg + ssrcs + ["# types in this file: " + summarize_rtcp(rx_rtcp)]), rx_rtcp)

    tx_audio = [p for p in REC.tx_rtp if (p[1] & 0x7F) in audio_pts][:40]
    tx_video = select_video(REC.tx_rtp, vp8_pts, rtx_pts, n_vp8=50, limit=60)
    counts["aiortc-rtp.hex"] = write_hex("aiortc-rtp.hex", header(
        "Plaintext RTP sent by aiortc (Opus from AudioStreamTrack silence, VP8 from VideoStreamTrack)",
        "hook on aiortc RTCDtlsTransport._send_rtp before _tx_srtp.protect; first 40 audio packets, then the "
        "first 50 VP8 packets sent (after aiortc's first ~1 s of video was withheld) + RTX retransmissions. "
        "Note: the transport-wide-cc extension was added by our patch, not by stock aiortc", v,
        [("# " + session)] + neg + ssrcs), tx_audio + tx_video)

    tx_rtcp = select_rtcp(REC.tx_rtcp)
    counts["aiortc-rtcp.hex"] = write_hex("aiortc-rtcp.hex", header(
        "Plaintext RTCP compound packets sent by aiortc",
        "hook on aiortc RTCDtlsTransport._send_rtp before _tx_srtp.protect_rtcp; at most 8 compounds with "
        "the same sequence of (PT, FMT); aiortc closed last (BYE)", v,
        [("# " + session)] + neg + ssrcs + ["# types in this file: " + summarize_rtcp(tx_rtcp)]), tx_rtcp)

    cu, cp = ice_creds(offer)
    au, ap = ice_creds(answer)
    stun_lines = []
    for direction, data, addr in REC.stun[:120]:
        try:
            m = aioice.stun.parse_message(data)
            desc = "%s %s" % (m.message_method.name, m.message_class.name)
            desc += " attrs=" + ",".join(m.attributes.keys())
            # whose password keys MESSAGE-INTEGRITY: the agent that received the request
            is_req = m.message_class == aioice.stun.Class.REQUEST
            from_chromium = direction.startswith("chromium")
            owner = "aiortc" if (is_req == from_chromium) else "chromium"
            if "MESSAGE-INTEGRITY" in m.attributes:
                ok = check_integrity(data, (ap if owner == "aiortc" else cp).encode())
                desc += " integrity-key=%s-pwd(%s)" % (owner, "verified" if ok else "MISMATCH")
        except ValueError as e:
            desc = "unparsed or integrity check failed (%s)" % e
        stun_lines.append("# %s peer=%s:%d %s" % (direction, addr[0], addr[1], desc))
        stun_lines.append(data)
    counts["chromium-stun.hex"] = write_hex("chromium-stun.hex", header(
        "Raw STUN messages (ICE connectivity checks / consent) between Chromium and aiortc, as on the wire",
        "hooks on aioice StunProtocol.datagram_received (from Chromium) and StunProtocol.send_stun (from "
        "aiortc); each packet line is preceded by a comment giving its direction and aioice's parse", v,
        ["# " + session,
         "# ice-ufrag chromium=%s aiortc=%s" % (cu, au),
         "# ice-pwd chromium=%s aiortc=%s" % (cp, ap),
         "# roles: chromium=controlling (offerer) aiortc=controlled",
         "# MESSAGE-INTEGRITY key = ice-pwd of the agent that RECEIVES the request (requests chromium->aiortc "
         "and the responses aiortc->chromium use aiortc's pwd; requests aiortc->chromium and their responses "
         "use chromium's pwd). USERNAME in a request = <receiver ufrag>:<sender ufrag>."]), stun_lines)

    # ---------------- session 2 (simulcast)
    if SIMULCAST:
        offer2, answer2, sent2, state2, stats2 = run_session(url, loop, simulcast=True, seconds=8)
        print("session 2:", state2, stats2)
        vp8_2 = pts_by_name(answer2, "video", "VP8")
        rtx_2 = pts_by_name(answer2, "video", "rtx")
        by_ssrc = {}
        order = []
        for p in REC.rx_rtp:
            pt, seq, ssrc = rtp_fields(p)
            if pt not in vp8_2 and pt not in rtx_2:
                continue
            if ssrc not in by_ssrc:
                by_ssrc[ssrc] = 0
            limit = 25 if pt in vp8_2 else 6
            if by_ssrc[ssrc] >= limit:
                continue
            by_ssrc[ssrc] += 1
            order.append(p)
        session2 = ("session: Chromium offer (fake camera 1280x720, video sendEncodings rid q/h/f "
                    "scaleResolutionDownBy 4/2/1), aiortc answer edited to accept simulcast (a=rid recv, "
                    "a=simulcast:recv q;h;f, rid + repaired-rid extmaps, x-google-start/min/max-bitrate); stock "
                    "aiortc extensions otherwise; connection state %s" % state2)
        chrome_stats = ["# chromium getStats: %s" % " ".join(str(x) for x in s) for s in stats2]
        counts["chromium-rtp-simulcast.hex"] = write_hex("chromium-rtp-simulcast.hex", header(
            "Plaintext RTP (VP8 simulcast layers + RTX) sent by Chromium, as received by aiortc after SRTP unprotect",
            "hook on aiortc RTCDtlsTransport._handle_rtp_data; per SSRC the first 25 VP8 packets or 6 RTX "
            "packets, arrival order. Video was recorded only (not given to aiortc)", v,
            ["# " + session2] + negotiated(sent2, kinds=("video",)) + ssrc_lines(offer2, "chromium")
            + chrome_stats), order)
        rx_rtcp2 = select_rtcp(REC.rx_rtcp, limit=40, per_signature=5)
        # append session 2's Chromium RTCP (REMB etc.) to chromium-rtcp.hex
        path = os.path.join(OUT, "chromium-rtcp.hex")
        with open(path, "rb") as f:
            text = f.read().decode()
        extra = ["#", "# ---- second session (simulcast session above; stock aiortc, no transport-cc, "
                 "so Chromium sends REMB); extension ids below apply to the packets after this line",
                 "# " + session2] + negotiated(answer2) \
            + ["# types in this part: " + summarize_rtcp(rx_rtcp2)] + [c.hex() for c in rx_rtcp2]
        text = text.replace("# packets: %d\n" % counts["chromium-rtcp.hex"],
                            "# packets: %d\n" % (counts["chromium-rtcp.hex"] + len(rx_rtcp2)))
        common.write_bytes(path, text + "\n".join(extra) + "\n")
        counts["chromium-rtcp.hex"] += len(rx_rtcp2)
        print("appended %d session-2 compounds to chromium-rtcp.hex" % len(rx_rtcp2))

    server.shutdown()
    loop.stop()
    print(counts)


if __name__ == "__main__":
    main()
