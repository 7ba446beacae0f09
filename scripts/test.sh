#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make test: run the series' kselftests and KUnit suites in the VM.
#   test.sh [normal|debug ...]     (default: normal)
# Results in build/results/<flavour>/; summary last line "N passed, N failed".
. "$(dirname "$0")/lib.sh"

[ $# -gt 0 ] || set -- normal
# Stale results must never be read as this run's.
for flavour in "$@"; do
	rm -rf "$BUILD/results/$flavour"
	mkdir -p "$BUILD/results/$flavour"
	echo 1 >"$BUILD/results/$flavour/vm-status"
done
rm -rf "$BUILD/results/kselftest"
if ! "$TOP/scripts/ksft-build.sh"; then
	echo "FAIL  building the kselftests (build/logs/ksft-*.log)"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
args=()
# Tests the build left out (net/packetdrill without packetdrill) have one
# result for all kernels: build/results/kselftest/lint.tap, the plain TAP
# file name summarize.py reads.
if [ -s "$BUILD/kselftest/not-run.tap" ]; then
	mkdir -p "$BUILD/results/kselftest"
	cp "$BUILD/kselftest/not-run.tap" "$BUILD/results/kselftest/lint.tap"
	args+=("kselftest:$BUILD/results/kselftest")
fi
for flavour in "$@"; do
	res=$BUILD/results/$flavour
	cp "$BUILD/kselftest/kselftest-list.txt" "$res/"
	t=1500 extra= ksft_t=600
	# debug: turn DEBUG_PAGEALLOC on (built in, off by default); the
	# debug kernel under emulation is ~5x slower, so are its tests (the
	# netem test took over 1200 s there on 2026-12-01 with other VMs
	# running on the machine)
	[ "$flavour" = debug ] && t=4800 extra="debug_pagealloc=on" ksft_t=1800
	msg "running tests on the $flavour kernel (NIC pair + KUnit), console: build/results/$flavour/console.log"
	"$TOP/scripts/vm-run.sh" --kernel "$BUILD/bzImage-$flavour" --nic-pair --out "$res" \
		--timeout $t --append "kunit.enable=1 $extra" \
		-- env KSFT_TIMEOUT=$ksft_t bash "$TOP/scripts/guest/run-tests.sh" "$BUILD/kselftest" 2>&1 |
		tee "$res/vm.log" |
		grep --line-buffered -E '^(not )?ok [0-9]+ |^# selftests: |vm-run:|KERNEL SPLAT'
	rc=${PIPESTATUS[0]}
	echo $rc >"$res/vm-status"
	args+=("$flavour:$res")
done
echo
python3 "$TOP/scripts/summarize.py" "${args[@]}" | tee "$BUILD/results/summary.txt"
exit "${PIPESTATUS[0]}"
