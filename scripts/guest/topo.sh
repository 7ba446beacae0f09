#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Test topologies, set up inside the VM (or on any scratch Linux host).
#
#   topo.sh nicpair    two e1000e NICs on one QEMU hub (vm-run.sh --nic-pair);
#                      the second one is moved into netns zc-remote, which
#                      plays the remote host.  MTU 4168 = 4096 payload + 40
#                      IPv6 + 32 TCP with timestamps, so e1000e's packet
#                      split lands every payload in a whole 4 KB page.
#                      TSO is off (QEMU's e1000e stalls with it).  The local
#                      NIC's IRQs go to CPU 1, the remote's to CPU 0.
#   topo.sh veth       a veth pair: veth-local here, veth-remote in zc-remote
#   topo.sh loopback   lo only; "remote" is this same namespace (netns zc-self)
#
# It writes the environment of tools/testing/selftests/drivers/net
# (NetDrvEpEnv: NETIF, LOCAL_V4/V6, REMOTE_V4/V6, REMOTE_TYPE, REMOTE_ARGS)
# plus LOCAL_CPU/REMOTE_CPU to /run/zc/topo.env and prints it.
set -e
NS=zc-remote
ENVF=/run/zc/topo.env
mkdir -p /run/zc /run/netns

ifname_by_mac() {
	local f
	for f in /sys/class/net/*/address; do
		[ "$(cat "$f")" = "$1" ] && { basename "$(dirname "$f")"; return 0; }
	done
	return 1
}

# pin_irqs IFNAME CPU [NETNS]: every IRQ whose name starts with IFNAME
pin_irqs() {
	local irq
	for irq in $(awk -v n="$1" '$NF == n || index($NF, n "-") == 1 { sub(":", "", $1); print $1 }' /proc/interrupts); do
		echo "$2" > "/proc/irq/$irq/smp_affinity_list"
	done
}

wait_ping() {
	local i
	for i in $(seq 1 100); do
		ip netns exec $NS ping -c1 -W1 -q "$1" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "topo: $1 not reachable from $NS" >&2
	return 1
}

write_env() {
	cat > $ENVF <<EOT
export NETIF=$1
export LOCAL_V4=$2
export REMOTE_V4=$3
export LOCAL_V6=$4
export REMOTE_V6=$5
export REMOTE_TYPE=$6
export REMOTE_ARGS=$7
export LOCAL_CPU=${8:-1}
export REMOTE_CPU=${9:-0}
export ZC_TOPO=$TOPO
EOT
	cat $ENVF
}

TOPO=${1:-nicpair}
ip link set lo up
case "$TOPO" in
nicpair)
	loc=$(ifname_by_mac 52:54:00:00:00:01) || { echo "topo: no NIC 52:54:00:00:00:01" >&2; exit 1; }
	rem=$(ifname_by_mac 52:54:00:00:00:02) || { echo "topo: no NIC 52:54:00:00:00:02" >&2; exit 1; }
	ip netns add $NS
	ip link set "$rem" netns $NS
	ip -n $NS link set lo up
	ip link set "$loc" mtu 4168
	ip -n $NS link set "$rem" mtu 4168
	ip addr add 192.0.2.1/24 dev "$loc"
	ip -6 addr add 2001:db8::1/64 dev "$loc" nodad
	ip -n $NS addr add 192.0.2.2/24 dev "$rem"
	ip -n $NS -6 addr add 2001:db8::2/64 dev "$rem" nodad
	ip link set "$loc" up
	ip -n $NS link set "$rem" up
	ethtool -K "$loc" tso off >/dev/null
	ip netns exec $NS ethtool -K "$rem" tso off >/dev/null
	pin_irqs "$loc" 1
	pin_irqs "$rem" 0
	wait_ping 192.0.2.1
	wait_ping 2001:db8::1
	write_env "$loc" 192.0.2.1 192.0.2.2 2001:db8::1 2001:db8::2 netns $NS
	;;
veth)
	ip netns add $NS
	ip link add veth-local mtu 4168 type veth peer name veth-remote mtu 4168 netns $NS
	ip -n $NS link set lo up
	ip addr add 198.51.100.1/24 dev veth-local
	ip -6 addr add 2001:db8:1::1/64 dev veth-local nodad
	ip -n $NS addr add 198.51.100.2/24 dev veth-remote
	ip -n $NS -6 addr add 2001:db8:1::2/64 dev veth-remote nodad
	ip link set veth-local up
	ip -n $NS link set veth-remote up
	wait_ping 198.51.100.1
	write_env veth-local 198.51.100.1 198.51.100.2 2001:db8:1::1 2001:db8:1::2 netns $NS
	;;
loopback)
	# "Remote" commands run in this same namespace, under a name.
	ip netns attach zc-self $$
	write_env lo 127.0.0.1 127.0.0.1 ::1 ::1 netns zc-self
	;;
*)
	echo "usage: topo.sh nicpair|veth|loopback" >&2
	exit 2
	;;
esac
