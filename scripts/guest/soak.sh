#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of "make soak" (scripts/soak.sh): move SOAK_GB gigabytes in
# each direction over the NIC pair with tcp_mmap -i, and check that
# nothing is lost, corrupted or leaked on the way.
#
#   tx: this host sends with MSG_ZEROCOPY (tcp_mmap -z) to netns zc-remote
#   rx: this host receives with TCP_ZEROCOPY_RECEIVE (tcp_mmap -s -z)
#
# Short tests show that each path works; only volume shows a completion
# lost once in a million calls, a page reference dropped once per
# connection or a byte corrupted by a rare race.  So every transfer
# carries tcp_mmap's integrity check (offset pattern + SHA-256), sizes and
# modes rotate (chunks 4K..1M, copy buffer, TLB hint, kernel zap, copy
# mode on either side, IPv4 and IPv6) and the end state is compared with
# the start:
#   - corrupt: transfers whose receiver said "integrity: FAIL" (their
#     bytes are counted in corrupt_bytes, the whole transfer)
#   - lost/dup notifications: per MSG_ZEROCOPY transfer, the ids the
#     sender saw against ZCTxSends of its namespace (the calls whose
#     completion fired), plus tcp_mmap's own exactly-once check
#   - pins_outstanding: nr_foll_pin_acquired - nr_foll_pin_released
#     (/proc/vmstat) against the start (MSG_ZEROCOPY takes page
#     references and receive inserts pages, neither uses FOLL_PIN today:
#     this guards against a change, page references show in MemAvailable)
#   - sock_mem_pages: /proc/net/sockstat TCP "mem" once every socket is
#     gone; up to SK_MEMORY_PCPU_RESERVE (256 pages) per CPU may stay in
#     per-CPU caches, more fails
#   - memavail_drop: MemAvailable lost since the start (limit SOAK_MEMAVAIL_MB)
#   - kmemleak: suspects after two scans at the end (n/a without kmemleak)
# One line per transfer ("soak: ..."), then the SOAK: summary line, also
# written to $SOAK_OUT/summary.txt.  Exit 0 only if everything checked out.
#
# Environment: TCP_MMAP (the binary), SOAK_GB (default 10), SOAK_XFER_MB
# (per transfer; default SOAK_GB*1024/16 clamped to 64..256),
# SOAK_OUT (default /mnt/soak), SOAK_MEMAVAIL_MB (default 64).
set -u -o pipefail

TM=${TCP_MMAP:?TCP_MMAP must name the tcp_mmap binary}
GB=${SOAK_GB:-10}
OUT=${SOAK_OUT:-/mnt/soak}
MEMAVAIL_MB=${SOAK_MEMAVAIL_MB:-64}
XFER_TIMEOUT=${SOAK_XFER_TIMEOUT:-3600}
mkdir -p "$OUT"
rm -f "$OUT"/*.log "$OUT/summary.txt"

bash "$(dirname "$0")/topo.sh" nicpair >/dev/null || { echo "soak: topology setup failed"; exit 1; }
# shellcheck disable=SC1091
. /run/zc/topo.env

total=$((GB * 1024 * 1024 * 1024))
if [ -n "${SOAK_XFER_MB:-}" ]; then
	xfer_mb=$SOAK_XFER_MB
else
	xfer_mb=$((GB * 1024 / 16))
	[ $xfer_mb -lt 64 ] && xfer_mb=64
	[ $xfer_mb -gt 256 ] && xfer_mb=256
fi
xfer=$((xfer_mb * 1024 * 1024))
per_dir=$(( (total + xfer - 1) / xfer ))

# Rotations of different lengths (5, 2, 7), so that the combinations
# drift against each other.  IPv4 needs -M 4108: MTU 4168 leaves an IPv4
# MSS of 4116 bytes of payload, not whole pages.
CHUNKS=(4K 64K 1M 16K 256K)
# tx: "sender flags|receiver flags"; the sender is here
TX_MODES=("-z|-z -c" "-z|" "-z|-z -t" "-z|-z" "|-z -c" "-z|-z -k" "-z|-z -c -t")
# rx: "sender flags|receiver flags"; the receiver is here
RX_MODES=("|-z -c" "-z|-z" "|-z -t" "-z|-z -c -t" "|" "-z|-z -k" "|-z -c -k")

# Under a debug kernel every exec costs about a second (9p, KASAN), so
# the per-transfer bookkeeping uses bash builtins only; a process parked
# in the remote namespace gives its /proc/PID/net.
ip netns exec "$REMOTE_ARGS" sleep infinity &
remote_pid=$!
exec {never}<> <(:)
nap() { read -r -t "$1" -u "$never"; }
netdir() { [ -n "$1" ] && echo "/proc/$remote_pid/net" || echo /proc/self/net; }

# tcpext DIR COUNTER: VAL = a TcpExt counter from DIR/netstat
tcpext() {
	local -a names vals
	local hdr="" i
	VAL=
	while read -r -a vals; do
		[ "${vals[0]}" = TcpExt: ] || continue
		if [ -z "$hdr" ]; then
			names=("${vals[@]}") hdr=1
			continue
		fi
		for i in "${!names[@]}"; do
			[ "${names[i]}" = "$2" ] && { VAL=${vals[i]}; return 0; }
		done
	done < "$1/netstat"
	return 1
}
# kv FILE KEY: VAL = the value after KEY (/proc/vmstat, /proc/meminfo)
kv() {
	local k v rest
	VAL=
	while read -r k v rest; do
		[ "$k" = "$2" ] && { VAL=$v; return 0; }
	done < "$1"
	return 1
}
# sockstat DIR FIELD: VAL = a field of the TCP line of DIR/sockstat
sockstat() {
	local -a f
	local i
	VAL=
	while read -r -a f; do
		[ "${f[0]}" = TCP: ] || continue
		for i in "${!f[@]}"; do
			[ "${f[i]}" = "$2" ] && { VAL=${f[i + 1]}; return 0; }
		done
	done < "$1/sockstat"
	return 1
}
# The node counters of /proc/vmstat lag behind per-CPU deltas (up to
# the vmstat threshold each; 9p I/O pins and unpins pages all the time):
# fold them first (vm.stat_refresh), or the difference drifts.
pins() {
	echo 1 > /proc/sys/vm/stat_refresh 2>/dev/null
	kv /proc/vmstat nr_foll_pin_acquired; local a=$VAL
	kv /proc/vmstat nr_foll_pin_released
	PINS=$((a - VAL))
}
# listening DIR FAMILY PORT: a listener on PORT in DIR/tcp or DIR/tcp6
listening() {
	local la st rest hex file=tcp
	printf -v hex '%04X' "$3"
	[ "$2" = 6 ] && file=tcp6
	while read -r _ la _ st rest; do
		[ "${la##*:}" = "$hex" ] && [ "$st" = 0A ] && return 0
	done < "$1/$file"
	return 1
}
# grab FILE REGEX: M = BASH_REMATCH of the first matching line
grab() {
	local -a lines
	local l
	M=()
	mapfile -t lines < "$1"
	for l in "${lines[@]}"; do
		[[ $l =~ $2 ]] && { M=("${BASH_REMATCH[@]}"); return 0; }
	done
	return 1
}
# dec1 A B: D = A/B with one decimal, in integer arithmetic
dec1() { printf -v D '%d.%d' $(($1 / $2)) $(($1 * 10 / $2 % 10)); }

tx_bytes=0 rx_bytes=0 tx_us=0 rx_us=0 transfers=0 failed=0
corrupt=0 corrupt_bytes=0 lost=0 dup=0 zc_ids=0 zc_copied=0

# xfer DIR N: one transfer, the N-th of its direction
xfer() {
	local dir=$1 n=$2 port=$((20000 + transfers)) chunk fam mode sfl rfl
	local sns rns scpu rcpu addr mss=() slog rlog spid rc_s rc_c t0 t1 us
	local before after sends ids copied res integ sum want fail="" rdir sdir
	chunk=${CHUNKS[n % ${#CHUNKS[@]}]}
	fam=$(( n % 2 ? 4 : 6 ))
	if [ "$dir" = tx ]; then
		mode=${TX_MODES[n % ${#TX_MODES[@]}]}
		sns="" rns=$REMOTE_ARGS scpu=$LOCAL_CPU rcpu=$REMOTE_CPU
		[ $fam = 4 ] && addr=$REMOTE_V4 || addr=$REMOTE_V6
	else
		mode=${RX_MODES[n % ${#RX_MODES[@]}]}
		sns=$REMOTE_ARGS rns="" scpu=$REMOTE_CPU rcpu=$LOCAL_CPU
		[ $fam = 4 ] && addr=$LOCAL_V4 || addr=$LOCAL_V6
	fi
	sfl=${mode%%|*} rfl=${mode#*|}
	[ $fam = 4 ] && mss=(-M 4108)
	local spfx=() rpfx=()
	[ -n "$sns" ] && spfx=(ip netns exec "$sns")
	[ -n "$rns" ] && rpfx=(ip netns exec "$rns")
	sdir=$(netdir "$sns") rdir=$(netdir "$rns")
	slog=$OUT/$transfers.$dir.sender.log rlog=$OUT/$transfers.$dir.receiver.log

	# shellcheck disable=SC2086
	"${rpfx[@]}" taskset -c "$rcpu" \
		"$TM" -s -o -i -$fam -p $port -C $chunk "${mss[@]}" $rfl >"$rlog" 2>&1 &
	spid=$!
	for _ in $(seq 300); do
		listening "$rdir" $fam $port && break
		nap 0.1
	done
	tcpext "$sdir" ZCTxSends; before=$VAL
	t0=${EPOCHREALTIME/./}
	# shellcheck disable=SC2086
	"${spfx[@]}" taskset -c "$scpu" timeout "$XFER_TIMEOUT" \
		"$TM" -$fam -H "$addr" -p $port -S $xfer -C $chunk "${mss[@]}" -i $sfl >"$slog" 2>&1
	rc_c=$?
	# The receiver ends with the stream; a sender that failed may leave
	# it waiting for a connection.
	for _ in $(seq 600); do
		kill -0 $spid 2>/dev/null || break
		nap 0.1
	done
	kill $spid 2>/dev/null
	wait $spid
	rc_s=$?
	t1=${EPOCHREALTIME/./}
	tcpext "$sdir" ZCTxSends; after=$VAL
	us=$((t1 - t0))
	transfers=$((transfers + 1))

	# Receiver: the stream intact, every byte mapped, copied or read once.
	grab "$rlog" '^integrity: (OK|FAIL)' && integ=${M[1]} || integ=none
	case "$integ" in
	OK) ;;
	FAIL) corrupt=$((corrupt + 1)); corrupt_bytes=$((corrupt_bytes + xfer)); fail+=" corrupt" ;;
	*) fail+=" no-verdict" ;;
	esac
	res="" sum=0
	if grab "$rlog" '^zerocopy: mapped=([0-9]+) copied_copybuf=([0-9]+) recv_fallback=([0-9]+) bytes'; then
		res="${M[1]}/${M[2]}/${M[3]}" sum=$((M[1] + M[2] + M[3]))
	fi
	want=$((xfer + 32))
	[ "$sum" = $want ] || fail+=" bytes=$sum/$want"

	# Sender: MSG_ZEROCOPY ids against the kernel's count of completed calls.
	sends=$((after - before)) ids=0 copied=0
	grab "$slog" 'completed twice' && { dup=$((dup + 1)); fail+=" id-twice"; }
	if grab "$slog" 'timeout waiting for zerocopy id|zerocopy completions bad'; then
		lost=$((lost + 1)); fail+=" notif-check"
	fi
	if [[ " $sfl " == *" -z "* ]]; then
		if grab "$slog" '^zerocopy completions: ([0-9]+) ids, copied=([0-9]+)'; then
			ids=${M[1]} copied=${M[2]}
		else
			fail+=" no-completions-line"
		fi
		[ "$sends" -gt "$ids" ] && lost=$((lost + sends - ids))
		[ "$ids" -gt "$sends" ] && dup=$((dup + ids - sends))
		[ "$sends" != "$ids" ] && fail+=" ids=$ids/ZCTxSends=$sends"
		zc_ids=$((zc_ids + ids)) zc_copied=$((zc_copied + copied))
	elif [ "$sends" != 0 ]; then
		fail+=" ZCTxSends=$sends-without-zc"
	fi
	[ $rc_c = 0 ] || fail+=" sender-rc=$rc_c"
	[ $rc_s = 0 ] || fail+=" receiver-rc=$rc_s"

	if [ -z "$fail" ]; then
		if [ "$dir" = tx ]; then
			tx_bytes=$((tx_bytes + xfer)) tx_us=$((tx_us + us))
		else
			rx_bytes=$((rx_bytes + xfer)) rx_us=$((rx_us + us))
		fi
		rm -f "$slog" "$rlog"
	else
		failed=$((failed + 1))
	fi
	local secs rate
	dec1 "$us" 1000000; secs=$D
	dec1 $((xfer_mb * 1000000)) $((us > 0 ? us : 1)); rate=$D
	echo "soak: $transfers $dir IPv$fam chunk=$chunk send=[$sfl] recv=[$rfl] ${xfer_mb}MB ${secs}s ${rate}MB/s${res:+ mapped/copybuf/recv=$res}$([ "$sends" != 0 ] && echo " ids=$ids copied=$copied")${fail:+ FAIL:$fail}"
}

kml=/sys/kernel/debug/kmemleak
[ -e $kml ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
me=/proc/self/net rem=/proc/$remote_pid/net
pins; pins0=$PINS
kv /proc/meminfo MemAvailable:; avail0=$VAL
sockstat $me inuse; inuse0=$VAL
sockstat "$rem" inuse; rinuse0=$VAL
sockstat $me mem; mem0=$VAL
start=$SECONDS
echo "soak: $GB GB each way in $per_dir transfers of $xfer_mb MB per direction, kernel $(uname -r)"
echo "soak: start: pins=$pins0 MemAvailable=$((avail0 / 1024))MB sockstat TCP mem=$mem0 inuse=$inuse0/$rinuse0"

for n in $(seq 0 $((per_dir - 1))); do
	xfer tx "$n"
	xfer rx "$n"
done

# Every socket is closed (TIME_WAIT holds no memory); give softirqs and
# RCU a moment, then compare with the start.
for _ in $(seq 60); do
	sockstat $me mem; mem=$VAL
	sockstat $me inuse; inuse=$VAL
	sockstat "$rem" inuse; rinuse=$VAL
	[ "$mem" -le 0 ] && [ "$inuse" -le "$inuse0" ] && [ "$rinuse" -le "$rinuse0" ] && break
	nap 0.5
done
pins; pins_out=$((PINS - pins0))
echo 1 > /proc/sys/vm/drop_caches 2>/dev/null
kv /proc/meminfo MemAvailable:; avail=$VAL
drop_mb=$(( (avail0 - avail) / 1024 ))
[ $drop_mb -lt 0 ] && drop_mb=0

if [ -w $kml ]; then
	# Objects younger than 5 s are never reported; two scans as the
	# harness's own end-of-run check does.
	nap 6
	echo scan > $kml
	nap 2
	echo scan > $kml
	cat $kml > "$OUT/kmemleak.txt"
	kmemleak=$(grep -c '^unreferenced object' "$OUT/kmemleak.txt")
else
	kmemleak=n/a
fi
kill $remote_pid 2>/dev/null
wall=$((SECONDS - start))

result=PASS
why=
bad() { result=FAIL; why+=" $*"; }
[ $failed = 0 ] || bad "failed_transfers=$failed"
[ $tx_bytes -ge $total ] || bad "tx_short"
[ $rx_bytes -ge $total ] || bad "rx_short"
[ $corrupt = 0 ] || bad "corrupt"
[ $lost = 0 ] || bad "lost_notifications"
[ $dup = 0 ] || bad "dup_notifications"
[ $pins_out = 0 ] || bad "pins"
[ "$mem" -le $(( $(nproc) * 256 )) ] || bad "sock_mem"
{ [ "$inuse" -le "$inuse0" ] && [ "$rinuse" -le "$rinuse0" ]; } || bad "sockets_left=$inuse/$rinuse"
[ $drop_mb -le "$MEMAVAIL_MB" ] || bad "memavail"
[ "$kmemleak" = n/a ] || [ "$kmemleak" = 0 ] || bad "kmemleak"

gb() { dec1 "$1" 1073741824; echo "$D"; }
rate() { dec1 $(($1 * 1000000 / 1048576)) $(($2 > 0 ? $2 : 1)); echo "$D"; }
echo "soak: tx $(gb $tx_bytes) GB in $((tx_us / 1000000))s ($(rate $tx_bytes $tx_us) MB/s), rx $(gb $rx_bytes) GB in $((rx_us / 1000000))s ($(rate $rx_bytes $rx_us) MB/s), wall ${wall}s"
echo "soak: MSG_ZEROCOPY ids=$zc_ids copied=$zc_copied; MemAvailable $((avail0 / 1024)) -> $((avail / 1024)) MB; TCP mem $mem0 -> $mem pages, inuse $inuse0 -> $inuse (remote $rinuse0 -> $rinuse)${why:+; failed:$why}"
line="SOAK: tx=$(gb $tx_bytes)GB rx=$(gb $rx_bytes)GB transfers=$transfers failed=$failed corrupt=$corrupt corrupt_bytes=$corrupt_bytes lost_notifications=$lost dup_notifications=$dup pins_outstanding=$pins_out sock_mem_pages=$mem memavail_drop=${drop_mb}MB kmemleak=$kmemleak wall=${wall}s result=$result"
echo "$line" | tee "$OUT/summary.txt"
[ $result = PASS ]
