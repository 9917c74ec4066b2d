#!/usr/bin/env bash
# Regenerates vmlinux/<arch>/vmlinux.h from the running kernel's BTF. CO-RE relocates every
# access at load time, so one header serves all kernels; regenerate it only to reach types
# or fields that a newer kernel added.
set -euo pipefail
cd "$(dirname "$0")/.."
case "$(uname -m)" in
  x86_64) arch=x86 ;;
  aarch64) arch=arm64 ;;
  *) echo "gen-vmlinux: unsupported arch $(uname -m)" >&2; exit 1 ;;
esac
btf=${1:-/sys/kernel/btf/vmlinux}
mkdir -p "vmlinux/$arch"
bpftool btf dump file "$btf" format c > "vmlinux/$arch/vmlinux.h.new"
mv "vmlinux/$arch/vmlinux.h.new" "vmlinux/$arch/vmlinux.h"
echo "gen-vmlinux: vmlinux/$arch/vmlinux.h from $btf ($(uname -r))"
