#!/usr/bin/env bash
# Screenshots of every page of the web UI, in Chinese and English.
#
#   scripts/screenshots.sh [DIR]
#
# Runs the browser story of cmd/callbox (ui_e2e_test.go) with
# CALLBOX_SCREENSHOTS=DIR: the real binary on loopback ports in a
# temporary data directory, driven by headless chromium from the setup
# wizard through a SIPp call, then a tour of every page reachable from the
# header and the admin menu (found in the rendered menus) as the admin in
# both languages, the agent's console as the agent, and the wallboard on a
# 1024x768 tablet. Each page is written as DIR/<lang>-<path>.png (full
# page at 1366 px wide); the story's steps as DIR/story-*.png.
#
# DIR defaults to $CALLBOX_SCREENSHOTS, else a new folder under /tmp; keep
# it out of the repository (PNGs are not committed). Pages wider than the
# window and catalogue keys shown as is are listed at the end (LAYOUT,
# TRANSLATION). Needs chromium and sipp (scripts/install-test-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-${CALLBOX_SCREENSHOTS:-}}"
if [[ -z "$dir" ]]; then
	dir="$(mktemp -d /tmp/callbox-screenshots.XXXXXX)"
fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
log="$dir/run.log"
set +e
CALLBOX_SCREENSHOTS="$dir" CALLBOX_REQUIRE_E2E=1 go test -count=1 -v -timeout 5m \
	-run '^TestUI_InstallerAgentAndSupervisorStoryThroughTheBinary$' ./cmd/callbox >"$log" 2>&1
status=$?
set -e
grep -E 'LAYOUT|TRANSLATION|pages:|the story took|^(--- |ok|FAIL)' "$log" | sed 's/^ *//' || true
echo "$(find "$dir" -name '*.png' | wc -l) screenshots in $dir (log: $log)"
exit "$status"
