# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest scripts (demo.sh, clients/run.sh).
#
# listening [-u] [NETNS-EXEC...] PORT: wait until a TCP socket listens (-u:
# a UDP socket is bound) on PORT, in this netns or, with a prefix such as
# "ip netns exec zc-remote", in that one.  A fixed sleep is not enough on a
# slow or busy machine; this waits as long as it takes, at most 60 s.
listening() {
	local proto=t port i
	[ "$1" = -u ] && { proto=u; shift; }
	port=${*: -1}
	for i in $(seq 300); do
		"${@:1:$#-1}" ss -Hn${proto}l "sport = :$port" | grep -q . && return 0
		sleep 0.2
	done
	echo "    nothing listens on port $port after 60 s" >&2
	return 1
}
