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
"$build_dir/oomtrace" run --memory 64M --report-dir "$work/reports" -- \
  "$build_dir/tests/oom_repro" --cache-file "$work/cache" --shm-file /dev/shm/oomtrace-demo.$$ || status=$?
echo "oomtrace run exited $status (137 = the reproducer was OOM-killed)"
for report in "$work"/reports/*.txt; do
  echo "---- $report"
  cat "$report"
done
mkdir -p oomtrace-reports && cp "$work"/reports/* oomtrace-reports/
echo "reports copied to ./oomtrace-reports"
