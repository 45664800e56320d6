#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ (one per parser) and runs each for a bounded time.
#   scripts/fuzz.sh [seconds-per-target] [target ...]      default: 60 s, every target
# Seeds come from Fixtures/ (RFC vectors, captured packets and SDPs, media clips). Findings (crash-*, leak-*) are written
# to .build-fuzz/findings/<target>/ and make the script fail. Prints the executions per target at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzSTUN FuzzRTP FuzzRTCP FuzzSDP FuzzDTLS FuzzICE FuzzIVF FuzzOgg FuzzSMTP FuzzPeerConnection FuzzTURNServer)

scratch="$root/.build-fuzz"
swift build --package-path Fuzz --scratch-path "$scratch" --sanitize=fuzzer \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
bin="$scratch/debug"

# Seed corpora from the fixtures: binary STUN vectors, one-packet-per-line hex captures, SDP texts.
seed() {
    local target=$1 dir=$2
    rm -rf "$dir" && mkdir -p "$dir"
    case $target in
        FuzzSTUN) cp Fixtures/stun/*.bin "$dir"/ 2>/dev/null || true; hexfiles=(Fixtures/packets/*stun*.hex) ;;
        FuzzRTP) hexfiles=(Fixtures/packets/*rtp-*.hex Fixtures/packets/*-rtp.hex) ;;
        FuzzRTCP) hexfiles=(Fixtures/packets/*rtcp*.hex) ;;
        FuzzSDP) cp Fixtures/sdp/*.sdp "$dir"/ 2>/dev/null || true; hexfiles=() ;;
        FuzzDTLS) hexfiles=(Fixtures/dtls/client-flights.hex) ;;
        FuzzIVF) cp Fixtures/media/*320x180.ivf "$dir"/ 2>/dev/null || true; hexfiles=() ;;
        FuzzOgg) cp Fixtures/media/*.ogg "$dir"/ 2>/dev/null || true; hexfiles=() ;;
        FuzzSMTP)
            # Server sides of whole dialogues (the first byte picks where the input is split and whether to AUTH).
            printf '\x10220 mx ESMTP\r\n250-mx\r\n250-STARTTLS\r\n250 SIZE 1000\r\n220 go\r\n250-mx\r\n250 AUTH PLAIN LOGIN\r\n235 ok\r\n250 ok\r\n250 ok\r\n451 later\r\n354 go\r\n250 queued\r\n221 bye\r\n' > "$dir/starttls-auth.bin"
            printf '\x03220 old\r\n502 no\r\n250 hi\r\n250 ok\r\n550 no\r\n550 no\r\n221 bye\r\n' > "$dir/helo.bin"
            printf '\x00220 x\r\n250-mx\r\n250 AUTH LOGIN\r\n334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n535 5.7.8 no\r\n' > "$dir/auth-login.bin"
            hexfiles=() ;;
        FuzzPeerConnection)
            # One seed per captured packet, framed as FuzzPeerConnection reads it: a 2-byte length, then a control
            # byte (0x01: the peer protects it as RTP; 0x02: as RTCP; 0x00: STUN delivered as it is).
            python3 - "$dir" Fixtures/packets/*.hex <<'PY'
import pathlib, sys
target = pathlib.Path(sys.argv[1])
for name in sys.argv[2:]:
    source = pathlib.Path(name)
    control = 0x02 if "rtcp" in source.name else 0x01 if "rtp" in source.name else 0x00
    lines = [l.strip() for l in source.read_text().splitlines() if l.strip() and not l.startswith("#")]
    for number, line in enumerate(lines[:50]):
        body = bytes([control]) + bytes.fromhex(line)
        (target / f"{source.stem}-{number}.bin").write_bytes(len(body).to_bytes(2, "big") + body)
PY
            hexfiles=() ;;
        FuzzTURNServer)
            # Scripts as FuzzTURNServer reads them (operation byte, client byte, then the operation's fields): an
            # authenticated Allocate / CreatePermission / ChannelBind on UDP, peer data back and ChannelData out; the
            # same over TCP with stream framing; plus the STUN fixtures as raw datagrams.
            python3 - "$dir" Fixtures/packets/*stun*.hex <<'PY'
import pathlib, sys
target = pathlib.Path(sys.argv[1])
def signed(client, method, selector, extra=b"", auth=0x10, stream=None):
    body = bytes([2, client, method]) + selector.to_bytes(2, "big") + bytes([0]) + bytes([192, 0, 2, 10]) + (9000).to_bytes(2, "big")
    body += extra + bytes(range(12)) + bytes([auth])
    if stream is not None: body += bytes([stream])
    return body
def flow(client, stream=None):
    allocate = signed(client, 0, 0x0001, stream=stream)
    permission = signed(client, 2, 0x0008, stream=stream)
    channel = signed(client, 3, 0x0028, extra=(0x4001).to_bytes(2, "big"), stream=stream)
    peer_data = bytes([4, client, 0, 0, 4]) + b"ping"
    channel_data = bytes([0 if stream is None else 1, client, 0, 8, 0x40, 0x01, 0x00, 0x04]) + b"pong"
    refresh = signed(client, 1, 0x0004, extra=(0).to_bytes(4, "big"), stream=stream)
    return allocate + allocate + permission + channel + peer_data + channel_data + bytes([5, 0, 40]) + refresh
(target / "udp-flow.bin").write_bytes(flow(0))
(target / "tcp-flow.bin").write_bytes(flow(1, stream=1))
(target / "tls-rfc6062.bin").write_bytes(signed(2, 0, 0x0003, stream=0) * 2 + signed(2, 4, 0x0008, stream=0)
    + bytes([7, 2, 0, 0]) + signed(2, 5, 0x1000, stream=1))
(target / "ipv6-expired-wrong.bin").write_bytes(signed(3, 0, 0x0201, auth=0x11) + signed(3, 0, 0x0601, auth=0x13)
    + signed(3, 0, 0x0001, auth=0x32) + bytes([8, 3]) + signed(3, 0, 0x0001, auth=0x12))
for name in sys.argv[2:]:
    source = pathlib.Path(name)
    lines = [l.strip() for l in source.read_text().splitlines() if l.strip() and not l.startswith("#")]
    for number, line in enumerate(lines[:40]):
        message = bytes.fromhex(line)[:1024]
        (target / f"{source.stem}-{number}.bin").write_bytes(bytes([0, number % 4]) + len(message).to_bytes(2, "big") + message)
PY
            hexfiles=() ;;
        FuzzICE)
            # One seed per captured ICE message, framed as FuzzICE reads it: a 2-byte length, then a control byte
            # (0x01: re-sign requests for the lite agent; 0x0b: re-sign responses as answers to the full agent).
            python3 - Fixtures/packets/chromium-stun.hex "$dir" <<'PY'
import pathlib, sys
source, target = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
lines = [l.strip() for l in source.read_text().splitlines() if l.strip() and not l.startswith("#")]
for number, line in enumerate(lines):
    message = bytes.fromhex(line)
    control = 0x0B if message[0] & 0x01 else 0x01
    body = bytes([control]) + message
    (target / f"ice-{number}.bin").write_bytes(len(body).to_bytes(2, "big") + body)
PY
            hexfiles=() ;;
    esac
    for file in "${hexfiles[@]}"; do
        [ -f "$file" ] || continue
        python3 - "$file" "$dir" <<'PY'
import pathlib, sys
source, target = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
lines = [l.strip() for l in source.read_text().splitlines() if l.strip() and not l.startswith("#")]
for number, line in enumerate(lines):
    (target / f"{source.stem}-{number}.bin").write_bytes(bytes.fromhex(line))
PY
    done
}

summary=()
status=0
for target in "${targets[@]}"; do
    corpus="$scratch/corpus/$target"
    findings="$scratch/findings/$target"
    seed "$target" "$corpus"
    mkdir -p "$findings"
    log="$scratch/$target.log"
    echo "== $target: ${seconds}s, seeds: $(ls "$corpus" | wc -l)"
    if (cd "$findings" && "$bin/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 "$corpus" > "$log" 2>&1); then
        result=ok
    else
        result="FAILED (see $log and $findings)"
        status=1
    fi
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?')
    summary+=("$target: $runs executions in ${seconds}s, $result")
    tail -n 3 "$log"
done

echo
echo "Fuzzing summary:"
printf '  %s\n' "${summary[@]}"
exit $status
