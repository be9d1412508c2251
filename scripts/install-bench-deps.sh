#!/usr/bin/env bash
# Installs the Debian packages the benchmarks need (scripts/bench-packages.txt):
# SIPp, and the peers measured side by side, Kamailio and rtpengine.
# Idempotent: apt-get runs only when something is missing. rtpengine-daemon
# is installed without recommends (no kernel module: the benchmark uses
# userspace forwarding) and its service is never started by the harness.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
while read -r pkg _; do
	[[ -z "$pkg" || "$pkg" == \#* ]] && continue
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$pkg")
	fi
done < scripts/bench-packages.txt

if ((${#missing[@]})); then
	sudo=()
	if [[ "$(id -u)" -ne 0 ]]; then sudo=(sudo); fi
	echo "install-bench-deps: installing ${missing[*]}"
	"${sudo[@]}" apt-get update -q
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
