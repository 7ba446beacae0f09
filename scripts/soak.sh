#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make soak: move SOAK_GB gigabytes each way over the NIC pair, MSG_ZEROCOPY
# send from this host and TCP_ZEROCOPY_RECEIVE on it, every transfer
# integrity-checked, then check that nothing leaked (scripts/guest/soak.sh
# says what is checked).  Not part of make check: it runs for hours under
# emulation.
#
#   SOAK_GB=N            gigabytes per direction (default 10; 1 = smoke run)
#   FLAVOUR=debug|normal kernel (default debug: KASAN, lockdep, kmemleak)
#   SOAK_PAGEALLOC=1     boot the debug kernel with debug_pagealloc=on
#   SOAK_TIMEOUT=SEC     VM time limit (default: from SOAK_GB and the flavour)
#   SOAK_XFER_MB=N       megabytes per transfer (default SOAK_GB*1024/16, 64..256)
#   SOAK_SKIP_BUILD=1    use build/bzImage-<flavour> as it is
#
# Prints a line per transfer and ends with one line
#   SOAK: tx=..GB rx=..GB transfers=N failed=0 corrupt=0 ... result=PASS|FAIL
# exit status 0 only on PASS with a clean kernel log.  Logs and the
# guest's summary in build/results/soak-<flavour>/.
. "$(dirname "$0")/lib.sh"

flavour=${FLAVOUR:-debug}
gb=${SOAK_GB:-10}
case "$flavour" in normal|debug) ;; *) die "FLAVOUR must be normal or debug" ;; esac
[[ "$gb" =~ ^[1-9][0-9]*$ ]] || die "SOAK_GB must be a whole number of gigabytes"

if [ "${SOAK_SKIP_BUILD:-0}" != 1 ]; then
	# normal: the headers tcp_mmap is built with
	"$TOP/scripts/build-kernel.sh" normal || die "building the normal kernel"
	[ "$flavour" = debug ] && { "$TOP/scripts/build-kernel.sh" debug || die "building the debug kernel"; }
fi
kernel=$BUILD/bzImage-$flavour
[ -f "$kernel" ] || die "no $kernel"

# The series' tcp_mmap, against the series' headers.
tools=$BUILD/soak
mkdir -p "$tools"
hdr=$(kout normal)/usr/include
kmake O="$(kout normal)" headers >"$LOGS/headers-soak.log" 2>&1 || die "make headers failed"
gcc -O2 -Wall -isystem "$hdr" -o "$tools/tcp_mmap" \
	"$TREE/tools/testing/selftests/net/tcp_mmap.c" -lpthread -lcrypto ||
	die "building tcp_mmap failed"

# Measured (SOAK_GB=1, 2026-11-23), wall time per GB and direction:
# about 275 s on the debug kernel, 57 s on the normal one (less with the
# larger transfers of bigger runs);
# debug_pagealloc=on is assumed 2 times slower.  The limit is twice the
# projection plus half an hour for boot and the kmemleak scans.
if [ -n "${SOAK_TIMEOUT:-}" ]; then
	timeout=$SOAK_TIMEOUT
else
	per_gb=240
	[ "$flavour" = normal ] && per_gb=60
	[ "${SOAK_PAGEALLOC:-0}" = 1 ] && per_gb=$((per_gb * 2))
	timeout=$((1800 + 2 * 2 * gb * per_gb))
fi
append=
[ "${SOAK_PAGEALLOC:-0}" = 1 ] && append=debug_pagealloc=on

res=$BUILD/results/soak-$flavour
rm -rf "$res"
mkdir -p "$res"
msg "soak: $gb GB each way on the $flavour kernel${append:+ ($append)}, VM limit ${timeout}s, logs in ${res#"$TOP"/}/"
vmargs=(--kernel "$kernel" --nic-pair --out "$res" --timeout "$timeout")
[ -n "$append" ] && vmargs+=(--append "$append")
start=$SECONDS
# shellcheck disable=SC2086 # SOAK_XFER_MB: one word or none
"$TOP/scripts/vm-run.sh" "${vmargs[@]}" \
	-- env TCP_MMAP="$tools/tcp_mmap" SOAK_GB="$gb" SOAK_OUT=/mnt/soak \
	${SOAK_XFER_MB:+SOAK_XFER_MB=$SOAK_XFER_MB} \
	bash "$TOP/scripts/guest/soak.sh" 2>&1 |
	tee "$res/vm.log" |
	grep --line-buffered -E '^soak: |vm-run:|KERNEL SPLAT'
rc=${PIPESTATUS[0]}
[ "$rc" = 125 ] && sed -n '/==== KERNEL SPLAT/,/==== vm-run: FAIL/p' "$res/vm.log"
line=$(cat "$res/soak/summary.txt" 2>/dev/null)
[ -n "$line" ] || line="SOAK: no summary from the guest result=FAIL"
if [ "$rc" != 0 ] && [ "${line##*result=}" = PASS ]; then
	line="${line% result=PASS} result=FAIL"
fi
[ "$rc" = 0 ] || line+=" (vm-run exit $rc: $(case $rc in 124) echo timeout ;; 125) echo kernel splat ;; *) echo see vm.log ;; esac))"
echo "$line (${flavour} kernel, $((SECONDS - start))s)"
[ "$rc" = 0 ]
