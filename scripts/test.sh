#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make test: run the series' kselftests and KUnit suites in the VM.
#   test.sh [normal|debug ...]     (default: normal)
# Results in build/results/<flavour>/; summary last line "N passed, N failed".
. "$(dirname "$0")/lib.sh"

[ $# -gt 0 ] || set -- normal
"$TOP/scripts/ksft-build.sh" || exit 1
args=()
for flavour in "$@"; do
	res=$BUILD/results/$flavour
	rm -rf "$res"
	mkdir -p "$res"
	t=1200
	[ "$flavour" = debug ] && t=2400
	msg "running tests on the $flavour kernel (NIC pair + KUnit), console: build/results/$flavour/console.log"
	"$TOP/scripts/vm-run.sh" --kernel "$BUILD/bzImage-$flavour" --nic-pair --out "$res" \
		--timeout $t --append "kunit.enable=1" \
		-- bash "$TOP/scripts/guest/run-tests.sh" "$BUILD/kselftest" 2>&1 |
		tee "$res/vm.log" |
		grep --line-buffered -E '^(not )?ok [0-9]+ |^# selftests: |vm-run:|KERNEL SPLAT'
	rc=${PIPESTATUS[0]}
	echo $rc >"$res/vm-status"
	args+=("$flavour:$res")
done
echo
python3 "$TOP/scripts/summarize.py" "${args[@]}" | tee "$BUILD/results/summary.txt"
exit "${PIPESTATUS[0]}"
