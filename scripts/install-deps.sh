#!/usr/bin/env bash
# Installs what oomtrace needs from Debian's packages. Idempotent: installs only what is
# missing, and runs apt-get update only then.
#   scripts/install-deps.sh          build and test dependencies
#   scripts/install-deps.sh --all    also the QEMU kernel matrix and the benchmark tools
set -euo pipefail

build=(clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libcli11-dev libspdlog-dev libfmt-dev
       nlohmann-json3-dev cmake make g++ pkg-config)
test=(libgtest-dev libgmock-dev util-linux python3)
extra=(qemu-system-x86 busybox-static cpio libbpf-tools bpftrace fio)

wanted=("${build[@]}" "${test[@]}")
[[ "${1:-}" == "--all" ]] && wanted+=("${extra[@]}")

missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#wanted[@]} packages present"
  exit 0
fi
if [[ $(id -u) != 0 ]]; then
  echo "install-deps: missing ${missing[*]}: run as root (sudo $0 $*)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
