#!/bin/sh
# fetch-assets.sh fetches the web UI's front-end libraries from the npm
# registry (npm pack, no install scripts run), copies the minified file
# into webui/assets/vendor/ and records version and sha256 in
# webui/assets/vendor/VERSIONS. The committed files are what the binary
# embeds: builds and CI need no network, and the box fetches nothing at
# run time. Run it only to change a version; review the diff of VERSIONS.
#
# Usage: scripts/fetch-assets.sh            fetch and copy
#        scripts/fetch-assets.sh --check    verify the committed files against VERSIONS
set -eu

cd "$(dirname "$0")/.."
vendor=webui/assets/vendor
versions=$vendor/VERSIONS

# package version file-in-package file-in-vendor
libs="htmx.org 2.0.11 dist/htmx.min.js htmx.min.js"

if [ "${1:-}" = "--check" ]; then
	fail=0
	while read -r file sum pkg; do
		case "$file" in "#"*|"") continue ;; esac
		got=$(sha256sum "$vendor/$file" | cut -d' ' -f1)
		if [ "$got" != "$sum" ]; then
			echo "fetch-assets: $vendor/$file does not match $pkg in VERSIONS" >&2
			fail=1
		fi
	done < "$versions"
	exit $fail
fi

command -v npm >/dev/null || { echo "fetch-assets: npm is needed (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$vendor"
{
	echo "# file sha256 package@version — written by scripts/fetch-assets.sh"
	set -- $libs
	while [ $# -ge 4 ]; do
		pkg=$1 ver=$2 src=$3 dst=$4
		shift 4
		(cd "$tmp" && npm pack --silent --ignore-scripts "$pkg@$ver" >/dev/null)
		tgz=$(ls "$tmp"/*.tgz)
		mkdir "$tmp/x"
		tar -xzf "$tgz" -C "$tmp/x"
		cp "$tmp/x/package/$src" "$vendor/$dst"
		rm -rf "$tmp/x" "$tgz"
		sum=$(sha256sum "$vendor/$dst" | cut -d' ' -f1)
		echo "$dst $sum $pkg@$ver"
	done
} > "$versions.new"
mv "$versions.new" "$versions"
cat "$versions"
du -cb webui/assets | tail -1 | awk '{ if ($1 > 2*1024*1024) { print "fetch-assets: webui/assets is over 2 MB" > "/dev/stderr"; exit 1 } }'
