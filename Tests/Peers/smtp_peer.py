#!/usr/bin/env python3
"""A real SMTP server for SMTPTests: aiosmtpd 1.4.6 (PyPI) listening on free 127.0.0.1 ports.

    smtp_peer.py --dir OUT --cert server.pem --key server.key --user alice --password secret

Writes OUT/ports.json (and prints it) naming the port of each listener, then serves until killed or until stdin closes
(so it dies with the test process):
  plain         no TLS, no AUTH
  helo_only     answers EHLO with 502, so clients must fall back to HELO (RFC 5321 §4.1.4)
  starttls      STARTTLS required before MAIL (RFC 3207)
  implicit      TLS from the first byte (RFC 8314)
  auth_starttls STARTTLS, then AUTH PLAIN/LOGIN required
  auth_login    like auth_starttls but offers only AUTH LOGIN
  auth_implicit implicit TLS with AUTH PLAIN/LOGIN required
Every accepted message is written to OUT/<n>.eml (the content as received after dot-unstuffing) with
OUT/<n>.json (listener, MAIL FROM, RCPT TOs, mail options). Recipients starting with "tempfail" get 451,
with "reject" 550.
"""
import argparse
import asyncio
import json
import os
import ssl
import sys
import threading

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    def __init__(self, directory, listener, counter):
        self.directory, self.listener, self.counter = directory, listener, counter

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local.startswith("tempfail"):
            return "451 4.2.0 mailbox busy, try again later"
        if local.startswith("reject"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.counter[0] += 1
        number = self.counter[0]
        base = os.path.join(self.directory, str(number))
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        summary = {
            "listener": self.listener,
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "mail_options": envelope.mail_options,
            "authenticated": bool(session.authenticated),
            "tls": session.ssl is not None or self.listener.endswith("implicit"),
        }
        with open(base + ".json.tmp", "w") as f:
            json.dump(summary, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        os.rename(base + ".json.tmp", base + ".json")
        return "250 OK queued as %d" % number


class HeloOnly(Recorder):
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        return ["502 5.5.2 Error: command not recognized"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == args.user.encode() \
            and auth_data.password == args.password.encode()
        return AuthResult(success=ok, handled=False)

    def tls_context():
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
        return context

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    counter = [0]
    listeners = {
        "plain": (Recorder, {}, False),
        "helo_only": (HeloOnly, {}, False),
        "starttls": (Recorder, {"tls_context": tls_context(), "require_starttls": True}, False),
        "implicit": (Recorder, {}, True),
        "auth_starttls": (Recorder, {"tls_context": tls_context(), "require_starttls": True,
                                     "authenticator": authenticator, "auth_required": True}, False),
        "auth_login": (Recorder, {"tls_context": tls_context(), "require_starttls": True,
                                  "authenticator": authenticator, "auth_required": True,
                                  "auth_exclude_mechanism": ["PLAIN"]}, False),
        "auth_implicit": (Recorder, {"authenticator": authenticator, "auth_required": True,
                                     "auth_require_tls": False}, True),
    }
    ports = {}
    for name, (handler_class, options, implicit) in listeners.items():
        handler = handler_class(args.dir, name, counter)

        def factory(handler=handler, options=options):
            return SMTP(handler, hostname="peer.test", loop=loop, **options)

        server = loop.run_until_complete(loop.create_server(
            factory, host="127.0.0.1", port=0, ssl=tls_context() if implicit else None))
        ports[name] = server.sockets[0].getsockname()[1]
    with open(os.path.join(args.dir, "ports.json.tmp"), "w") as f:
        json.dump(ports, f)
    os.rename(os.path.join(args.dir, "ports.json.tmp"), os.path.join(args.dir, "ports.json"))
    print(json.dumps(ports), flush=True)

    def watch_stdin():
        sys.stdin.read()
        loop.call_soon_threadsafe(loop.stop)

    threading.Thread(target=watch_stdin, daemon=True).start()
    loop.run_forever()


if __name__ == "__main__":
    main()
