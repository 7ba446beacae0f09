#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a kernel under QEMU/TCG with the host's root filesystem read-only
# over 9p, run one command in it, and propagate its exit status.
#
#   vm-run.sh [options] -- command [args...]
#     --kernel FILE    bzImage (default build/bzImage-normal)
#     --out DIR        writable results directory, /mnt in the guest
#                      (default: a new directory under build/vm/)
#     --timeout SEC    hard limit for the whole boot (default 900)
#     --icount         -icount shift=0,sleep=off (deterministic cost)
#     --plugin SPEC    load a TCG plugin: -plugin SPEC (e.g. the exact
#                      per-vCPU instruction counter, bench/icount_pcpu.c:
#                      FILE.so,out=MARKS[,profile=TBS]); repeatable
#     --nic-pair       add two e1000e NICs on one QEMU hub
#     --mem SIZE       guest memory (default 2G)
#     --append ARGS    extra kernel command line
#     --quiet          don't echo the console while running
#
# The command runs as root in the guest, in the directory vm-run.sh was
# started from.  Exit status: the command's, or 124 on timeout, or 125 if
# the kernel reported an oops, BUG, WARN, lockdep, KASAN or kmemleak
# splat (the splat is printed).
. "$(dirname "$0")/lib.sh"

kernel=$BUILD/bzImage-normal
out= timeout=900 icount=0 nicpair=0 mem=2G append= quiet=0
plugins=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift ;;
	--out) out=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--icount) icount=1 ;;
	--plugin) plugins+=(-plugin "$2"); shift ;;
	--nic-pair) nicpair=1 ;;
	--mem) mem=$2; shift ;;
	--append) append="$append $2"; shift ;;
	--quiet) quiet=1 ;;
	--) shift; break ;;
	*) die "vm-run: unknown option $1" ;;
	esac
	shift
done
[ $# -gt 0 ] || die "vm-run: no command given"
[ -f "$kernel" ] || die "vm-run: no kernel at $kernel (make kernel)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (make deps)"

if [ -z "$out" ]; then
	mkdir -p "$BUILD/vm"
	out=$(mktemp -d "$BUILD/vm/run.XXXXXX")
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/status" "$out/console.log" "$out/dmesg.txt" "$out/kmemleak.txt"

# The command, as a script the guest init runs.
{
	echo "cd $(printf %q "$PWD") || exit 1"
	printf '%q ' "$@"
	echo
} >"$out/cmd.sh"

# Under TCG a vCPU thread can be descheduled for seconds (more so with
# KASAN): RCU's default 21 s stall warning then reports emulation, not a
# kernel bug.  300 s, the maximum, still catches a real stall.
qemu=(qemu-system-x86_64 -accel tcg -cpu max -m "$mem" -smp 2
	-nographic -no-reboot -monitor none -serial stdio
	-kernel "$kernel"
	-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root
	-fsdev "local,id=out,path=$out,security_model=none"
	-device virtio-9p-pci,fsdev=out,mount_tag=out
	-fsdev "local,id=top,path=$TOP,security_model=none,readonly=on"
	-device virtio-9p-pci,fsdev=top,mount_tag=top
	-append "console=ttyS0 loglevel=5 panic=-1 rcupdate.rcu_cpu_stall_timeout=300 log_buf_len=16M root=/dev/root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=512000 ro init=$TOP/scripts/guest/init zc_top=$TOP $append")
[ $icount = 1 ] && qemu+=(-icount shift=0,sleep=off)
qemu+=("${plugins[@]}")
if [ $nicpair = 1 ]; then
	qemu+=(-netdev hubport,id=h0,hubid=0 -device e1000e,netdev=h0,mac=52:54:00:00:00:01,romfile=
	       -netdev hubport,id=h1,hubid=0 -device e1000e,netdev=h1,mac=52:54:00:00:00:02,romfile=)
else
	qemu+=(-nic none)
fi

rc=0
if [ $quiet = 1 ]; then
	timeout --foreground -k 10 "$timeout" "${qemu[@]}" </dev/null >"$out/console.log" 2>&1 || rc=$?
else
	timeout --foreground -k 10 "$timeout" "${qemu[@]}" </dev/null 2>&1 | tee "$out/console.log" || rc=$?
fi
# Strip the terminal control characters QEMU/serial may emit.
sed -i 's/\r$//' "$out/console.log"

status=
[ -f "$out/status" ] && status=$(cat "$out/status")

# Any kernel splat fails the run.
splat_re='WARNING: |BUG: |BUG kmalloc|Oops|kernel BUG at|Kernel panic|general protection fault|'
splat_re+='possible circular locking|possible recursive locking|inconsistent lock state|'
splat_re+='suspicious RCU usage|KASAN: |UBSAN: |kmemleak: [0-9]+ new suspected|unreferenced object|'
splat_re+='blocked for more than|detected stall|Call Trace:|refcount_t: |list_(add|del) corruption|'
splat_re+='unregister_netdevice: waiting for'
# The kernel log the guest saved is complete and holds only kernel
# messages; the console (mixed with the command's output) is the
# fallback when the guest died before saving it.
logs=("$out/dmesg.txt" "$out/kmemleak.txt")
[ -f "$out/dmesg.txt" ] || logs=("$out/console.log")
splats=$(cat "${logs[@]}" 2>/dev/null | grep -E "$splat_re" | sort -u)
if [ -n "$splats" ]; then
	echo "==== KERNEL SPLAT (see $out/console.log) ===="
	grep -n -E -A25 "$splat_re" "${logs[0]}" | head -80
	[ -s "$out/kmemleak.txt" ] && head -40 "$out/kmemleak.txt"
	echo "==== vm-run: FAIL: kernel splat ===="
	exit 125
fi
# The taint mask catches what the log patterns might miss (W: a warning,
# D: an oops, B: bad page, L: soft lockup...).
# TAINT_TEST (bit 18) is set by any KUnit run and says nothing.
taint=$(cat "$out/tainted" 2>/dev/null || echo 0)
if [ $((taint & ~(1 << 18))) != 0 ]; then
	echo "==== vm-run: FAIL: kernel splat: tainted=$taint (see $out/dmesg.txt) ===="
	exit 125
fi
if [ $rc = 124 ] || [ $rc = 137 ]; then
	echo "==== vm-run: FAIL: timeout after ${timeout}s (console: $out/console.log) ===="
	exit 124
fi
if [ -z "$status" ]; then
	echo "==== vm-run: FAIL: the guest did not finish (qemu rc=$rc; console: $out/console.log) ===="
	tail -30 "$out/console.log"
	exit 126
fi
exit "$status"
