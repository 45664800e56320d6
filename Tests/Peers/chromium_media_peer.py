#!/usr/bin/env python3
"""Headless Chromium (Selenium + chromedriver) as a WebRTC peer for WebRTCDriverTests: a browser we did not write.

Serves a blank page from a tiny HTTP server on 127.0.0.1 (a secure context for getUserMedia), opens it in
headless Chromium with fake media devices, and answers our offer with the fake camera and microphone.
Line-based JSON over stdin/stdout:
  reads  {"sdp": <offer>}
  prints {"sdp": <answer>}            (host candidates on 127.0.0.1 only)
  prints {"connected": true}          once the connection state is "connected"
  after <seconds>, prints {"results": {"audio": {...inbound-rtp}, "video": {...inbound-rtp},
                                       "outboundVideo": {...}, "connectionState": ...}}
Usage: chromium_media_peer.py [seconds]. Every wait is bounded; the browser is always quit.
"""
import http.server
import json
import sys
import threading
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


class Quiet(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        body = b"<!doctype html><title>peer</title><body>peer</body>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def emit(obj):
    print(json.dumps(obj), flush=True)


ANSWER_JS = """
const [offer, done] = arguments;
(async () => {
  const pc = new RTCPeerConnection({bundlePolicy: 'max-bundle'});
  window.pc = pc;
  // Chromium decodes received audio only while something plays it: render every remote track.
  pc.ontrack = (event) => {
    const element = document.createElement(event.track.kind);
    element.autoplay = true;
    element.muted = false;
    element.srcObject = new MediaStream([event.track]);
    document.body.appendChild(element);
    element.play().catch(() => {});
  };
  const stream = await navigator.mediaDevices.getUserMedia(
      {audio: true, video: {width: {exact: 320}, height: {exact: 240}, frameRate: 25}});
  await pc.setRemoteDescription({type: 'offer', sdp: offer});
  for (const track of stream.getTracks()) pc.addTrack(track, stream);
  await pc.setLocalDescription(await pc.createAnswer());
  const start = Date.now();
  while (pc.iceGatheringState !== 'complete' && Date.now() - start < 5000) {
    await new Promise(r => setTimeout(r, 50));
  }
  done({sdp: pc.localDescription.sdp});
})().catch(e => done({error: String(e)}));
"""

STATS_JS = """
const done = arguments[0];
(async () => {
  const result = {connectionState: pc.connectionState, iceConnectionState: pc.iceConnectionState};
  const stats = await pc.getStats();
  stats.forEach(report => {
    if (report.type === 'inbound-rtp') {
      result[report.kind] = {packetsReceived: report.packetsReceived, packetsLost: report.packetsLost,
        framesDecoded: report.framesDecoded, frameWidth: report.frameWidth, frameHeight: report.frameHeight,
        keyFramesDecoded: report.keyFramesDecoded, totalSamplesReceived: report.totalSamplesReceived,
        concealedSamples: report.concealedSamples, bytesReceived: report.bytesReceived,
        pliCount: report.pliCount, nackCount: report.nackCount};
    }
    if (report.type === 'outbound-rtp') {
      result['outbound' + report.kind[0].toUpperCase() + report.kind.slice(1)] = {
        packetsSent: report.packetsSent, framesEncoded: report.framesEncoded, frameWidth: report.frameWidth,
        frameHeight: report.frameHeight, pliCount: report.pliCount, nackCount: report.nackCount};
    }
  });
  done(result);
})().catch(e => done({error: String(e)}));
"""


def loopback_only(sdp):
    """Keeps only candidates on 127.0.0.1: the test must not send anywhere but loopback."""
    lines = []
    for line in sdp.split("\r\n"):
        if line.startswith("a=candidate:") and " 127.0.0.1 " not in line:
            continue
        lines.append(line)
    return "\r\n".join(lines)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 6.0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                     "--allow-loopback-in-peer-connection", "--no-first-run", "--disable-extensions",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--autoplay-policy=no-user-gesture-required"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.set_script_timeout(20)
        driver.get(f"http://127.0.0.1:{server.server_address[1]}/")
        offer = json.loads(sys.stdin.readline())
        answer = driver.execute_async_script(ANSWER_JS, offer["sdp"])
        if "error" in answer:
            emit({"error": answer["error"]})
            return
        emit({"sdp": loopback_only(answer["sdp"])})
        deadline = time.time() + 20
        state = {}
        while time.time() < deadline:
            state = driver.execute_async_script(STATS_JS)
            if state.get("connectionState") in ("connected", "failed"):
                break
            time.sleep(0.1)
        emit({"connected": state.get("connectionState") == "connected", "state": state})
        end = time.time() + seconds
        while time.time() < end:
            time.sleep(0.2)
        emit({"results": driver.execute_async_script(STATS_JS)})
    finally:
        driver.quit()
        server.shutdown()


main()
