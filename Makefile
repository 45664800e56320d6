# Meeting — the two commands a newcomer needs:
#   make up     install what is missing, build, start the whole server set on embedded SQLite, print a join link
#   make test   install what is missing (libraries and real test peers), build, run every test
# And for developers:
#   make build  debug build of everything
#   make fuzz   every parser's libFuzzer target for FUZZ_SECONDS (default 60) each
#   make bench  the media microbenchmarks (release build, separate Benchmarks/ package)
#   make bench-api  join requests per second against the apiserver (release build)
#   make bench-sfu  200 participants against a real sfuserver: CPU, packets per CPU-second, loss, latency, RSS
#   make clean

SWIFT ?= swift
FUZZ_SECONDS ?= 60
DATA ?= ./meeting-data

.PHONY: up test build deps deps-build fuzz bench bench-api bench-sfu clean

deps-build:
	@scripts/install-deps.sh build

deps:
	@scripts/install-deps.sh test

build: deps-build
	$(SWIFT) build

up: build
	$(SWIFT) run meeting up --data $(DATA)

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

fuzz: deps-build
	scripts/fuzz.sh $(FUZZ_SECONDS)

bench: deps-build
	$(SWIFT) run --package-path Benchmarks -c release MediaParseBenchmark
	$(SWIFT) run --package-path Benchmarks -c release SRTPBenchmark
	$(SWIFT) run --package-path Benchmarks -c release CodecBenchmark
	$(SWIFT) run --package-path Benchmarks -c release WebRTCDriverBenchmark

# Join requests per second against the apiserver on loopback (SQLite; MariaDB too with MEETING_BENCH_MYSQL).
bench-api: deps-build
	$(SWIFT) run --package-path Benchmarks -c release APIJoinBenchmark 5000 16

# 200 participants (10 with video) in one meeting of a real sfuserver process on loopback (release builds).
bench-sfu: deps-build
	bench/sfu-load.sh 200 10 20

clean:
	rm -rf .build .build-fuzz Benchmarks/.build Fuzz/.build
