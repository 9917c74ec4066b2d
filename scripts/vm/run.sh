#!/usr/bin/env bash
# Boots one Debian kernel under QEMU (software emulation) with a busybox initramfs that carries
# oomtrace and its root test binaries, runs the same root scenarios as the host, and reports
# pass/fail per scenario. Exit status 0 only when every scenario passed.
#   scripts/vm/run.sh 6.1|6.12 [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
series=$1
build=$(cd "${2:-$here/../../build}" && pwd)
vmlinuz=$("$here/fetch-kernel.sh" "$series")
modules=$(dirname "$(dirname "$vmlinuz")")/lib/modules
work=$(mktemp -d /tmp/oomtrace-vm-XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,scratch,run,etc,lib/modules} "$root/$build/tests"

# busybox for the shell and the tools the scenarios use.
cp /bin/busybox "$root/bin/busybox"
for applet in sh mount umount mkdir cat echo sleep poweroff insmod grep ls rm true false dd \
              kill sync uname head tail tr cut env; do
  ln -sf busybox "$root/bin/$applet"
done

# A program and the shared libraries it loads, at the same paths as on the host.
copy_with_libs() {
  local program=$1
  mkdir -p "$root$(dirname "$program")"
  cp "$program" "$root$program"
  for lib in $(ldd "$program" | grep -oE '/[^ ]+'); do
    [[ -e "$root$lib" ]] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}
for program in "$build/oomtrace" "$build/tests/workload" "$build/tests/bpf_tests" \
               "$build/tests/e2e_tests" /sbin/mke2fs; do
  copy_with_libs "$program"
done
[[ -x /usr/sbin/oomkill ]] && copy_with_libs /usr/sbin/oomkill

# A RAM disk with ext4 as TMPDIR, so that the tests' files have real page cache (the initramfs
# is tmpfs: files there would be shmem).
brd=$(find "$modules" -name 'brd.ko*' | head -1)
case "$brd" in
  *.xz) xz -dc "$brd" > "$root/lib/modules/brd.ko" ;;
  *) cp "$brd" "$root/lib/modules/brd.ko" ;;
esac

scenarios=${OOMTRACE_VM_SCENARIOS:-doctor bpf e2e}
cat > "$root/init" <<INIT
#!/bin/sh
echo "OOMTRACE-VM-BOOTED"
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/shm && mount -t tmpfs -o size=512m tmpfs /dev/shm
insmod /lib/modules/brd.ko rd_nr=1 rd_size=393216 || echo "OOMTRACE-VM-SETUP insmod brd failed"
/sbin/mke2fs -q -t ext4 /dev/ram0 || echo "OOMTRACE-VM-SETUP mke2fs failed"
mount -t ext4 /dev/ram0 /scratch || echo "OOMTRACE-VM-SETUP mount /scratch failed"
grep ' /scratch ' /proc/mounts
mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
export HOME=/scratch TMPDIR=/scratch PATH=/bin:/sbin:/usr/bin:/usr/sbin
cd /scratch
echo "OOMTRACE-VM-KERNEL \$(uname -r)"
for scenario in $scenarios; do
  echo "OOMTRACE-VM-BEGIN \$scenario"
  case \$scenario in
    doctor) $build/oomtrace doctor ;;
    doctor-verbose) $build/oomtrace -vv doctor 2>&1 ;;
    bpf) $build/tests/bpf_tests ;;
    e2e) $build/tests/e2e_tests ;;
    *) $build/tests/e2e_tests --gtest_filter="\$scenario" ;;
  esac
  echo "OOMTRACE-VM-RESULT \$scenario \$?"
done
sync
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initrd.gz"

log=$work/console.log
echo "vm: booting $(basename "$vmlinuz") under qemu -accel tcg"
timeout 1200 qemu-system-x86_64 -accel tcg -cpu max -m 2048 -smp 2 -nographic -no-reboot \
  -kernel "$vmlinuz" -initrd "$work/initrd.gz" \
  -append "console=ttyS0 panic=-1 quiet oops=panic" > "$log" 2>&1 || true
tr -d '\r' < "$log" | sed -n '/OOMTRACE-VM-BOOTED/,$p'
[[ -n "${OOMTRACE_VM_LOG:-}" ]] && cp "$log" "$OOMTRACE_VM_LOG"

failed=0 passed=0
for scenario in $scenarios; do
  rc=$(tr -d '\r' < "$log" | sed -n "s/^OOMTRACE-VM-RESULT $scenario \([0-9]*\)$/\1/p" | tail -1)
  if [[ "$rc" == 0 ]]; then
    passed=$((passed + 1)); echo "vm $series: $scenario passed"
  else
    failed=$((failed + 1)); echo "vm $series: $scenario FAILED (${rc:-no result: the guest did not finish})"
  fi
done
echo "vm $series: $passed passed, $failed failed"
((failed == 0))
