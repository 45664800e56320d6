#!/usr/bin/env python3
"""Summarise a Fixtures/packets/*.hex file (our own quick checker, no dependencies).

Usage: python3 Fixtures/capture/inspect_hex.py Fixtures/packets/chromium-rtp-video.hex [...]
RTP lines: pt, seq, ts, ssrc, marker, header-extension ids, and for VP8 (pt from '# pt N VP8' comments)
whether the packet starts a frame (S=1, PID=0) and whether that frame is a keyframe.
RTCP lines: the (PT, FMT) of each packet in the compound. STUN lines: method/class and attribute types.
"""
import sys


def ext_ids(p):
    cc = p[0] & 0x0F
    off = 12 + 4 * cc
    if not p[0] & 0x10:
        return []
    profile = int.from_bytes(p[off:off + 2], "big")
    n = int.from_bytes(p[off + 2:off + 4], "big") * 4
    data = p[off + 4:off + 4 + n]
    ids = []
    i = 0
    if profile == 0xBEDE:
        while i < len(data):
            if data[i] == 0:
                i += 1
                continue
            xid, ln = data[i] >> 4, (data[i] & 0xF) + 1
            if xid == 15:
                break
            ids.append(xid)
            i += 1 + ln
    elif profile & 0xFFF0 == 0x1000:
        while i + 1 < len(data):
            if data[i] == 0:
                i += 1
                continue
            ids.append(data[i])
            i += 2 + data[i + 1]
    return ids


def payload(p):
    cc = p[0] & 0x0F
    off = 12 + 4 * cc
    if p[0] & 0x10:
        off += 4 + 4 * int.from_bytes(p[off + 2:off + 4], "big")
    end = len(p) - (p[-1] if p[0] & 0x20 else 0)
    return p[off:end]


def vp8(pl):
    x = pl[0] & 0x80
    s = pl[0] & 0x10
    pid = pl[0] & 0x07
    i = 1
    if x:
        xb = pl[1]
        i = 2
        if xb & 0x80:
            i += 2 if pl[i] & 0x80 else 1
        if xb & 0x40:
            i += 1
        if xb & 0x30:
            i += 1
    start = bool(s) and pid == 0
    key = start and (pl[i] & 0x01) == 0
    return start, key


def main(path):
    vp8_pts = set()
    for line in open(path):
        line = line.strip()
        if line.startswith("# pt ") and " VP8/" in line:
            vp8_pts.add(int(line.split()[2]))
        if not line or line.startswith("#"):
            continue
        p = bytes.fromhex(line)
        if p[0] < 2:
            t = int.from_bytes(p[0:2], "big")
            attrs, i = [], 20
            while i + 4 <= len(p):
                a, ln = int.from_bytes(p[i:i + 2], "big"), int.from_bytes(p[i + 2:i + 4], "big")
                attrs.append("%04x" % a)
                i += 4 + (ln + 3) // 4 * 4
            print("STUN type=%04x len=%d attrs=%s" % (t, len(p), ",".join(attrs)))
        elif 192 <= p[1] <= 223:
            out, i = [], 0
            while i + 4 <= len(p):
                out.append("%d/%d" % (p[i + 1], p[i] & 0x1F))
                i += (int.from_bytes(p[i + 2:i + 4], "big") + 1) * 4
            print("RTCP len=%d %s" % (len(p), " ".join(out)))
        else:
            pt = p[1] & 0x7F
            extra = ""
            if pt in vp8_pts:
                start, key = vp8(payload(p))
                extra = " vp8-start" * start + " KEYFRAME" * key
            print("RTP pt=%d seq=%d ts=%d ssrc=%d m=%d P=%d len=%d ext=%s%s" % (
                pt, int.from_bytes(p[2:4], "big"), int.from_bytes(p[4:8], "big"),
                int.from_bytes(p[8:12], "big"), p[1] >> 7, (p[0] >> 5) & 1, len(p), ext_ids(p), extra))


if __name__ == "__main__":
    for a in sys.argv[1:]:
        print("==", a)
        main(a)
