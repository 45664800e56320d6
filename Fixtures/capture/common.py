"""Shared helpers for the fixture capture scripts (capture_sdp.py, capture_packets.py).

Not run directly. Provides:
  * a tiny HTTP server on 127.0.0.1 serving page.html (a secure context, so getUserMedia works);
  * start_chromium(): headless Debian Chromium driven by Selenium + the Debian chromedriver
    (explicit paths, so Selenium Manager never downloads anything);
  * loopback_only_aioice(): makes aioice gather a single host candidate on 127.0.0.1 and never use STUN;
  * AiortcThread: an asyncio loop in a background thread, so the main thread can drive Selenium.

Everything stays on this machine: no ICE servers on either side, aiortc gathers 127.0.0.1 only.
"""

import asyncio
import functools
import http.server
import os
import socket
import subprocess
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def versions():
    import aiortc
    import aioice
    import selenium

    chromium = subprocess.run(
        [CHROMIUM, "--version"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "chromium": chromium,
        "aiortc": aiortc.__version__,
        "aioice": getattr(aioice, "__version__", "?"),
        "selenium": selenium.__version__,
    }


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def start_http_server():
    """Serve Fixtures/capture/ on 127.0.0.1:<ephemeral>. Returns (server, base_url)."""
    handler = functools.partial(_QuietHandler, directory=HERE)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "http://127.0.0.1:%d/page.html" % server.server_address[1]


def start_chromium(mdns=False, fake_media=True, extra_args=()):
    """Headless Chromium, with fake camera + microphone if fake_media.

    mdns=False passes --disable-features=WebRtcHideLocalIpsWithMdns so host candidates carry real IPs.
    Note: with --use-fake-ui-for-media-stream Chromium treats the page as having media permission and
    then never hides host IPs behind mDNS names, so an mDNS capture needs fake_media=False.
    """
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never go online
    os.environ.setdefault("SE_AVOID_STATS", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--metrics-recording-only",
        "--window-size=640,480",
    ]:
        opts.add_argument(a)
    if fake_media:
        opts.add_argument("--use-fake-device-for-media-stream")
        opts.add_argument("--use-fake-ui-for-media-stream")
    if not mdns:
        opts.add_argument("--disable-features=WebRtcHideLocalIpsWithMdns")
    for a in extra_args:
        opts.add_argument(a)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.set_script_timeout(60)
    return driver


def js(driver, body, *args):
    """Run an async JS snippet; `body` must end by calling done(value)."""
    script = "const done = arguments[arguments.length - 1];\n" \
             "(async () => {\n" + body + "\n})().catch(e => done({error: String(e)}));"
    result = driver.execute_async_script(script, *args)
    if isinstance(result, dict) and "error" in result and len(result) == 1:
        raise RuntimeError("JS error: " + result["error"])
    return result


def loopback_only_aioice():
    """aioice host candidates: 127.0.0.1 only (aioice skips loopback by default)."""
    import aioice.ice

    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


def aiortc_configuration():
    from aiortc import RTCConfiguration

    # iceServers=None would make aiortc use stun.l.google.com; [] means none at all.
    return RTCConfiguration(iceServers=[])


class AiortcThread:
    """An asyncio event loop on a background thread."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout=60):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def write_bytes(path, text):
    """Write text exactly (no newline translation)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(text.encode("utf-8"))


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p
