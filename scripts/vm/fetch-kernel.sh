#!/usr/bin/env bash
# Fetches the newest Debian cloud kernel of a series with apt-get download, unpacks it into the
# cache, and prints the path of its vmlinuz. The download is kept: a second call is offline.
#   scripts/vm/fetch-kernel.sh 6.1|6.12 [CACHE_DIR]
set -euo pipefail
series=$1
cache=${2:-${OOMTRACE_VM_CACHE:-/var/cache/oomtrace-vm}}
mkdir -p "$cache"
case "$series" in
  6.1) pattern='^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' ;;
  6.12) pattern='^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$' ;;
  *) echo "fetch-kernel: unknown series $series (6.1 or 6.12)" >&2; exit 2 ;;
esac
package=$(apt-cache search --names-only 'linux-image-.*-cloud-amd64-unsigned' | awk '{print $1}' |
          grep -E "$pattern" | sort -V | tail -1 || true)
if [[ -z "$package" ]]; then
  apt-get update -qq
  package=$(apt-cache search --names-only 'linux-image-.*-cloud-amd64-unsigned' | awk '{print $1}' |
            grep -E "$pattern" | sort -V | tail -1)
fi
dir="$cache/$package"
if [[ ! -d "$dir/boot" ]]; then
  (cd "$cache" && apt-get download -qq "$package" >/dev/null)
  mkdir -p "$dir"
  dpkg-deb -x "$cache/${package}"_*.deb "$dir"
fi
ls "$dir"/boot/vmlinuz-*
