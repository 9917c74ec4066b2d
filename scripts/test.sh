#!/usr/bin/env bash
# The README's test command: installs the dependencies, builds, and runs every test tier.
#   unit  no root: parsing, models, renderers, feature decisions, cgroup fixtures
#   bpf   root: loads every BPF program into the running kernel and checks what it counts
#   e2e   root: real OOM kills in cgroups created below this process's own
#   bench root: a smoke run of the overhead benchmark (bench/run.py), which must emit its table
#   vm    root: the bpf and e2e tiers in QEMU guests on Debian's 6.1 and 6.12 kernels
# TIERS="unit bpf" limits the run; CI=true turns a root test's skip into a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
tiers=${TIERS:-unit bpf e2e bench vm}
if [[ " $tiers " == *" vm "* || " $tiers " == *" bench "* ]]; then scripts/install-deps.sh --all; else scripts/install-deps.sh; fi
scripts/build.sh
build_dir=${BUILD_DIR:-build}
# One ctest run, so its closing line counts every tier.
labels=$(echo "$tiers" | tr ' ' '|')
# --verbose: the log shows every test that ran, and what each QEMU guest printed (its doctor
# output with the tier, and the gtest results per scenario).
ctest --test-dir "$build_dir" -L "^(${labels})\$" --no-tests=error --verbose --timeout 1500
