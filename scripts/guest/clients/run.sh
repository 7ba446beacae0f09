#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of make clients (scripts/clients.sh): MSG_ZEROCOPY senders
# nobody here wrote, on the NIC pair.  $CLIENTS_BIN holds the programs;
# $1 picks a section: all (default), base, liburing or qemu.
# Every case prints what the program reported, a check of the data, and
# the counters that moved on the sending side (nstat).
C=$CLIENTS_BIN
H=$(dirname "$0")
SEC=${1:-all}
bash "$H/../topo.sh" nicpair >/dev/null
. /run/zc/topo.env
R="ip netns exec $REMOTE_ARGS"
export NSTAT_HISTORY=/tmp/nstat.clients
ulimit -l unlimited
pass=0 fail=0
ok()  { echo "    PASS: $*"; pass=$((pass + 1)); }
bad() { echo "    FAIL: $*"; fail=$((fail + 1)); }
sec() { [ "$SEC" = all ] || [ "$SEC" = "$1" ]; }
snap() { nstat -n; }
# show: print the counters that moved since snap; they stay in $NSOUT
show() {
	NSOUT=$(nstat 2>/dev/null | grep -E 'ZCTx|TcpRetransSegs' | tr -s ' ' | cut -d' ' -f1,2)
	[ -z "$NSOUT" ] || sed 's/^/    nstat: /' <<<"$NSOUT"
}
ctr() { awk -v n="TcpExt$1" '$1 == n { print $2 }' <<<"$NSOUT"; }
# The series' counters (absent on stock) say whether the bytes went zero-copy.
grep -q ZCTxSends /proc/net/netstat && counted=1 || counted=0
. "$H/../listening.sh"
addrs() {
	if [ "$1" = 4 ]; then S=$LOCAL_V4 D=$REMOTE_V4 U="tcp:$REMOTE_V4:4444"
	else S=$LOCAL_V6 D=$REMOTE_V6 U="tcp:[$REMOTE_V6]:4444"; fi
}

echo "=== kernel $(uname -r), sections: $SEC"

# 1. 6.12's own programs, built from the base's sources unchanged.
#    The receiver is 6.12's msg_zerocopy -r, which counts what arrives.
# mzc_check TXLOG RXLOG STATUS [NOTE]: the MB that msg_zerocopy (or
# io_uring_zerocopy_tx) sent equal the MB the receiver counted
mzc_check() {
	local txmb rxmb
	txmb=$(sed -n 's/^tx=[0-9]* (\([0-9]*\) MB).*/\1/p;s/^tx=[0-9]* (MB=\([0-9]*\)).*/\1/p' "$1")
	rxmb=$(sed -n 's/^rx=[0-9]* (\([0-9]*\) MB).*/\1/p' "$2")
	cat "$1" "$2" | sed 's/^/    /'
	if [ "$3" = rc0 ] && [ -n "$txmb" ] && [ "$txmb" = "$rxmb" ] && [ "$txmb" -gt 0 ]; then
		ok "sent and received $txmb MB${4:+, $4}"
	else
		bad "tx ${txmb:-?} MB, rx ${rxmb:-?} MB, status $3${4:+, $4}"
	fi
}
sec base && for ip in 4 6; do
	addrs $ip
	for z in -z ""; do
		echo "=== 6.12 msg_zerocopy -$ip tcp $z"
		snap
		$R "$C/msg_zerocopy-6.12" -$ip -t 3 -C "$REMOTE_CPU" -S "$S" -D "$D" -r tcp >/tmp/rx.log 2>&1 &
		listening $R 8000
		"$C/msg_zerocopy-6.12" -$ip -t 2 -C "$LOCAL_CPU" -S "$S" -D "$D" $z tcp >/tmp/tx.log 2>&1
		t=$?; wait $!; r=$?
		want=zc=n; [ -n "$z" ] && want=zc=y
		grep -q "$want" /tmp/tx.log && note="$want as expected" || note="wanted $want"
		[ $t = 0 ] && [ $r = 0 ] && grep -q "$want" /tmp/tx.log && st=rc0 || st="tx $t rx $r"
		mzc_check /tmp/tx.log /tmp/rx.log "$st" "$note"
		show
	done
	# UDP: a 64 KB datagram is fragmented, so 6.12 copies it (zc=n); a
	# datagram that fits the MTU goes zero-copy.  UDP may drop: only the
	# sender's report and status are checked.
	for us in "" "-s 4096"; do
		echo "=== 6.12 msg_zerocopy -$ip udp -z $us"
		snap
		$R "$C/msg_zerocopy-6.12" -$ip -t 8 -C "$REMOTE_CPU" -S "$S" -D "$D" $us -r udp >/tmp/rx.log 2>&1 &
		listening -u $R 8000
		"$C/msg_zerocopy-6.12" -$ip -t 2 -C "$LOCAL_CPU" -S "$S" -D "$D" -z $us udp >/tmp/tx.log 2>&1
		t=$?; wait $!; r=$?
		cat /tmp/tx.log /tmp/rx.log | sed 's/^/    /'
		want=zc=n; [ -n "$us" ] && want=zc=y
		[ $t = 0 ] && [ $r = 0 ] && grep -q "$want" /tmp/tx.log &&
			ok "$want as expected" || bad "tx $t rx $r, wanted $want"
		show
	done
	for m in 0 1 2 3; do
		echo "=== 6.12 io_uring_zerocopy_tx -$ip -m $m tcp"
		snap
		$R "$C/msg_zerocopy-6.12" -$ip -t 3 -C "$REMOTE_CPU" -S "$S" -D "$D" -r tcp >/tmp/rx.log 2>&1 &
		listening $R 8000
		"$C/io_uring_zerocopy_tx-6.12" -$ip -t 2 -D "$D" -m $m tcp >/tmp/tx.log 2>&1
		t=$?; wait $!; r=$?
		[ $t = 0 ] && [ $r = 0 ] && st=rc0 || st="tx $t rx $r"
		mzc_check /tmp/tx.log /tmp/rx.log "$st"
		show
	done
done

# 2. liburing 2.3's examples/send-zerocopy.c.  It keeps 8 sends of one
#    buffer in flight without IOSQE_IO_LINK, so a partial send can be
#    overtaken: positions are not checked, but with MSG_WAITALL (zero-copy
#    mode) every send is whole, so the stream's byte histogram must be
#    exactly (sends x the buffer's).  Copy mode sends without MSG_WAITALL:
#    only its status is checked.
sec liburing && for ip in 4 6; do
	addrs $ip
	for z in 1 0; do for s in 4096 32768; do
		echo "=== liburing send-zerocopy -$ip -z $z -s $s tcp"
		snap
		$R python3 "$H/sink.py" "$D" 8000 "$s" >/tmp/sink.out 2>&1 &
		listening $R 8000
		"$C/send-zerocopy" -$ip -D "$D" -t 2 -z $z -s $s tcp >/tmp/tx.log 2>&1
		t=$?; wait $!; r=$?
		sed "s/^/    /" /tmp/tx.log; grep sink /tmp/sink.out | sed 's/^/    /'
		tx=$(sed -n 's/^tx=\([0-9]*\) .*/\1/p' /tmp/tx.log)
		got=$(sed -n 's/.*bytes=\([0-9]*\) .*/\1/p' /tmp/sink.out)
		if [ $z = 1 ]; then
			[ $t = 0 ] && [ $r = 0 ] && [ -n "$tx" ] && [ "$got" = "$((tx * s))" ] &&
				grep -q 'histogram=ok' /tmp/sink.out &&
				ok "$tx sends x $s = $got bytes, byte histogram exact" ||
				bad "tx=$tx x $s, received $got, status tx $t rx $r"
		else
			[ $t = 0 ] && [ $r = 0 ] && [ "${got:-0}" -gt 0 ] &&
				ok "received $got bytes" || bad "received ${got:-0}, status tx $t rx $r"
		fi
		show
	done; done
done

# 3. QEMU multifd live migration with zero-copy-send: the destination in
#    the remote netns; both guests paused with 256 MB of RAM in a file
#    (share=on), the source's filled with random bytes, so a completed
#    migration must leave the destination's file identical.
MB=256
q() {
	qemu-system-x86_64 -accel tcg -M pc,memory-backend=mem -m ${MB}M \
		-object memory-backend-file,id=mem,size=${MB}M,mem-path="$1",share=on \
		-nodefaults -display none -S -overcommit mem-lock=on \
		-qmp unix:"$2",server=on,wait=off "${@:3}"
}
Q="python3 $H/qmp.py"
sec qemu && head -c $((MB << 20)) /dev/urandom >/tmp/src.ram
sec qemu && for ip in 4 6; do
	addrs $ip
	for zc in true false; do
		echo "=== qemu multifd migration -$ip zero-copy-send=$zc, $MB MB of random RAM"
		truncate -s 0 /tmp/dst.ram; truncate -s $((MB << 20)) /tmp/dst.ram
		rm -f /tmp/src.qmp /tmp/dst.qmp
		$R bash -c "$(declare -f q); MB=$MB; q /tmp/dst.ram /tmp/dst.qmp -incoming defer" &
		q /tmp/src.ram /tmp/src.qmp &
		for i in $(seq 300); do [ -S /tmp/src.qmp ] && [ -S /tmp/dst.qmp ] && break; sleep 0.2; done
		snap
		caps='{"capability":"multifd","state":true}'
		$R $Q /tmp/dst.qmp migrate-set-capabilities "{\"capabilities\":[$caps]}" >/dev/null
		$R $Q /tmp/dst.qmp migrate-set-parameters '{"multifd-channels":2}' >/dev/null
		$R $Q /tmp/dst.qmp migrate-incoming "{\"uri\":\"$U\"}" >/dev/null
		$Q /tmp/src.qmp migrate-set-capabilities \
			"{\"capabilities\":[$caps,{\"capability\":\"zero-copy-send\",\"state\":$zc}]}" >/dev/null
		$Q /tmp/src.qmp migrate-set-parameters '{"multifd-channels":2}' >/dev/null
		$Q /tmp/src.qmp migrate "{\"uri\":\"$U\"}" >/dev/null
		$Q /tmp/src.qmp wait-migration >/tmp/mig.log 2>&1
		m=$?
		grep -E '"(transferred|normal|dirty-sync-missed-zero-copy)"|^status' /tmp/mig.log | tr -s ' ' | sed 's/^/    /'
		$Q /tmp/src.qmp quit >/dev/null
		$R $Q /tmp/dst.qmp quit >/dev/null
		wait
		a=$(sha256sum </tmp/src.ram | cut -c1-16); b=$(sha256sum </tmp/dst.ram | cut -c1-16)
		show
		[ $m = 0 ] && [ "$a" = "$b" ] && ok "migration completed, RAM sha256 $a on both ends" ||
			bad "migration status $m, RAM sha256 $a vs $b"
		# zero-copy-send: every page went zero-copy (no copy counter);
		# without it, no MSG_ZEROCOPY send at all
		if [ $counted = 1 ] && [ $zc = true ]; then
			zb=$(ctr ZCTxBytes)
			[ "${zb:-0}" -ge $((MB << 20)) ] && ! grep -q 'ZCTxCopy' <<<"$NSOUT" &&
				ok "ZCTxBytes ${zb} >= $MB MB, no ZCTxCopy* moved" ||
				bad "ZCTxBytes ${zb:-0}, copies: $(grep ZCTxCopy <<<"$NSOUT" | tr '\n' ' ')"
		elif [ $counted = 1 ]; then
			[ -z "$(ctr ZCTxSends)" ] && ok "no MSG_ZEROCOPY send without zero-copy-send" ||
				bad "ZCTxSends $(ctr ZCTxSends) without zero-copy-send"
		fi
	done
done
if dmesg | grep -E 'BUG|WARNING|KASAN|leak|lockdep|Call Trace' | head -5 | grep .; then
	bad "kernel log has a report"
fi
echo "CLIENTS: $pass passed, $fail failed"
[ $fail = 0 ]
