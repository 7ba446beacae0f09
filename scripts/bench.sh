#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: CPU cost per MB of TCP receive and send, stock kernel against
# the series, zero-copy against copy against a copy-free floor (issue 5).
#
#   make bench [QUICK=1 | SMOKE=1]
#
# 1. Builds the stock kernel from the base commit (tag 'base' of
#    build/linux, checked out as the worktree build/stock) with the same
#    configuration as the series (scripts/build-kernel.sh: allnoconfig +
#    configs/zc.config, every symbol verified) into build/out/stock ->
#    build/bzImage-stock, and the series kernel (make tree, then
#    scripts/build-kernel.sh normal -> build/bzImage-normal).
# 2. Builds bench/zc_bench.c, bench/zc_mark.c and the TCG plugin
#    bench/icount_pcpu.c, and boots each kernel in turn on the NIC pair
#    under -icount shift=0,sleep=off with the plugin (vm-run.sh --nic-pair
#    --icount --plugin), one VM at a time, running scripts/guest/bench.sh:
#    the same workloads, sizes and order on both kernels.  The plugin
#    writes the exact instruction count of each vCPU at every mark the
#    guest makes (two per run).  Progress: one line per run.
# 3. scripts/bench-report.py writes results.md (kernel versions, commands,
#    tables with series/stock and (zc - floor)/(copy - floor), raw runs)
#    and cost.png into the results directory, with the raw lines and the
#    marks.  Every cost figure is exact instructions of the measured vCPU
#    between the two marks of a run; a run without its marks fails.
#
# Modes:  full (default)  all sizes, 3 runs each       -> bench/results/
#         QUICK=1         2 RPC and 1 send size         -> bench/results/quick/
#         SMOKE=1         one tiny run of each variant, series kernel only,
#                         no timing asserted            -> build/bench/smoke/
#         PROFILE=ROW     one row (e.g. rx-bulk-zc, rx-rpc-4K-zc-copybuf,
#                         tx-stream-64K-zc) on both kernels with the
#                         plugin's per-block profile: top kernel functions
#                         and the calls per MB of TLB flushes, zaps, page
#                         table locks, vm_insert_pages, VMA locks
#                         (scripts/bench-profile.py) -> bench/results/profile-ROW.md;
#                         a row of a series-only variant (tx-stream-SIZE-zcring)
#                         on the series kernel only
# The tx variant zcring (SO_ZEROCOPY_RING) exists on the series only: the
# guest is told which kernel it runs (KERNEL=stock|series) and skips it on
# stock, whose column of the report then shows '–'.
# Environment:
#   BENCH_SKIP_BUILD=1    use the existing images, build no kernel
#   BENCH_SKIP_BUILD=series  build the stock kernel only (leaves build/linux
#                         alone), use the existing series image
#   BENCH_STOCK_KERNEL, BENCH_SERIES_KERNEL   images (default
#                         build/bzImage-stock, build/bzImage-normal)
#   BENCH_OUT             results directory (overrides the default above)
#   RUNS                  runs per workload, variant and size (default 3)
. "$(dirname "$0")/lib.sh"

start=$SECONDS
mode=full
[ "${QUICK:-0}" = 1 ] && mode=quick
[ "${SMOKE:-0}" = 1 ] && mode=smoke
[ -n "${PROFILE:-}" ] && mode=profile
case $mode in
full)  out=${BENCH_OUT:-$TOP/bench/results} vm_timeout=2400 ;;
quick) out=${BENCH_OUT:-$TOP/bench/results/quick} vm_timeout=900 ;;
smoke) out=${BENCH_OUT:-$BUILD/bench/smoke} vm_timeout=400 ;;
profile) out=${BENCH_OUT:-$TOP/bench/results} vm_timeout=600
	[[ $PROFILE =~ ^(rx-bulk-[a-z-]+|rx-rpc-[0-9]+[KM]?(\+[0-9]+)?-[a-z-]+|tx-stream-[0-9]+[KM]?-[a-z]+)$ ]] ||
		die "PROFILE=$PROFILE: expected rx-bulk-VARIANT, rx-rpc-SIZE-VARIANT or tx-stream-SIZE-VARIANT (e.g. rx-bulk-zc, rx-rpc-16K+64-zc-copybuf, tx-stream-64K-zc)" ;;
esac
# A profile of a variant that only the series has: no stock kernel at all.
series_only=0
[ $mode = profile ] && [[ $PROFILE == tx-stream-*-zcring ]] && series_only=1
stock_img=${BENCH_STOCK_KERNEL:-$BUILD/bzImage-stock}
series_img=${BENCH_SERIES_KERNEL:-$BUILD/bzImage-normal}
STOCK_TREE=$BUILD/stock
work=$BUILD/bench/$mode
elapsed() { printf '%dm%02ds' $(( (SECONDS - start) / 60 )) $(( (SECONDS - start) % 60 )); }
step() { msg "bench [$(elapsed)] $*"; }

# The stock tree: a worktree of build/linux at tag 'base', never edited.
stock_tree() {
	[ -d "$TREE/.git" ] || die "no kernel tree: run 'make tree' first"
	git -C "$TREE" rev-parse -q --verify 'base^{commit}' >/dev/null ||
		die "build/linux has no tag 'base'"
	if [ ! -e "$STOCK_TREE/.git" ]; then
		step "checking out the base into build/stock (git worktree)"
		git -C "$TREE" worktree prune
		git -C "$TREE" worktree add -q --detach "$STOCK_TREE" base ||
			die "git worktree add build/stock base failed"
	fi
	[ "$(git -C "$STOCK_TREE" rev-parse HEAD)" = "$(git -C "$TREE" rev-parse 'base^{commit}')" ] ||
		git -C "$STOCK_TREE" checkout -q --detach base ||
		die "build/stock: cannot check out base"
	[ -z "$(git -C "$STOCK_TREE" status --porcelain --untracked-files=no)" ] ||
		die "build/stock has local changes: remove it (git -C build/linux worktree remove --force build/stock)"
}

skip=${BENCH_SKIP_BUILD:-0}
if [ "$skip" = 1 ]; then
	step "BENCH_SKIP_BUILD=1: using the existing kernel images"
else
	if [ $mode != smoke ] && [ $series_only = 0 ]; then
		stock_tree
		step "stock kernel (base, configs/zc.config) -> build/out/stock, build/bzImage-stock"
		KTREE=$STOCK_TREE "$TOP/scripts/build-kernel.sh" stock ||
			die "building the stock kernel failed (build/logs/kernel-stock.log)"
	msg "(that is build/stock at $(git -C "$STOCK_TREE" describe --tags --always HEAD), not build/linux)"
		stock_img=$BUILD/bzImage-stock
	fi
	if [ "$skip" = series ]; then
		step "BENCH_SKIP_BUILD=series: using the existing series image"
	else
		step "series kernel (make tree, make kernel)"
		"$TOP/scripts/tree.sh" || die "make tree failed"
		"$TOP/scripts/build-kernel.sh" normal || die "building the series kernel failed"
		series_img=$BUILD/bzImage-normal
	fi
fi

kernels=(stock series)
[ $mode = smoke ] && kernels=(series)
[ $series_only = 1 ] && kernels=(series) &&
	step "PROFILE=$PROFILE: zcring needs SO_ZEROCOPY_RING, series kernel only"
declare -A img=([stock]=$stock_img [series]=$series_img)
for k in "${kernels[@]}"; do
	[ -f "${img[$k]}" ] || die "no $k kernel image at ${img[$k]}"
done

step "building zc_bench, zc_mark and the icount_pcpu plugin"
mkdir -p "$work"
gcc -O2 -Wall -Wextra -Wno-sign-compare -o "$work/zc_bench" "$TOP/bench/zc_bench.c" -lpthread ||
	die "building bench/zc_bench.c failed"
gcc -O2 -Wall -static -o "$work/zc_mark" "$TOP/bench/zc_mark.c" ||
	die "building bench/zc_mark.c failed"
gcc -O2 -Wall -shared -fPIC -o "$work/icount_pcpu.so" "$TOP/bench/icount_pcpu.c" ||
	die "building bench/icount_pcpu.c failed"

# The System.map of each image, for the profile (next to its objects).
# BENCH_STOCK_MAP, BENCH_SERIES_MAP name others (with BENCH_*_KERNEL).
# build-kernel.sh keeps each image's map beside it (build/System.map-*).
declare -A smap=([stock]=${BENCH_STOCK_MAP:-$BUILD/System.map-stock}
		 [series]=${BENCH_SERIES_MAP:-$BUILD/System.map-normal})
if [ $mode = profile ]; then
	for k in "${kernels[@]}"; do
		[ -f "${smap[$k]}" ] || die "no System.map for the $k kernel at ${smap[$k]}"
	done
fi

# kver IMAGE: the version string the kernel image carries
kver() { file -b "$1" | sed -n 's/.*version \([^,]*\),.*/\1/p'; }

rc=0
report=()
meta=()
for k in "${kernels[@]}"; do
	vmout=$work/vm-$k
	rm -rf "$vmout"
	mkdir -p "$vmout"
	raw=$vmout/raw.txt
	plugin="$work/icount_pcpu.so,out=$vmout/marks.txt"
	[ $mode = profile ] && plugin+=",profile=$vmout/tb.txt"
	cmd=("$TOP/scripts/vm-run.sh" --kernel "${img[$k]}" --nic-pair --icount --timeout $vm_timeout
	     --plugin "$plugin" --out "$vmout" --
	     env BENCH="$work/zc_bench" MARK="$work/zc_mark" MODE=$mode KERNEL=$k ${RUNS:+RUNS=$RUNS}
	     ${PROFILE:+ROW=$PROFILE} bash "$TOP/scripts/guest/bench.sh" /mnt/raw.txt)
	step "$k kernel: ${img[$k]#$TOP/} ($(kver "${img[$k]}")), NIC pair, icount; console: ${vmout#$TOP/}/console.log"
	"${cmd[@]}" 2>&1 | tee "$vmout/vm.log" |
		grep --line-buffered -E '^bench:|vm-run:|KERNEL SPLAT' |
		sed -u -e 's/^\(.\{160\}\).*/\1/' -e "s/^bench: /    $k: /"
	vrc=${PIPESTATUS[0]}
	if [ "$vrc" != 0 ]; then
		warn "$k kernel: the benchmark VM exited with status $vrc (see ${vmout#$TOP/}/vm.log)"
		rc=1
	fi
	[ -s "$raw" ] || { warn "$k kernel: no results"; rc=1; continue; }
	[ -s "$vmout/marks.txt" ] || { warn "$k kernel: the plugin wrote no marks ($vmout/marks.txt)"; rc=1; continue; }
	report+=("$k=$raw")
	meta+=(--meta "$k kernel=$(grep -m1 '^bench: kernel' "$vmout/vm.log" | grep -o 'kernel [^,]*' | sed 's/^kernel //')" \
	       --meta "$k image=${img[$k]#$TOP/} (sha256 $(sha256sum "${img[$k]}" | cut -c1-16)…)")
	meta+=(--meta "$k command=$(printf '%q ' "${cmd[@]}" | sed "s|$TOP/||g")")
done
[ ${#report[@]} -gt 0 ] || die "no results at all"

step "report -> ${out#$TOP/}"
mkdir -p "$out"
cd "$TOP" || exit 1
if [ $mode = profile ]; then
	prof=()
	for r in "${report[@]}"; do
		k=${r%%=*}
		prof+=("$k=$work/vm-$k/tb.txt,$work/vm-$k/marks.txt,$work/vm-$k/raw.txt,${smap[$k]}")
	done
	python3 "$TOP/scripts/bench-profile.py" "$out/profile-$PROFILE.md" "$PROFILE" "${prof[@]}" \
		--meta "make=make bench PROFILE=$PROFILE" \
		--meta "commit=$(git -C "$TOP" describe --always --dirty 2>/dev/null)" \
		--meta "VM=QEMU TCG, -smp 2, -icount shift=0,sleep=off, NIC pair, measured side on CPU 1" \
		"${meta[@]}" || die "bench-profile.py failed"
	step "done: ${out#$TOP/}/profile-$PROFILE.md"
	exit $rc
fi
for r in "${report[@]}"; do
	cp "${r#*=}" "$out/raw-${r%%=*}.txt"
	cp "$work/vm-${r%%=*}/marks.txt" "$out/marks-${r%%=*}.txt"
done
same=
[ ${#kernels[@]} = 2 ] && cmp -s "${img[stock]}" "${img[series]}" &&
	same="yes: the stock image was benchmarked in both roles"
python3 "$TOP/scripts/bench-report.py" "$out" \
	$(for r in "${report[@]}"; do echo "${r%%=*}=${out#$TOP/}/raw-${r%%=*}.txt,${out#$TOP/}/marks-${r%%=*}.txt"; done) \
	--meta "make=make bench$([ $mode = quick ] && echo ' QUICK=1')$([ $mode = smoke ] && echo ' SMOKE=1')$([ "$skip" != 0 ] && echo " BENCH_SKIP_BUILD=$skip")" \
	--meta "commit=$(git -C "$TOP" describe --always --dirty 2>/dev/null), series $(git -C "$TREE" describe --always --tags 2>/dev/null)" \
	--meta "mode=$mode, $(nproc) host cores, $(qemu-system-x86_64 --version | head -1)" \
	--meta "VM=QEMU TCG, -smp 2, -icount shift=0,sleep=off, plugin bench/icount_pcpu.c (exact instructions per vCPU), NIC pair (2x e1000e on one hub, MTU 4168, TSO off), measured side on CPU 1 with its NIC's IRQs, peer on CPU 0" \
	${same:+--meta "same image for both=$same"} \
	"${meta[@]}" || die "bench-report.py failed"
step "done: ${out#$TOP/}/results.md, ${out#$TOP/}/cost.png"
exit $rc
