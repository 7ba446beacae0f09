#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of the benchmark (make bench): CPU cost per MB of TCP receive
# and send, zero-copy against copy against a copy-free floor, on the NIC
# pair, in a VM run with -icount shift=0,sleep=off (vm-run.sh --icount)
# and the exact per-vCPU instruction counter (bench/icount_pcpu.c, loaded
# by vm-run.sh --plugin).
#
#   bench.sh OUTFILE
#     BENCH    the zc_bench binary (bench/zc_bench.c)        required
#     MARK     the zc_mark binary (bench/zc_mark.c)          required
#     MODE     full | quick | smoke | profile                default full
#              quick: fewer sizes, smaller totals; smoke: one tiny run of
#              each variant (checks that everything works, no timing);
#              profile: the one row ROW (e.g. rx-bulk-zc,
#              rx-rpc-16K+64-zc-copybuf, tx-stream-64K-zc), quick's totals
#     ROW      the row of MODE=profile: KIND-WORKLOAD[-SIZE]-VARIANT
#     RUNS     runs of each workload, variant and size        default 3 (smoke, profile 1)
#     RX_PEER  remote sender's mode for receive workloads     default sendfile
#     TX_PEER  remote receiver's mode for send workloads      default trunc
#     BENCH_OPTS more zc_bench options for both sides, e.g. "-M 4108"
#     KERNEL   stock | series: the kernel booted               default series
#              stock skips the variants only the series has (tx zcring:
#              SO_ZEROCOPY_RING), with a note; series runs them, and a
#              kernel without the option fails them
#
# The measured side runs on CPU $LOCAL_CPU (1), which also takes the local
# NIC's IRQs; the peer runs in netns $REMOTE_ARGS on CPU $REMOTE_CPU (0),
# and so does this script.  Both sides are started and connected, then the
# window opens: a snapshot and a mark (zc_mark, run on CPU $REMOTE_CPU,
# makes the plugin write every vCPU's exact instruction count); then the
# transfer; once both sides exited, a mark and a snapshot close it.  The
# cost is the number of instructions CPU $LOCAL_CPU executed between the
# two marks (scripts/bench-report.py reads them from the plugin's file):
# user + system + irq + softirq + idle entry/exit, whatever ran there.
# Marks are numbered in the order they were made, so this script counts
# its own: run k's are the two it records.  One line per run in OUTFILE:
#
#   kind workload variant size run bytes busy_ns wall_ns peer_busy_ns \
#       mark_begin mark_end [key=value ...]
#
#   rx bulk   copy|zc|zc-copybuf|zc-mt|trunc  bulk          server here, client there
#   rx rpc    copy|zc|zc-copybuf|trunc        message size  (zc_bench -R; 16K+64:
#                                             a 64-byte header, then 16K, zc_bench -H)
#   tx stream copy|zc|zcring|sendfile         write size    client here, server there
#
# zc-mt is zc with a second thread of the receiving process spinning on
# CPU $REMOTE_CPU (zc_bench -T): every zap must then flush that CPU's TLB.
# zcring is zc with its completions read from a ring in the sender's
# memory (SO_ZEROCOPY_RING) rather than from the error queue: the series
# only, so not run on the stock kernel (KERNEL=stock).
# The key=value pairs are the measured side's zc_bench summary (mapped=,
# copybuf=, calls=, ...).  busy_ns is the secondary, distorted figure:
# CPU $LOCAL_CPU's busy (non-idle) time from the kernel's ns idle
# accounting (see snap below); under -icount one ns is one instruction of
# the shared clock, so it also counts the other vCPU's instructions
# whenever QEMU ran that one while this one was busy.  wall_ns is the
# guest clock across the window, peer_busy_ns the other CPU's busy time.
#
# A run that fails (an exit status, short byte count) writes no line; the
# script goes on and exits 1 at the end.  scripts/bench-report.py turns
# the lines of two kernels into tables and a plot.
set -u
out=${1:?usage: bench.sh OUTFILE}
BENCH=${BENCH:?BENCH must name the zc_bench binary}
MARK=${MARK:?MARK must name the zc_mark binary}
MODE=${MODE:-full}
[ "$MODE" = smoke ] && RUNS=${RUNS:-1}
[ "$MODE" = profile ] && RUNS=${RUNS:-1}
RUNS=${RUNS:-3}
RX_PEER=${RX_PEER:-sendfile}
TX_PEER=${TX_PEER:-trunc}
read -ra OPTS <<<"${BENCH_OPTS:-}"
[ -x "$BENCH" ] || { echo "bench: $BENCH is not executable" >&2; exit 1; }
[ -x "$MARK" ] || { echo "bench: $MARK is not executable" >&2; exit 1; }

bash "$(dirname "$0")/topo.sh" nicpair >/dev/null || exit 1
# shellcheck disable=SC1091
. /run/zc/topo.env
REMOTE=(ip netns exec "$REMOTE_ARGS")
# Keep this script and its helpers off the measured CPU.
taskset -pc "$REMOTE_CPU" $$ >/dev/null

BULK_VARIANTS=(copy zc zc-copybuf zc-mt trunc)
RPC_VARIANTS=(copy zc zc-copybuf trunc)
TX_VARIANTS=(copy zc zceager zcring sendfile)
# Variants the stock kernel cannot run: it has no SO_ZEROCOPY_RING.
SERIES_ONLY_TX=(zcring)
case "$MODE" in
smoke)
	RX_BULK=2M RX_RPC=1M TX_TOTAL=1M
	RPC_SIZES=(16K+64)
	TX_SIZES=(64K) ;;
quick)
	RX_BULK=16M RX_RPC=8M TX_TOTAL=8M
	RPC_SIZES=(4K 16K+64)
	TX_SIZES=(64K) ;;
full)
	RX_BULK=${RX_BULK:-128M} RX_RPC=${RX_RPC:-24M} TX_TOTAL=${TX_TOTAL:-24M}
	RPC_SIZES=(4K 4K+64 16K 16K+64 32K 32K+64 64K 64K+64 256K 1M)
	TX_SIZES=(4K 8K 16K 64K 1M) ;;
profile)
	# ROW=KIND-WORKLOAD[-SIZE]-VARIANT; variants may contain '-'
	RX_BULK=16M RX_RPC=8M TX_TOTAL=8M
	BULK_VARIANTS=() RPC_VARIANTS=() TX_VARIANTS=() RPC_SIZES=() TX_SIZES=()
	row=${ROW:?MODE=profile needs ROW}
	case "$row" in
	rx-bulk-*)
		BULK_VARIANTS=("${row#rx-bulk-}") ;;
	rx-rpc-*-*)
		r=${row#rx-rpc-}; RPC_SIZES=("${r%%-*}"); RPC_VARIANTS=("${r#*-}") ;;
	tx-stream-*-*)
		r=${row#tx-stream-}; TX_SIZES=("${r%%-*}"); TX_VARIANTS=("${r#*-}") ;;
	*)
		echo "bench: ROW '$row' is not rx-bulk-VARIANT, rx-rpc-SIZE-VARIANT or tx-stream-SIZE-VARIANT" >&2
		exit 2 ;;
	esac ;;
*)
	echo "bench: MODE must be full, quick, smoke or profile" >&2; exit 2 ;;
esac
case "${KERNEL:-series}" in
stock)
	keep=()
	for var in "${TX_VARIANTS[@]}"; do
		if [[ " ${SERIES_ONLY_TX[*]} " == *" $var "* ]]; then
			echo "bench: stock kernel: tx variant $var skipped (the series' SO_ZEROCOPY_RING)"
		else
			keep+=("$var")
		fi
	done
	TX_VARIANTS=("${keep[@]}") ;;
series) ;;
*)
	echo "bench: KERNEL must be stock or series" >&2; exit 2 ;;
esac
T=900			# per process, guest seconds
port=20000
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Per-run overhead: exec from tmpfs rather than over 9p; sleep and wait
# with builtins (read -t on a FIFO nobody writes) rather than processes.
cp "$BENCH" "$tmp/zc_bench" && BENCH=$tmp/zc_bench || exit 1
cp "$MARK" "$tmp/zc_mark" && MARK=$tmp/zc_mark || exit 1
mkfifo "$tmp/nap" && exec 9<>"$tmp/nap" || exit 1
nap() { read -r -t "$1" -u 9; }

# bytes_of 32M: 33554432; bytes_of 16K+64: 16448
bytes_of() {
	case "$1" in
	*+*) echo $(( $(bytes_of "${1%%+*}") + $(bytes_of "${1#*+}") )); return ;;
	esac
	local n=${1%[KMG]}
	case "$1" in
	*K) echo $((n << 10)) ;; *M) echo $((n << 20)) ;; *G) echo $((n << 30)) ;; *) echo "$n" ;;
	esac
}

mb() { echo $(( $(bytes_of "$1") >> 20 )); }
total_mb=$(( (${#BULK_VARIANTS[@]} * $(mb $RX_BULK) +
	       ${#RPC_VARIANTS[@]} * ${#RPC_SIZES[@]} * $(mb $RX_RPC) +
	       ${#TX_VARIANTS[@]} * ${#TX_SIZES[@]} * $(mb $TX_TOTAL)) * RUNS ))
total_runs=$(( (${#BULK_VARIANTS[@]} + ${#RPC_VARIANTS[@]} * ${#RPC_SIZES[@]} +
		${#TX_VARIANTS[@]} * ${#TX_SIZES[@]}) * RUNS ))
nrun=0
echo "bench: kernel $(uname -r) ($(uname -v)), $ZC_TOPO, measured CPU $LOCAL_CPU," \
	"peer CPU $REMOTE_CPU, mode $MODE, $total_runs runs, $total_mb MB in all"
: >"$out" || exit 1

# snap: S_NS (guest clock, ns), S_BUSY (measured CPU's busy ns since boot)
# and S_BUSY0 (the peer CPU's), from /proc/timer_list.  The kernel's
# per-CPU idle accounting (tick_sched: idle_sleeptime, idle_entrytime) is
# kept in ns whether or not NO_HZ is active, unlike /proc/stat's 10 ms
# ticks; interrupts taken while idle are not idle time.  For a CPU that is
# idle at the snapshot, busy time since boot = idle_entrytime -
# idle_sleeptime (the current idle stretch is not yet in idle_sleeptime),
# whatever the moment the file is read: snapshots are taken while both
# CPUs are idle but for this script on the peer CPU (whose figure is then
# off by this script's current stretch, for information only).  Shell
# builtins only: taking a snapshot starts no process.
snap() {
	local line cpu=-1 v
	local -A sl=() en=()
	while IFS= read -r line; do
		case "$line" in
		"now at "*) v=${line#now at }; S_NS=${v%% *} ;;
		"cpu: "*) cpu=${line#cpu: } ;;
		*".idle_entrytime :"*) v=${line##*: }; en[$cpu]=${v%% *} ;;
		*".idle_sleeptime :"*) v=${line##*: }; sl[$cpu]=${v%% *} ;;
		"Tick Device"*) break ;;
		esac
	done </proc/timer_list
	S_BUSY=$((en[$LOCAL_CPU] - sl[$LOCAL_CPU]))
	S_BUSY0=$((en[$REMOTE_CPU] - sl[$REMOTE_CPU]))
}

# mark: the plugin records every vCPU's instruction count now; MARKS is
# the number of the mark just made (the plugin numbers them the same way).
MARKS=0
mark() {
	"$MARK" || { echo "bench: $MARK failed" >&2; exit 1; }
	MARKS=$((MARKS + 1))
}

# lines_of FILE: its lines but zc_bench -g's "listening" and "ready"
lines_of() {
	local l
	while IFS= read -r l; do
		[ "$l" = listening ] || [ "$l" = ready ] || echo "$l"
	done <"$1"
}

field() {	# field NAME LINE: the N of NAME=N
	[[ " $2 " =~ \ $1=([0-9]+)\  ]] && echo "${BASH_REMATCH[1]}"
}

label() {	# label KIND WORKLOAD VARIANT SIZE RUN
	local l="$1 $2"
	[ "$4" = bulk ] || l+=" $4"
	echo "$l $3 run $5/$RUNS"
}

# result KIND WORKLOAD VARIANT SIZE RUN EXPECTED MEASURED-LINE OTHER-LINE RC...
result() {
	local kind=$1 wl=$2 var=$3 size=$4 run=$5 want=$6 line=$7 other=$8
	shift 8
	local bytes busy busy0 ns what kv bad=
	what=$(label "$kind" "$wl" "$var" "$size" "$run")
	bytes=$(field bytes "$line")
	busy=$((E_BUSY - B_BUSY)) busy0=$((E_BUSY0 - B_BUSY0)) ns=$((E_NS - B_NS))
	if [ "$*" != "0 0" ] || [ "${bytes:-0}" != "$want" ]; then
		bad="exit status $*, bytes ${bytes:-?} of $want"
	elif [ "$var" = zc-copybuf ] && [[ $size == *+* ]]; then
		# The hybrid copy must really copy: every message's header
		# goes through the copy buffer, at least.
		local hdrs=$(( want / $(bytes_of "$size") * $(bytes_of "${size#*+}") ))
		[ "$(field copybuf "$line")" -ge $hdrs ] 2>/dev/null ||
			bad="copybuf=$(field copybuf "$line"), expected >= $hdrs (a header per message)"
	fi
	if [ -n "$bad" ]; then
		echo "bench: FAIL $what: $bad"
		lines_of "$tmp/srv" | sed 's/^/    srv: /'
		lines_of "$tmp/cli" | sed 's/^/    cli: /'
		failed=1
		return
	fi
	kv=$(tr ' ' '\n' <<<"$line" | grep -E '^[a-z]+=[0-9]+$' | grep -v '^bytes=' | tr '\n' ' ')
	echo "$kind $wl $var $size $run $bytes $busy $ns $busy0 $B_MARK $E_MARK ${kv% }" >>"$out"
	nrun=$((nrun + 1))
	printf 'bench: [%d/%d] %s: %d KB, busy cpu%s %d K/MB (cpu%s %d), %d.%03d s | %s | %s\n' \
		$nrun $total_runs "$what" $((bytes >> 10)) "$LOCAL_CPU" $((busy * 1024 / bytes)) \
		"$REMOTE_CPU" $((busy0 * 1024 / bytes)) \
		$((ns / 1000000000)) $((ns / 1000000 % 1000)) "$line" "$other"
}

# wait_for WORD FILE PID: until the first line of FILE is WORD (zc_bench -g
# prints "listening" or "ready"), while PID lives; at most ~20 s.
wait_for() {
	local i l
	for ((i = 0; i < 1000; i++)); do
		kill -0 "$3" 2>/dev/null || return 1
		read -r l <"$2" && [ "$l" = "$1" ] && return 0
		nap 0.02
	done
	return 1
}

# not_ready WHAT PIDS...: the run could not start; kill and report.
not_ready() {
	local what=$1
	shift
	kill "$@" 2>/dev/null
	wait "$@" 2>/dev/null
	echo "bench: FAIL $what: did not start"
	sed 's/^/    /' "$tmp/srv" "$tmp/cli"
	failed=1
}

# Both sides are started and connected before the first snapshot (the
# client, zc_bench -g, waits for a byte on its FIFO before sending), so
# that process start-up (exec over 9p) and connection set-up are left
# out: the window holds the transfer and the exits.

# rx WORKLOAD VARIANT SIZE RUN TOTAL [-R msgsize]: receiver (server) here.
rx() {
	local wl=$1 var=$2 size=$3 run=$4 total=$5 srv cli first rc src=0 crc=0
	local mode=$var sopt=() copt=()
	shift 5
	[ "$var" = zc-mt ] && mode=zc sopt=(-T "$REMOTE_CPU")
	[[ $size == *+* ]] && copt=(-H "${size#*+}")
	port=$((port + 1))
	: >"$tmp/srv"; : >"$tmp/cli"
	rm -f "$tmp/go"; mkfifo "$tmp/go"
	timeout -k 5 $T "$BENCH" -C "$LOCAL_CPU" -s -6 -g -p $port -m "$mode" "${sopt[@]}" \
		"${OPTS[@]}" "$@" >"$tmp/srv" 2>&1 &
	srv=$!
	if ! wait_for listening "$tmp/srv" $srv; then
		not_ready "$(label rx "$wl" "$var" "$size" "$run")" $srv
		return
	fi
	"${REMOTE[@]}" timeout -k 5 $T "$BENCH" -C "$REMOTE_CPU" -c "$LOCAL_V6" -6 -g \
		-p $port -m "$RX_PEER" -S "$total" "${OPTS[@]}" "$@" "${copt[@]}" \
		<>"$tmp/go" >"$tmp/cli" 2>&1 &
	cli=$!
	if ! wait_for ready "$tmp/cli" $cli; then
		not_ready "$(label rx "$wl" "$var" "$size" "$run")" $srv $cli
		return
	fi
	snap; B_BUSY=$S_BUSY B_BUSY0=$S_BUSY0 B_NS=$S_NS
	mark; B_MARK=$MARKS
	echo go >"$tmp/go"
	wait -n -p first $srv $cli
	rc=$?
	if [ "$first" = "$srv" ]; then
		src=$rc
		wait $cli; crc=$?
	else
		crc=$rc
		[ $crc = 0 ] || kill $srv 2>/dev/null
		wait $srv; src=$?
	fi
	mark; E_MARK=$MARKS
	snap; E_BUSY=$S_BUSY E_BUSY0=$S_BUSY0 E_NS=$S_NS
	# -R: the client sends whole messages only
	local want=$(bytes_of "$total")
	[ "$wl" = rpc ] && want=$((want - want % $(bytes_of "$size")))
	result rx "$wl" "$var" "$size" "$run" "$want" \
		"$(lines_of "$tmp/srv")" "$(lines_of "$tmp/cli")" $src $crc
}

# tx SIZE VARIANT RUN TOTAL: sender (client) here, receiver there.
tx() {
	local size=$1 var=$2 run=$3 total=$4 srv cli src crc
	port=$((port + 1))
	: >"$tmp/srv"; : >"$tmp/cli"
	rm -f "$tmp/go"; mkfifo "$tmp/go"
	"${REMOTE[@]}" timeout -k 5 $T "$BENCH" -C "$REMOTE_CPU" -s -6 -g -p $port \
		-m "$TX_PEER" "${OPTS[@]}" >"$tmp/srv" 2>&1 &
	srv=$!
	if ! wait_for listening "$tmp/srv" $srv; then
		not_ready "$(label tx stream "$var" "$size" "$run")" $srv
		return
	fi
	timeout -k 5 $T "$BENCH" -C "$LOCAL_CPU" -c "$REMOTE_V6" -6 -g -p $port \
		-m "$var" -S "$total" -W "$size" "${OPTS[@]}" <>"$tmp/go" >"$tmp/cli" 2>&1 &
	cli=$!
	if ! wait_for ready "$tmp/cli" $cli; then
		not_ready "$(label tx stream "$var" "$size" "$run")" $srv $cli
		return
	fi
	snap; B_BUSY=$S_BUSY B_BUSY0=$S_BUSY0 B_NS=$S_NS
	mark; B_MARK=$MARKS
	echo go >"$tmp/go"
	wait $cli; crc=$?
	[ $crc = 0 ] || kill $srv 2>/dev/null
	wait $srv; src=$?
	mark; E_MARK=$MARKS
	snap; E_BUSY=$S_BUSY E_BUSY0=$S_BUSY0 E_NS=$S_NS
	result tx stream "$var" "$size" "$run" "$(bytes_of "$total")" \
		"$(lines_of "$tmp/cli")" "$(lines_of "$tmp/srv")" $src $crc
}

# Variants interleaved within each run, so that a drift hits all alike.
for ((run = 1; run <= RUNS; run++)); do
	for var in "${BULK_VARIANTS[@]}"; do
		rx bulk "$var" bulk "$run" "$RX_BULK"
	done
done
for size in "${RPC_SIZES[@]}"; do
	for ((run = 1; run <= RUNS; run++)); do
		for var in "${RPC_VARIANTS[@]}"; do
			rx rpc "$var" "$size" "$run" "$RX_RPC" -R "$size"
		done
	done
done
for size in "${TX_SIZES[@]}"; do
	for ((run = 1; run <= RUNS; run++)); do
		for var in "${TX_VARIANTS[@]}"; do
			tx "$size" "$var" "$run" "$TX_TOTAL"
		done
	done
done

echo "bench: $(wc -l <"$out") result lines in $out, $MARKS marks$([ $failed = 0 ] || echo ', some runs FAILED')"
exit $failed
