#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make clients: MSG_ZEROCOPY senders nobody here wrote, on the NIC pair
# (issue 15), each with its data checked and the zero-copy counters shown:
#   - 6.12's own msg_zerocopy and io_uring_zerocopy_tx, built from the
#     base's sources unchanged (TCP and UDP, IPv4 and IPv6);
#   - liburing 2.3's examples/send-zerocopy.c (Debian's source tarball,
#     fetched from deb.debian.org and checked against its sha256);
#   - QEMU's multifd live migration with zero-copy-send (Debian's
#     qemu-system-x86, both ends inside the test VM, the destination in the
#     remote netns), 256 MB of random guest RAM compared end to end.
# Not part of make check: it needs the network for liburing's source.
#
#   make clients [FLAVOUR=normal|debug|stock] [CLIENTS=all|base|liburing|qemu]
#
# Ends with "CLIENTS: N passed, N failed"; exit status 0 only if none failed.
. "$(dirname "$0")/lib.sh"

flavour=${FLAVOUR:-normal}
kernel=$BUILD/bzImage-$flavour
[ -f "$kernel" ] || die "no $kernel (make kernel, make kernel-debug, or make bench for stock)"
out=$BUILD/clients
mkdir -p "$out/src" "$LOGS"

# 6.12's programs, from the base commit as it is.
git -C "$TREE" archive base tools/include/io_uring \
	tools/testing/selftests/net/msg_zerocopy.c \
	tools/testing/selftests/net/io_uring_zerocopy_tx.c | tar x -C "$out/src" ||
	die "cannot read the base's selftests from build/linux (make tree)"
hdr=$(kout normal)/usr/include
kmake O="$(kout normal)" headers >"$LOGS/headers-clients.log" 2>&1 || die "make headers failed"
sel=$out/src/tools/testing/selftests/net
gcc -O2 -isystem "$hdr" -o "$out/msg_zerocopy-6.12" "$sel/msg_zerocopy.c" ||
	die "building 6.12's msg_zerocopy"
gcc -O2 -isystem "$hdr" -I "$out/src/tools/include" -o "$out/io_uring_zerocopy_tx-6.12" \
	"$sel/io_uring_zerocopy_tx.c" || die "building 6.12's io_uring_zerocopy_tx"

# liburing's example, against Debian's liburing-dev of the same version.
lu=liburing_2.3.orig.tar.gz
lusum=2eac26f880125d83f75ba8641fde5d88226dd352d3cee95d45a9128758a8f1be
if ! echo "$lusum  $out/$lu" | sha256sum -c --quiet >/dev/null 2>&1; then
	curl -sSf -m 120 -o "$out/$lu" "http://deb.debian.org/debian/pool/main/libu/liburing/$lu" ||
		die "cannot fetch $lu from deb.debian.org"
	echo "$lusum  $out/$lu" | sha256sum -c --quiet || die "$lu: wrong sha256"
fi
tar xzf "$out/$lu" -C "$out/src" liburing-2.3/examples/send-zerocopy.c
gcc -O2 -o "$out/send-zerocopy" "$out/src/liburing-2.3/examples/send-zerocopy.c" -luring ||
	die "building liburing's send-zerocopy"

msg "running the clients on $kernel"
res=$BUILD/results/clients-$flavour
rm -rf "$res"
"$TOP/scripts/vm-run.sh" --kernel "$kernel" --nic-pair --quiet --mem 3G --timeout 2400 \
	--out "$res" -- env CLIENTS_BIN="$out" bash "$TOP/scripts/guest/clients/run.sh" "${CLIENTS:-all}"
rc=$?
grep -E '^(===|    |CLIENTS:)' "$res/console.log" || true
exit $rc
