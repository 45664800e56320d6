#!/usr/bin/env bash
# Join requests per second against the apiserver, on SQLite and on a throwaway MariaDB (loopback only).
#   bench/api-join.sh [requests] [concurrency]
# Starts mariadbd in a temporary directory on a free 127.0.0.1 port, runs Benchmarks' APIJoinBenchmark (release)
# with MEETING_BENCH_MYSQL pointing at it, and always stops mariadbd and removes the directory.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-5000}
concurrency=${2:-16}
dir=$(mktemp -d /tmp/meeting-bench-mariadb.XXXXXX)
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
    for _ in $(seq 1 100); do [ -n "$pid" ] && [ -e "/proc/$pid" ] || break; sleep 0.05; done
    rm -rf "$dir"
}
trap cleanup EXIT
swift build --package-path Benchmarks -c release --product APIJoinBenchmark
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
mariadb-install-db --no-defaults --datadir="$dir/data" --auth-root-authentication-method=normal --skip-test-db >/dev/null
PATH="$PATH:/usr/sbin" mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/sock" --port="$port" \
    --bind-address=127.0.0.1 --user=root --skip-log-bin --skip-name-resolve --innodb-buffer-pool-size=64M \
    --innodb-flush-log-at-trx-commit=2 --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
    >"$dir/mariadbd.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
    mariadb --no-defaults --socket="$dir/sock" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.1
done
mariadb --no-defaults --socket="$dir/sock" -uroot -e "CREATE DATABASE bench CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
    CREATE USER 'bench'@'127.0.0.1' IDENTIFIED BY 'bench'; GRANT ALL PRIVILEGES ON bench.* TO 'bench'@'127.0.0.1';"
MEETING_BENCH_MYSQL="127.0.0.1:$port bench bench bench" \
    Benchmarks/.build/release/APIJoinBenchmark "$requests" "$concurrency"
