#!/usr/bin/env bash
# The call-center and soak suites of the system benchmark (bench/callbench);
# scripts/bench.sh runs the system suite (scenarios 1, 2, 5) and the media
# benchmarks. Never run by `make test`.
#
#   bench/run.sh callcenter [quick|full]   scenarios 2, 3 (every call recorded)
#                                          and 4 (trunk and line callers, IVR menu
#                                          by DTMF, recorded queue, SIPp agents)
#                                          on the callbox binary (make bench: full)
#   bench/run.sh callcenter probe          scenario 3 at 1,000-1,500 recorded calls
#                                          beside scenario 2 at 1,250 (about 8 min)
#   bench/run.sh soak [DURATION]           scenario 6: half the scenario-2 capacity
#                                          with call churn (make bench-soak SOAK=1h)
#
# Each starts the binary itself, loads it with SIPp and the harness's RTP
# generators on 127.0.0.0/8, stops what it started by PID, and writes its
# own section of BENCHMARKS.md and its own key of bench/results/<date>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-}"
day="$(date -u +%Y-%m-%d)"
commit="$(git describe --always --dirty 2>/dev/null || echo unknown)"
case "$what" in
callcenter)
	mode="${2:-full}"
	limit=45m
	[[ "$mode" == quick ]] && limit=4m
	[[ "$mode" == probe ]] && limit=15m
	args=(-suite callcenter -mode "$mode" -limit "$limit")
	;;
soak)
	args=(-suite soak -soak "${2:-1h}")
	;;
*)
	echo "usage: $0 callcenter [quick|full|probe] | soak [DURATION]" >&2
	exit 2
	;;
esac
bash scripts/install-bench-deps.sh
mkdir -p bench/results
repo="$PWD"
src="$repo"
if ! git diff --quiet HEAD -- 2>/dev/null; then
	# Uncommitted edits (several people share this tree) are not what the
	# table names: measure the commit, built from a clean copy.
	commit="$(git rev-parse --short HEAD)"
	src="$(mktemp -d)"
	trap 'rm -rf "$src"' EXIT
	git archive HEAD | tar -x -C "$src"
	echo "== uncommitted changes in the tree: measuring HEAD $commit from a clean copy"
fi
echo "== $what benchmark (${args[*]}), commit $commit"
(cd "$src" && go run ./bench/callbench "${args[@]}" -commit "$commit" \
	-json "$repo/bench/results/$day.json" -md "$repo/BENCHMARKS.md" -results "$repo/bench/results")
echo "== wrote bench/results/$day.json and BENCHMARKS.md"
