#!/bin/sh
# Media benchmarks: the Go benchmarks in media/ and the relay comparison
# (box relay against the bare relay floor, same load, same run).
# Usage: scripts/bench.sh [quick|full]   (quick: under 5 minutes)
# Writes bench/results/<date>.json and the media section of BENCHMARKS.md.
# All traffic stays on 127.0.0.1; every run is bounded in count and time.
set -eu
mode="${1:-quick}"
cd "$(dirname "$0")/.."

case "$mode" in
quick)
	benchtime=300ms
	relay_args="-calls 250 -duration 10s -rounds 3 -variants bare,box,box-uring"
	;;
full)
	benchtime=1s
	relay_args="-calls 500 -duration 15s -rounds 5 -variants bare,box,box-uring,uring"
	;;
*)
	echo "usage: $0 [quick|full]" >&2
	exit 2
	;;
esac

date_utc="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
day="$(date -u +%Y-%m-%d)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
nproc="$(nproc)"
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p bench/results

echo "== Go benchmarks in media/ (benchtime $benchtime)"
timeout 180 go test -run '^$' -bench . -benchmem -benchtime "$benchtime" ./media/... | tee "$tmp/gobench.txt"

echo "== relay comparison: $relay_args"
timeout 900 go run ./bench/relaycmp $relay_args -out "$tmp/relay.json" -profile bench/results

go run ./bench/report -bench "$tmp/gobench.txt" -relay "$tmp/relay.json" \
	-date "$date_utc" -commit "$commit" -mode "$mode" -nproc "$nproc" -cpu "$cpu" \
	-json "bench/results/$day.json" -md BENCHMARKS.md
echo "== wrote bench/results/$day.json and BENCHMARKS.md"
