#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of "make run": receive and send, copy against zero-copy, on
# the NIC pair.  $TOOLS holds tcp_mmap and msg_zerocopy.
set -e -o pipefail
bash "$(dirname "$0")/topo.sh" nicpair >/dev/null
. /run/zc/topo.env
R="ip netns exec $REMOTE_ARGS"

# counters NS...: the zero-copy counters (nstat) of this namespace that
# moved since the last call, i.e. why bytes were, or were not, zero-copy.
counters() {
	local out
	out=$(nstat 2>/dev/null | grep -E 'TCPZC|ZCTx' || true)
	if [ -n "$out" ]; then
		echo "    counters that moved (nstat):"
		sed 's/^/      /' <<<"$out"
	else
		echo "    counters that moved (nstat): none of TcpExtTCPZC*, TcpExtZCTx*"
	fi
}
. "$(dirname "$0")/listening.sh"
export NSTAT_HISTORY=/tmp/nstat.demo
nstat -n >/dev/null 2>&1 || true

# rx MODE-FLAGS: receiver (server) here on LOCAL_CPU, sender there.
rx() {
	local log=/tmp/rx.$$.log
	taskset -c "$LOCAL_CPU" stdbuf -oL "$TOOLS/tcp_mmap" -s $1 >"$log" 2>&1 &
	local srv=$!
	listening 8787
	$R taskset -c "$REMOTE_CPU" "$TOOLS/tcp_mmap" -H "$LOCAL_V6" $ZC_TCP_MMAP_SIZE_OPT >/dev/null
	for _ in $(seq 50); do grep -q 'cpu usage' "$log" && break; sleep 0.2; done
	kill $srv 2>/dev/null; wait $srv 2>/dev/null || true
	sed 's/^/    /' "$log"
	counters
}

echo
echo "== receive, $ZC_TOPO, IPv6, MSS 4096: recvmsg() copy"
rx ""
echo "== receive, $ZC_TOPO, IPv6, MSS 4096: TCP_ZEROCOPY_RECEIVE (tcp_mmap -z)"
rx "-z"

# tx FLAGS: sender here, receiver there.
tx() {
	# -t bounds how long the series' receiver waits for the connection
	# (it ends at the sender's EOF): generous for a busy machine.
	$R "$TOOLS/msg_zerocopy" -6 -r -t 60 -C "$REMOTE_CPU" -S "$LOCAL_V6" -D "$REMOTE_V6" tcp >/dev/null 2>&1 &
	local rcv=$!
	listening $R 8000
	taskset -c "$LOCAL_CPU" "$TOOLS/msg_zerocopy" -6 -t 2 -C "$LOCAL_CPU" -S "$LOCAL_V6" -D "$REMOTE_V6" $1 tcp 2>&1 | sed 's/^/    /'
	wait $rcv || true
	counters
}
echo "== send, $ZC_TOPO, IPv6: send() copy"
tx ""
echo "== send, $ZC_TOPO, IPv6: MSG_ZEROCOPY (msg_zerocopy -z)"
tx "-z"
