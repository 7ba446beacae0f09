#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of the benchmark: CPU cost per MB of TCP receive and send,
# zero-copy against copy against a copy-free floor, on the NIC pair, in a
# VM run with -icount shift=0,sleep=off (vm-run.sh --icount).
#
#   bench.sh OUTFILE
#     BENCH    the zc_bench binary (bench/zc_bench.c)        required
#     QUICK    1: a few sizes, small totals (smoke test)      default 0
#     RUNS     runs of each workload, variant and size         default 3
#     RX_PEER  remote sender's mode for receive workloads     default sendfile
#     TX_PEER  remote receiver's mode for send workloads      default trunc
#     TOPO     topology (topo.sh)                             default nicpair
#     BENCH_OPTS more zc_bench options for both sides, e.g. "-M 4108"
#
# The measured side runs on CPU $LOCAL_CPU (1), which also takes the local
# NIC's IRQs; the peer runs in netns $REMOTE_ARGS on CPU $REMOTE_CPU (0),
# and so does this script.  Around each run CPU 1's line of /proc/stat is
# read (just before the peer/client starts, just after the measured side
# exits); busy = user + nice + system + irq + softirq, in USER_HZ ticks
# (10 ms).  One line per run in OUTFILE:
#
#   kind workload variant size run bytes busy_ticks wall_ns
#
#   rx bulk   copy|zc|zc-copybuf|trunc  bulk          server here, client there
#   rx rpc    copy|zc|zc-copybuf|trunc  message size  (zc_bench -R)
#   tx stream copy|zc|sendfile          write size    client here, server there
#
# A run that fails (an exit status, short byte count) writes no line; the
# script goes on and exits 1 at the end.  scripts/bench-report.py turns
# the lines of two kernels into tables and a plot.
set -u
out=${1:?usage: bench.sh OUTFILE}
BENCH=${BENCH:?BENCH must name the zc_bench binary}
QUICK=${QUICK:-0}
RUNS=${RUNS:-3}
RX_PEER=${RX_PEER:-sendfile}
TX_PEER=${TX_PEER:-trunc}
read -ra OPTS <<<"${BENCH_OPTS:-}"
[ -x "$BENCH" ] || { echo "bench: $BENCH is not executable" >&2; exit 1; }

bash "$(dirname "$0")/topo.sh" "${TOPO:-nicpair}" >/dev/null || exit 1
# shellcheck disable=SC1091
. /run/zc/topo.env
REMOTE=(ip netns exec "$REMOTE_ARGS")
# Keep this script and its helpers off the measured CPU.
taskset -pc "$REMOTE_CPU" $$ >/dev/null

RX_VARIANTS=(copy zc zc-copybuf trunc)
TX_VARIANTS=(copy zc sendfile)
if [ "$QUICK" = 1 ]; then
	RX_BULK=32M RX_RPC=8M TX_TOTAL=16M
	RPC_SIZES=(4K 64K)
	TX_SIZES=(4K 64K)
else
	RX_BULK=256M RX_RPC=64M TX_TOTAL=128M
	RPC_SIZES=(4K 16K 32K 64K 256K 1M)
	TX_SIZES=(4K 8K 16K 64K 1M)
fi
T=900			# per process, guest seconds
port=20000
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mb() { echo $(( $(numfmt --from=iec "$1") >> 20 )); }
total_mb=$(( (${#RX_VARIANTS[@]} * ($(mb $RX_BULK) + ${#RPC_SIZES[@]} * $(mb $RX_RPC)) +
	      ${#TX_VARIANTS[@]} * ${#TX_SIZES[@]} * $(mb $TX_TOTAL)) * RUNS ))
echo "bench: kernel $(uname -r), $ZC_TOPO, measured CPU $LOCAL_CPU, peer CPU $REMOTE_CPU," \
	"$RUNS run(s), $total_mb MB in all"
: >"$out" || exit 1

# snap: S_BUSY (measured CPU), S_BUSY0 (peer CPU), S_NS (wall clock, ns).
# Shell builtins only: taking a snapshot starts no process.
snap() {
	local c u n s q sq _
	S_BUSY='' S_BUSY0=''
	# cpuN user nice system idle iowait irq softirq steal...
	while read -r c u n s _ _ q sq _; do
		case "$c" in
		"cpu$LOCAL_CPU") S_BUSY=$((u + n + s + q + sq)) ;;
		"cpu$REMOTE_CPU") S_BUSY0=$((u + n + s + q + sq)) ;;
		esac
	done </proc/stat
	S_NS=${EPOCHREALTIME/./}000
}

# wait_listen PORT PID [netns]: until PORT is in LISTEN in /proc/net/tcp6
# (of the netns, if given), while PID lives; at most ~20 s.
wait_listen() {
	local hex laddr st _
	hex=$(printf '%04X' "$1")
	for _ in $(seq 200); do
		kill -0 "$2" 2>/dev/null || return 1
		while read -r _ laddr _ st _; do
			[ "${laddr##*:}" = "$hex" ] && [ "$st" = 0A ] && return 0
		done < <(if [ -n "${3:-}" ]; then ip netns exec "$3" cat /proc/net/tcp6; else cat /proc/net/tcp6; fi)
		sleep 0.1
	done
	return 1
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
	local bytes busy busy0 ns what
	what=$(label "$kind" "$wl" "$var" "$size" "$run")
	bytes=$(field bytes "$line")
	busy=$((E_BUSY - B_BUSY)) busy0=$((E_BUSY0 - B_BUSY0)) ns=$((E_NS - B_NS))
	if [ "$*" != "0 0" ] || [ "${bytes:-0}" != "$want" ]; then
		echo "bench: FAIL $what: exit status $*, bytes ${bytes:-?} of $want"
		sed 's/^/    /' "$tmp/srv" "$tmp/cli"
		failed=1
		return
	fi
	echo "$kind $wl $var $size $run $bytes $busy $ns" >>"$out"
	printf 'bench: %s: %d MB, cpu%s %d ticks (cpu%s %d), %d.%03d s | %s | %s\n' \
		"$what" $((bytes >> 20)) "$LOCAL_CPU" $busy "$REMOTE_CPU" $busy0 \
		$((ns / 1000000000)) $((ns / 1000000 % 1000)) "$line" "$other"
}

# rx WORKLOAD VARIANT SIZE RUN TOTAL [-R msgsize]: receiver (server) here.
rx() {
	local wl=$1 var=$2 size=$3 run=$4 total=$5 srv cli first rc src=0 crc=0
	shift 5
	port=$((port + 1))
	timeout -k 5 $T taskset -c "$LOCAL_CPU" "$BENCH" -s -6 -p $port -m "$var" "${OPTS[@]}" "$@" \
		>"$tmp/srv" 2>&1 &
	srv=$!
	if ! wait_listen $port $srv; then
		kill $srv 2>/dev/null; wait $srv
		echo "bench: FAIL $(label rx "$wl" "$var" "$size" "$run"): server did not listen"
		sed 's/^/    /' "$tmp/srv"
		failed=1
		return
	fi
	snap; B_BUSY=$S_BUSY B_BUSY0=$S_BUSY0 B_NS=$S_NS
	"${REMOTE[@]}" timeout -k 5 $T taskset -c "$REMOTE_CPU" "$BENCH" -c "$LOCAL_V6" -6 \
		-p $port -m "$RX_PEER" -S "$total" "${OPTS[@]}" "$@" >"$tmp/cli" 2>&1 &
	cli=$!
	wait -n -p first $srv $cli
	rc=$?
	if [ "$first" = "$srv" ]; then
		snap; src=$rc
		wait $cli; crc=$?
	else
		crc=$rc
		[ $crc = 0 ] || kill $srv 2>/dev/null
		wait $srv; src=$?
		snap
	fi
	E_BUSY=$S_BUSY E_BUSY0=$S_BUSY0 E_NS=$S_NS
	result rx "$wl" "$var" "$size" "$run" "$(numfmt --from=iec "$total")" \
		"$(cat "$tmp/srv")" "$(cat "$tmp/cli")" $src $crc
}

# tx SIZE VARIANT RUN TOTAL: sender (client) here, receiver there.
tx() {
	local size=$1 var=$2 run=$3 total=$4 srv src crc
	port=$((port + 1))
	"${REMOTE[@]}" timeout -k 5 $T taskset -c "$REMOTE_CPU" "$BENCH" -s -6 -p $port \
		-m "$TX_PEER" "${OPTS[@]}" >"$tmp/srv" 2>&1 &
	srv=$!
	if ! wait_listen $port $srv "$REMOTE_ARGS"; then
		kill $srv 2>/dev/null; wait $srv
		echo "bench: FAIL $(label tx stream "$var" "$size" "$run"): server did not listen"
		sed 's/^/    /' "$tmp/srv"
		failed=1
		return
	fi
	snap; B_BUSY=$S_BUSY B_BUSY0=$S_BUSY0 B_NS=$S_NS
	timeout -k 5 $T taskset -c "$LOCAL_CPU" "$BENCH" -c "$REMOTE_V6" -6 -p $port \
		-m "$var" -S "$total" -W "$size" "${OPTS[@]}" >"$tmp/cli" 2>&1
	crc=$?
	snap; E_BUSY=$S_BUSY E_BUSY0=$S_BUSY0 E_NS=$S_NS
	[ $crc = 0 ] || kill $srv 2>/dev/null
	wait $srv; src=$?
	result tx stream "$var" "$size" "$run" "$(numfmt --from=iec "$total")" \
		"$(cat "$tmp/cli")" "$(cat "$tmp/srv")" $src $crc
}

# Variants interleaved within each run, so that a drift hits all alike.
for run in $(seq "$RUNS"); do
	for var in "${RX_VARIANTS[@]}"; do
		rx bulk "$var" bulk "$run" "$RX_BULK"
	done
done
for size in "${RPC_SIZES[@]}"; do
	for run in $(seq "$RUNS"); do
		for var in "${RX_VARIANTS[@]}"; do
			rx rpc "$var" "$size" "$run" "$RX_RPC" -R "$size"
		done
	done
done
for size in "${TX_SIZES[@]}"; do
	for run in $(seq "$RUNS"); do
		for var in "${TX_VARIANTS[@]}"; do
			tx "$size" "$var" "$run" "$TX_TOTAL"
		done
	done
done

echo "bench: $(wc -l <"$out") result lines in $out$([ $failed = 0 ] || echo ', some runs FAILED')"
exit $failed
