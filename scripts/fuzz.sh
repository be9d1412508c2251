#!/usr/bin/env bash
# Runs every fuzz target in the tree for a short, bounded time each
# (FUZZTIME, default 4s; `make fuzz-long` uses 5m). Targets are found with
# `go test -list` in every package whose tests declare a Fuzz function.
# A failure leaves the crashing input under the package's testdata/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME="${FUZZTIME:-4s}"
mapfile -t dirs < <(grep -rlE --include='*_test.go' '^func Fuzz[A-Z_0-9]' . | xargs -r -n1 dirname | sort -u)

total=0
failed=()
for dir in "${dirs[@]}"; do
	if ! list="$(go test -list '^Fuzz' "$dir" 2>&1)"; then
		echo "$list"
		failed+=("$dir (does not build)")
		continue
	fi
	mapfile -t targets < <(grep -E '^Fuzz' <<<"$list")
	for target in "${targets[@]}"; do
		total=$((total + 1))
		echo "fuzz: $dir $target ($FUZZTIME)"
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$dir" > /tmp/fuzz-$$.log 2>&1; then
			cat /tmp/fuzz-$$.log
			failed+=("$dir $target")
		fi
	done
done
rm -f /tmp/fuzz-$$.log

echo "fuzz: $((total - ${#failed[@]})) passed, ${#failed[@]} failed"
if ((${#failed[@]})); then
	printf 'fuzz: FAILED %s\n' "${failed[@]}"
	exit 1
fi
