#!/usr/bin/env bash
# Installs what mmrace needs from Debian's packages (only what is missing)
# and builds it in ./build. Sourced by scripts/mmrace and scripts/test.
set -euo pipefail

packages=(g++ meson ninja-build pkg-config libboost-context-dev catch2
	  nlohmann-json3-dev libcli11-dev libfmt-dev)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "mmrace: installing ${missing[*]}" >&2
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || { echo "mmrace: need root (or sudo) to install: ${missing[*]}" >&2; exit 3; }
		sudo=sudo
	fi
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ ! -f "$root/build/build.ninja" ]; then
	meson setup "$root/build" "$root" >&2
fi
ninja -C "$root/build" >&2
