#!/usr/bin/env bash
# The README's run command: builds oomtrace, then runs the bundled reproducer under
# `oomtrace run --memory 64M` so that it is OOM-killed, and prints the report.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null
build_dir=${BUILD_DIR:-build}
work=$(mktemp -d)
trap 'rm -rf "$work" /dev/shm/oomtrace-demo.$$' EXIT
status=0
# The reproducer: 16 MiB of page cache, 16 MiB in /dev/shm, a pause for the timeline, then a leak.
"$build_dir/oomtrace" run --memory 64M --report-dir "$work/reports" -- \
  "$build_dir/tests/workload" "write:$work/cache:16" "shm:/dev/shm/oomtrace-demo.$$:16" sleep:2500 leak ||
  status=$?
echo "oomtrace run exited $status (137 = the reproducer was OOM-killed)"
compgen -G "$work/reports/*.txt" >/dev/null || { echo "demo: no report was written" >&2; exit 1; }
for report in "$work"/reports/*.txt; do
  echo "---- $report"
  cat "$report"
done
mkdir -p oomtrace-reports && cp "$work"/reports/* oomtrace-reports/
echo "reports copied to ./oomtrace-reports"
