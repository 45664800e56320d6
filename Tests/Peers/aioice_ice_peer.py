#!/usr/bin/env python3
"""An aioice ICE agent for ICETests/AioiceInteropTests: a peer we did not write.

Line-based JSON over stdin/stdout:
  1. prints   {"ufrag", "pwd", "candidates": [sdp, ...]}   (host candidates on 127.0.0.1 only)
  2. reads    {"ufrag", "pwd", "candidates": [sdp, ...]}   (the Swift agent's)
  3. connects (ICE checks, nomination), prints
     {"connected": true, "controlling": <its final role>, "local": "ip:port", "remote": "ip:port"}
  4. waits for one datagram, answers b"pong:" + it, prints {"received": "..."}
Usage: aioice_ice_peer.py controlling|controlled
"""
import asyncio
import json
import sys

import aioice
import aioice.ice

# aioice skips 127.0.0.1 when gathering; the test runs on loopback only.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


async def main() -> None:
    controlling = sys.argv[1] == "controlling"
    connection = aioice.Connection(ice_controlling=controlling, components=1, use_ipv4=True, use_ipv6=False)
    await connection.gather_candidates()
    print(json.dumps({
        "ufrag": connection.local_username,
        "pwd": connection.local_password,
        "candidates": [candidate.to_sdp() for candidate in connection.local_candidates],
    }), flush=True)

    remote = json.loads(await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline))
    connection.remote_username = remote["ufrag"]
    connection.remote_password = remote["pwd"]
    for line in remote["candidates"]:
        await connection.add_remote_candidate(aioice.Candidate.from_sdp(line.removeprefix("candidate:")))
    await connection.add_remote_candidate(None)

    await asyncio.wait_for(connection.connect(), 20)
    pair = connection._nominated.get(1)
    print(json.dumps({
        "connected": True,
        "controlling": connection.ice_controlling,
        "local": f"{pair.local_candidate.host}:{pair.local_candidate.port}" if pair else "",
        "remote": f"{pair.remote_addr[0]}:{pair.remote_addr[1]}" if pair else "",
    }), flush=True)

    data = await asyncio.wait_for(connection.recv(), 10)
    await connection.send(b"pong:" + data)
    print(json.dumps({"received": data.decode(errors="replace")}), flush=True)
    await asyncio.sleep(0.5)
    await connection.close()


asyncio.run(main())
