#!/usr/bin/env bash
# Installs what the tests need: the Debian packages listed in
# scripts/test-packages.txt and staticcheck (pinned) into ./bin.
# Idempotent: it installs only what is missing, and runs apt-get update
# only when something is.
set -euo pipefail
cd "$(dirname "$0")/.."

STATICCHECK_VERSION=v0.8.2

missing=()
while read -r pkg _; do
	[[ -z "$pkg" || "$pkg" == \#* ]] && continue
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$pkg")
	fi
done < scripts/test-packages.txt

if ((${#missing[@]})); then
	sudo=()
	if [[ "$(id -u)" -ne 0 ]]; then sudo=(sudo); fi
	echo "install-test-deps: installing ${missing[*]}"
	"${sudo[@]}" apt-get update -q
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "${missing[@]}"
fi

if ! ./bin/staticcheck -version 2>/dev/null | grep -q "(${STATICCHECK_VERSION#v})"; then
	echo "install-test-deps: installing staticcheck ${STATICCHECK_VERSION}"
	GOBIN="$PWD/bin" go install "honnef.co/go/tools/cmd/staticcheck@${STATICCHECK_VERSION}"
fi
