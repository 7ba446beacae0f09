#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check's benchmark smoke test: make bench SMOKE=1 on the normal
# (series) kernel already built, one tiny run of every receive and send
# variant.  Asserts only that every run worked and that the report (table,
# plot) was produced; no timing or cost is checked.  Writes
# build/results/bench/lint.tap (plain TAP, the file name summarize.py reads).
. "$(dirname "$0")/lib.sh"

res=$BUILD/results/bench
out=$BUILD/bench/smoke
rm -rf "$res" "$out"
mkdir -p "$res"
log=$res/bench-smoke.log
ok=1
BENCH_SKIP_BUILD=1 SMOKE=1 BENCH_OUT=$out "$TOP/scripts/bench.sh" >"$log" 2>&1 || ok=0
if [ $ok = 1 ]; then
	want=$(grep -m1 -o ' [0-9]* runs' "$log" | tr -dc 0-9)
	got=$(wc -l <"$out/raw-series.txt" 2>/dev/null || echo 0)
	[ -n "$want" ] && [ "$got" = "$want" ] || { echo "bench-smoke: $got result lines, expected ${want:-?}" >>"$log"; ok=0; }
	grep -q '^## Receive' "$out/results.md" 2>/dev/null && grep -q '^| bulk ' "$out/results.md" &&
		grep -q '^| stream ' "$out/results.md" ||
		{ echo "bench-smoke: results.md lacks the receive/send tables" >>"$log"; ok=0; }
	[ -s "$out/cost.png" ] || { echo "bench-smoke: no cost.png" >>"$log"; ok=0; }
	# Exact counts: every run's two marks were read from the plugin.
	marks=$(grep -c '^mark [0-9]* vcpu=[0-9] ' "$out/marks-series.txt" 2>/dev/null || echo 0)
	[ "$marks" = $((2 * got)) ] ||
		{ echo "bench-smoke: $marks marks for $got runs, expected $((2 * got))" >>"$log"; ok=0; }
	grep -q 'between the two marks of a run, exact' "$out/results.md" 2>/dev/null ||
		{ echo "bench-smoke: results.md does not say its costs are exact" >>"$log"; ok=0; }
	# ... and a run without its marks fails the report.
	head -n $((2 * got - 1)) "$out/marks-series.txt" >"$res/marks-short.txt"
	if python3 "$TOP/scripts/bench-report.py" "$res/nomarks" \
		"series=$out/raw-series.txt,$res/marks-short.txt" >>"$log" 2>&1; then
		echo "bench-smoke: bench-report.py accepted a run without its end mark" >>"$log"; ok=0
	fi
fi
{
	echo "TAP version 13"
	echo "1..1"
	sed 's/^/# /' "$log"
	if [ $ok = 1 ]; then echo "ok 1 bench-smoke"; else echo "not ok 1 bench-smoke"; fi
} >"$res/lint.tap"
grep -E '^==> bench|FAIL|bench-smoke:' "$log" | sed 's/^/    /'
[ $ok = 1 ]
