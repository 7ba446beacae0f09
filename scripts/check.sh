#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: everything, as CI runs it (.ci/run).
#   deps -> tree -> lint (checkpatch, per-patch builds, W=1/sparse,
#   kernel-doc) -> normal + debug kernels -> kselftests and KUnit on both
#   -> one summary, last line "N passed, N failed, N skipped".
. "$(dirname "$0")/lib.sh"

start=$SECONDS
rm -rf "$BUILD/results"
mkdir -p "$BUILD/results"
# A step that stops the run still ends with the summary line.
fatal() {
	echo "FAIL  $*"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
}
step() { msg "[$(( (SECONDS - start) / 60 ))m$(( (SECONDS - start) % 60 ))s] $*"; }

step "dependencies"
"$TOP/scripts/deps.sh" || fatal "installing dependencies"
step "kernel tree"
"$TOP/scripts/tree.sh" || fatal "make tree: the series does not apply"
step "lint"
"$TOP/scripts/lint.sh" || true          # failures are counted in the summary
step "normal kernel"
"$TOP/scripts/build-kernel.sh" normal || fatal "building the normal kernel (build/logs/kernel-normal.log)"
step "debug kernel (PROVE_LOCKING, KASAN, DEBUG_VM, KMEMLEAK, DEBUG_PAGEALLOC)"
"$TOP/scripts/build-kernel.sh" debug || fatal "building the debug kernel (build/logs/kernel-debug.log)"
step "tests"
"$TOP/scripts/test.sh" normal debug || true
step "bench smoke (make bench SMOKE=1 on the normal kernel; no timing checked)"
"$TOP/scripts/bench-smoke.sh" || true   # counted in the summary
step "summary"
# kselftest: tests the kselftest build left out (scripts/test.sh)
ksft=()
[ -d "$BUILD/results/kselftest" ] && ksft=("kselftest:$BUILD/results/kselftest")
python3 "$TOP/scripts/summarize.py" "lint:$BUILD/results/lint" "${ksft[@]}" \
	"normal:$BUILD/results/normal" "debug:$BUILD/results/debug" \
	"bench:$BUILD/results/bench" |
	tee "$BUILD/results/check-summary.txt" | sed 's/^/  /'
rc=${PIPESTATUS[0]}
step "done"
tail -1 "$BUILD/results/check-summary.txt"
exit $rc
