#!/usr/bin/env python3
"""Headless Chromium participants (Selenium + chromedriver, fake camera and microphone) in a meeting of our
sfuserver, for SFUTests: browsers we did not write, speaking docs/signaling.md from page JavaScript over the real
WebSocket, with a publish and a subscribe RTCPeerConnection each.

Usage: chromium_sfu_participants.py <ws url of /rtc> <spec JSON>
  spec: {"participants": [{"id": "c1", "token": "...", "screen": false}, ...],
         "expect": {"c1": ["c2", "a1"], ...},        # whose camera and microphone each must decode
         "expectScreen": {"c1": "c3", ...}}          # whose screen each must decode
Prints one line {"reports": {id: report}} once every expectation holds (or after at most 60 s), where a report is
{"participants": {pid: {"camera"|"microphone"|"screen": inbound-rtp stats}}, "dominant": [...], "errors": [...],
 "publish": state, "subscribe": state}; then keeps the browsers in the meeting until stdin closes (at most 60 s
more). Every browser is always quit. Loopback only: offers keep only 127.0.0.1 candidates.
"""
import http.server
import json
import sys
import threading
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


class Page(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        body = b"<!doctype html><title>participant</title><body></body>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


CLIENT_JS = r"""
const [url, token, screen, done] = arguments;
const state = {slots: {}, dominant: [], errors: []};
window.meetingState = state;
const loopbackOnly = (sdp) => sdp.split('\r\n').filter(
    l => !l.startsWith('a=candidate:') || l.includes(' 127.0.0.1 ')).join('\r\n');
const gathered = async (pc) => {
  const start = Date.now();
  while (pc.iceGatheringState !== 'complete' && Date.now() - start < 5000) await new Promise(r => setTimeout(r, 50));
};
const pub = new RTCPeerConnection({bundlePolicy: 'max-bundle'});
const sub = new RTCPeerConnection({bundlePolicy: 'max-bundle'});
state.pub = pub;
state.sub = sub;
// Chromium decodes received audio only while something plays it: render every remote track.
sub.ontrack = (event) => {
  const element = document.createElement(event.track.kind);
  element.autoplay = true;
  element.srcObject = new MediaStream([event.track]);
  document.body.appendChild(element);
  element.play().catch(() => {});
};
const ws = new WebSocket(url + '?token=' + encodeURIComponent(token));
state.ws = ws;
const send = (message) => ws.send(JSON.stringify(Object.assign({v: 1}, message)));
ws.onmessage = async (event) => {
  const m = JSON.parse(event.data);
  try {
    if (m.type === 'joined') {
      const media = await navigator.mediaDevices.getUserMedia(
          {audio: true, video: {width: {exact: 320}, height: {exact: 240}, frameRate: 15}});
      const tracks = {};
      const audio = pub.addTransceiver(media.getAudioTracks()[0], {direction: 'sendonly'});
      const camera = pub.addTransceiver(media.getVideoTracks()[0], {direction: 'sendonly'});
      let shared = null;
      if (screen) {
        // A "screen": a canvas with moving content (headless Chromium has no desktop to capture).
        const canvas = document.createElement('canvas');
        canvas.width = 640; canvas.height = 360;
        const context = canvas.getContext('2d');
        let frame = 0;
        setInterval(() => {
          context.fillStyle = `hsl(${(frame * 7) % 360}, 60%, 50%)`;
          context.fillRect(0, 0, 640, 360);
          context.fillStyle = 'white';
          context.fillText('slide ' + frame++, 20 + frame % 500, 180);
        }, 100);
        shared = pub.addTransceiver(canvas.captureStream(10).getVideoTracks()[0], {direction: 'sendonly'});
      }
      await pub.setLocalDescription(await pub.createOffer());
      await gathered(pub);
      tracks[audio.mid] = 'microphone';
      tracks[camera.mid] = 'camera';
      if (shared) tracks[shared.mid] = 'screen';
      send({type: 'publishOffer', sdp: loopbackOnly(pub.localDescription.sdp), tracks});
      const kinds = [];
      for (let i = 0; i < m.slots.audio; i++) kinds.push(['audio', 'audio']);
      for (let i = 0; i < m.slots.video; i++) kinds.push(['video', 'video']);
      for (let i = 0; i < m.slots.screen; i++) kinds.push(['video', 'screen']);
      const transceivers = kinds.map(([kind]) => sub.addTransceiver(kind, {direction: 'recvonly'}));
      await sub.setLocalDescription(await sub.createOffer());
      await gathered(sub);
      const slots = {};
      transceivers.forEach((t, i) => { slots[t.mid] = kinds[i][1]; });
      send({type: 'subscribeOffer', sdp: loopbackOnly(sub.localDescription.sdp), slots});
    } else if (m.type === 'publishAnswer') {
      await pub.setRemoteDescription({type: 'answer', sdp: m.sdp});
    } else if (m.type === 'subscribeAnswer') {
      await sub.setRemoteDescription({type: 'answer', sdp: m.sdp});
    } else if (m.type === 'slots') {
      for (const slot of m.slots) {
        state.slots[slot.mid] = slot.participantID ? {id: slot.participantID, track: slot.track} : null;
      }
    } else if (m.type === 'dominantSpeaker') {
      state.dominant.push(m.participantID);
    } else if (m.type === 'error') {
      state.errors.push(m);
    }
  } catch (e) {
    state.errors.push(String(e));
  }
};
ws.onopen = () => done(true);
ws.onerror = () => done(false);
"""

REPORT_JS = r"""
const done = arguments[0];
(async () => {
  const state = window.meetingState;
  const result = {participants: {}, errors: state.errors, dominant: state.dominant,
                  publish: state.pub.connectionState, subscribe: state.sub.connectionState};
  const stats = await state.sub.getStats();
  stats.forEach(report => {
    if (report.type !== 'inbound-rtp') return;
    const owner = state.slots[report.mid];
    if (!owner) return;
    const entry = result.participants[owner.id] = result.participants[owner.id] || {};
    entry[owner.track] = {framesDecoded: report.framesDecoded || 0, totalAudioEnergy: report.totalAudioEnergy || 0,
                          packetsReceived: report.packetsReceived || 0, packetsLost: report.packetsLost || 0,
                          frameWidth: report.frameWidth || 0, frameHeight: report.frameHeight || 0};
  });
  done(result);
})().catch(e => done({error: String(e)}));
"""


def satisfied(report, expect, screen_from):
    participants = report.get("participants", {})
    for other in expect:
        got = participants.get(other, {})
        if got.get("camera", {}).get("framesDecoded", 0) <= 0:
            return False
        if got.get("microphone", {}).get("totalAudioEnergy", 0) <= 0:
            return False
    if screen_from and participants.get(screen_from, {}).get("screen", {}).get("framesDecoded", 0) <= 0:
        return False
    return True


def main():
    url = sys.argv[1]
    spec = json.loads(sys.argv[2])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                     "--allow-loopback-in-peer-connection", "--no-first-run", "--disable-extensions",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--autoplay-policy=no-user-gesture-required"]:
        options.add_argument(argument)
    drivers = {}
    try:
        for participant in spec["participants"]:
            driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
            drivers[participant["id"]] = driver
            driver.set_script_timeout(20)
            driver.get(f"http://127.0.0.1:{server.server_address[1]}/")
            driver.execute_async_script(CLIENT_JS, url, participant["token"], participant.get("screen", False))
        deadline = time.time() + 60
        reports = {}
        while time.time() < deadline:
            reports = {pid: d.execute_async_script(REPORT_JS) for pid, d in drivers.items()}
            if all(satisfied(reports[pid], spec["expect"].get(pid, []), spec.get("expectScreen", {}).get(pid))
                   for pid in drivers):
                break
            time.sleep(0.5)
        print(json.dumps({"reports": reports}), flush=True)
        # Stay in the meeting (others may still be measuring) until the test closes stdin.
        end = time.time() + 60
        while time.time() < end and sys.stdin.readline():
            pass
    finally:
        for driver in drivers.values():
            try:
                driver.quit()
            except Exception:
                pass
        server.shutdown()


main()
