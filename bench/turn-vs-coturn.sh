#!/usr/bin/env bash
# The same turnutils_uclient load against `meeting turnserver` and against Debian's coturn `turnserver`, one after
# the other in this run, on loopback only. Prints for each: relayed packets/s, loss, average RTT, the server's CPU
# seconds, and the ratio of relayed packets per CPU-second (ours / coturn).
#
#   bench/turn-vs-coturn.sh [CLIENTS] [MESSAGES] [LENGTH] [INTERVAL_MS]      defaults: 100 1000 120 1
#
# Needs: coturn (apt-get install coturn), a release build of meeting (built here into .build-bench if missing).
# Every run is bounded by `timeout`; both servers listen on 127.0.0.1 only and are stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

clients=${1:-100}
messages=${2:-1000}
length=${3:-120}
interval=${4:-1}
port_ours=34870
port_coturn=34880
peer_port=34890
secret=benchsecret

for tool in turnserver turnutils_uclient turnutils_peer; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing: apt-get install coturn" >&2; exit 1; }
done
meeting=${MEETING:-.build-bench/release/meeting}
if [ ! -x "$meeting" ]; then
    echo "bench: building meeting (release) into .build-bench ..."
    swift build -c release --product meeting --scratch-path .build-bench >/dev/null
fi

pids=()
cleanup() { for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

# CPU seconds (user + system) a process has used, from /proc/PID/stat.
cpu_seconds() {
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}

turnutils_peer -L 127.0.0.1 -p "$peer_port" >/dev/null 2>&1 &
pids+=($!)

# run NAME PORT PID: runs the uclient load against PORT, prints one line of figures, sets packets_per_cpu.
run() {
    local name=$1 port=$2 pid=$3
    local before after cpu out sent received seconds lost rtt
    sleep 1
    before=$(cpu_seconds "$pid")
    out=$(timeout 300 turnutils_uclient -c -m "$clients" -n "$messages" -l "$length" -z "$interval" \
        -e 127.0.0.1 -r "$peer_port" -X -g -u bench -W "$secret" -p "$port" 127.0.0.1 2>&1 || true)
    after=$(cpu_seconds "$pid")
    cpu=$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", a - b }')
    sent=$(grep -o 'tot_send_msgs=[0-9]*, tot_recv_msgs=[0-9]*' <<<"$out" | tail -1 | sed 's/tot_send_msgs=\([0-9]*\).*/\1/')
    received=$(grep -o 'tot_send_msgs=[0-9]*, tot_recv_msgs=[0-9]*' <<<"$out" | tail -1 | sed 's/.*tot_recv_msgs=//')
    seconds=$(grep -o 'Total transmit time is [0-9]*' <<<"$out" | tail -1 | awk '{print $5}')
    lost=$(grep -o 'Total lost packets [0-9]* ([0-9.]*%)' <<<"$out" | tail -1 | sed 's/Total lost packets //')
    rtt=$(grep -o 'Average round trip delay [0-9.]* ms' <<<"$out" | tail -1 | awk '{print $5}')
    if [ -z "$sent" ] || [ -z "$seconds" ]; then
        echo "$name: uclient did not finish; last lines:" >&2
        tail -5 <<<"$out" >&2
        packets_per_cpu=0
        return
    fi
    # Every echoed message crosses the server twice (client -> peer, peer -> client).
    local relayed=$((sent + received))
    [ "$seconds" -gt 0 ] || seconds=1
    packets_per_cpu=$(awk -v p="$relayed" -v c="$cpu" 'BEGIN { if (c > 0) printf "%.0f", p / c; else print 0 }')
    printf '%-8s relayed %7d packets in %3ss = %7.0f packets/s, sent %d received %d, lost %s, avg RTT %s ms, server CPU %ss, %s packets/CPU-s\n' \
        "$name" "$relayed" "$seconds" "$(awk -v p="$relayed" -v s="$seconds" 'BEGIN { print p / s }')" \
        "$sent" "$received" "$lost" "$rtt" "$cpu" "$packets_per_cpu"
}

echo "load: $clients clients x $messages messages of $length bytes every ${interval} ms, UDP, ChannelData, loopback"

"$meeting" turnserver --secret benchmark-deployment-secret --ip 127.0.0.1 --listen 127.0.0.1 --port "$port_ours" \
    --relay-ports 20000-29999 --static-auth-secret "$secret" --realm bench --allow-loopback-peers --user-quota 0 \
    >/dev/null 2>&1 &
ours_pid=$!
pids+=($ours_pid)
run ours "$port_ours" "$ours_pid"
ours_ppc=$packets_per_cpu
kill "$ours_pid" 2>/dev/null || true

turnserver -n --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 --listening-port="$port_coturn" --min-port=30000 \
    --max-port=39999 --use-auth-secret --static-auth-secret="$secret" --realm=bench --allow-loopback-peers \
    --no-cli --no-tls --no-dtls --log-file=/dev/null --no-stdout-log >/dev/null 2>&1 &
coturn_pid=$!
pids+=($coturn_pid)
run coturn "$port_coturn" "$coturn_pid"
coturn_ppc=$packets_per_cpu
kill "$coturn_pid" 2>/dev/null || true

awk -v o="$ours_ppc" -v c="$coturn_ppc" 'BEGIN {
    if (c > 0) printf "ratio (packets per CPU-second, ours / coturn): %.2f\n", o / c; else print "ratio: n/a" }'
