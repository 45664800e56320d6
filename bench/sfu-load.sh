#!/usr/bin/env bash
# sfuserver load: N participants in one meeting of a real `meeting sfuserver` process on loopback, all publishing
# audio (talk/silence), K publishing VP8-shaped video, everyone subscribing (docs/signaling.md slots). Prints the
# sfuserver's CPU seconds, forwarded packets/s and per CPU-second, loss, p50/p99 time through the SFU, RSS per
# participant.
#   bench/sfu-load.sh [peers] [video publishers] [seconds]     (default 200 10 20)
# Release builds of the sfuserver and the load generator. Loopback only; bounded in count and time.
set -euo pipefail
cd "$(dirname "$0")/.."
peers=${1:-200}
video=${2:-10}
seconds=${3:-20}
swift build -c release --product meeting
swift build --package-path Benchmarks -c release --product SFULoadBenchmark
"$(swift build --package-path Benchmarks -c release --show-bin-path)/SFULoadBenchmark" \
    --sfu-binary "$(swift build -c release --show-bin-path)/meeting" \
    --peers "$peers" --video-publishers "$video" --seconds "$seconds"
