#!/usr/bin/env bash
# Benchmarks. Never run by `make test`.
#
#   scripts/bench.sh quick          system benchmark, under 5 minutes (make bench-quick)
#   scripts/bench.sh full           system benchmark, the whole ramp (make bench)
#   scripts/bench.sh media [quick|full]
#                                   the media benchmarks of issue 4: Go benchmarks
#                                   in media/ and the relay against the bare floor
#
# The system benchmark (bench/callbench) installs its peers
# (scripts/bench-packages.txt), starts each system under test itself (the
# callbox binary, Kamailio + rtpengine, the bare relay floor), loads it
# with SIPp and bench/loadgen on 127.0.0.1, stops what it started by PID,
# and writes the callbox-bench section of BENCHMARKS.md and the "system"
# key of bench/results/<date>.json. Every loop is bounded in count and time.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-quick}"

date_utc="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
day="$(date -u +%Y-%m-%d)"
commit="$(git describe --always --dirty 2>/dev/null || echo unknown)"
mkdir -p bench/results

case "$what" in
quick | full)
	bash scripts/install-bench-deps.sh
	limit=5m
	[[ "$what" == full ]] && limit=45m
	repo="$PWD"
	src="$repo"
	if ! git diff --quiet HEAD -- 2>/dev/null; then
		# Uncommitted edits (several people share this tree) are not what
		# the table names: measure the commit, built from a clean copy.
		commit="$(git rev-parse --short HEAD)"
		src="$(mktemp -d)"
		trap 'rm -rf "$src"' EXIT
		git archive HEAD | tar -x -C "$src"
		echo "== uncommitted changes in the tree: measuring HEAD $commit from a clean copy"
	fi
	echo "== system benchmark ($what), commit $commit"
	(cd "$src" && go run ./bench/callbench -mode "$what" -limit "$limit" -commit "$commit" \
		-json "$repo/bench/results/$day.json" -md "$repo/BENCHMARKS.md" -results "$repo/bench/results")
	echo "== wrote bench/results/$day.json and BENCHMARKS.md"
	;;
media)
	mode="${2:-quick}"
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
		echo "usage: $0 media [quick|full]" >&2
		exit 2
		;;
	esac
	nproc="$(nproc)"
	cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	echo "== Go benchmarks in media/ (benchtime $benchtime)"
	timeout 180 go test -run '^$' -bench . -benchmem -benchtime "$benchtime" ./media/... | tee "$tmp/gobench.txt"
	echo "== relay comparison: $relay_args"
	timeout 900 go run ./bench/relaycmp $relay_args -out "$tmp/relay.json" -profile bench/results
	go run ./bench/report -bench "$tmp/gobench.txt" -relay "$tmp/relay.json" \
		-date "$date_utc" -commit "$commit" -mode "$mode" -nproc "$nproc" -cpu "$cpu" \
		-json "bench/results/$day.json" -md BENCHMARKS.md
	echo "== wrote bench/results/$day.json and BENCHMARKS.md"
	;;
*)
	echo "usage: $0 quick|full|media [quick|full]" >&2
	exit 2
	;;
esac
