#!/usr/bin/env bash
# Runs every fuzz target in the tree for a short, bounded time each
# (FUZZTIME, default 2s; `make fuzz-long` uses 5m). In `make test` this is
# a smoke run that new inputs are still handled (the seed corpora already
# run as plain tests under -race), a few minutes of the 20 that
# `make test` may take on two cores. Targets are found with `-test.list`
# in every package whose tests declare a Fuzz function.
# A failure leaves the crashing input under the package's testdata/fuzz/.
#
# Each package's test binary is built once, with the fuzzing
# instrumentation (`go test -c -fuzz`), and run for each of its targets
# from the package's directory, as `go test` would, with the corpus in the
# same place under GOCACHE. `go test -fuzz` per target would link the
# binary again and run vet each time: about 2 s more per target, three
# minutes of `make test` for 94 targets.
#
# Go 1.26's fuzz coordinator can report "context deadline exceeded" right
# at the -fuzztime boundary without having found anything (a race fixed in
# Go 1.27, go.dev/issue/75804). Such a run is retried once; if it happens
# again with no failing input written, the target is counted as skipped,
# not failed. Anything else that exits non-zero fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME="${FUZZTIME:-2s}"
# FUZZTIMEOUT bounds one target's run, its seed corpus included, as the
# -timeout of `go test` (10m) would.
FUZZTIMEOUT="${FUZZTIMEOUT:-10m}"
work="$(mktemp -d)"
log="$work/log"
trap 'rm -rf "$work"' EXIT
cache="$(go env GOCACHE)/fuzz"
module="$(go list -m)"

mapfile -t dirs < <(grep -rlE --include='*_test.go' '^func Fuzz[A-Z_0-9]' . | xargs -r -n1 dirname | sort -u)

# deadline_flake reports whether the log shows only the coordinator race.
deadline_flake() {
	grep -q 'context deadline exceeded' "$log" &&
		! grep -qE 'Failing input written to|failure while testing seed corpus|^panic:|terminated unexpectedly|hung' "$log"
}

fuzz_one() { # dir binary importpath target
	(cd "$1" && "$2" -test.run '^$' -test.fuzz "^$4\$" -test.fuzztime "$FUZZTIME" \
		-test.timeout "$FUZZTIMEOUT" -test.fuzzcachedir "$cache/$3") > "$log" 2>&1
}

passed=0
failed=()
skipped=()
for dir in "${dirs[@]}"; do
	bin="$work/$(tr / _ <<<"${dir#./}").test"
	pkg="$module/${dir#./}"
	list=""
	if ! out="$(go test -c -fuzz . -o "$bin" "$dir" 2>&1)" ||
		! list="$(cd "$dir" && "$bin" -test.list '^Fuzz' 2>&1)"; then
		echo "$out"
		echo "$list"
		failed+=("$dir (does not build)")
		continue
	fi
	mapfile -t targets < <(grep -E '^Fuzz' <<<"$list")
	for target in "${targets[@]}"; do
		echo "fuzz: $dir $target ($FUZZTIME)"
		if fuzz_one "$dir" "$bin" "$pkg" "$target"; then
			passed=$((passed + 1))
			continue
		fi
		if deadline_flake; then
			echo "fuzz: $dir $target: deadline race without a finding; retrying once"
			if fuzz_one "$dir" "$bin" "$pkg" "$target"; then
				passed=$((passed + 1))
				continue
			fi
			if deadline_flake; then
				skipped+=("$dir $target")
				continue
			fi
		fi
		cat "$log"
		failed+=("$dir $target")
	done
	rm -f "$bin"
done

for s in "${skipped[@]}"; do
	echo "fuzz: SKIPPED $s (deadline race twice, no failing input)"
done
for f in "${failed[@]}"; do
	echo "fuzz: FAILED $f"
done
echo "fuzz: $passed passed, ${#failed[@]} failed, ${#skipped[@]} skipped"
((${#failed[@]} == 0))
