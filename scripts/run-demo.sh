#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make run: boot the patched kernel on the NIC pair and show zero-copy
# against copy, receive (tcp_mmap) and send (msg_zerocopy).
. "$(dirname "$0")/lib.sh"

SIZE=${SIZE:-256M}
tools=$BUILD/tools
mkdir -p "$tools"
sel=$TREE/tools/testing/selftests/net

# The series' own tcp_mmap takes -S SIZE; the base's always sends 32 GB,
# so until the series replaces it, build the base's with a smaller size.
if grep -q 'define FILE_SZ (1ULL << 35)' "$sel/tcp_mmap.c"; then
	echo "NOTE: patches/ does not yet replace tcp_mmap.c: running the base's"
	echo "      tcp_mmap and msg_zerocopy (FILE_SZ cut from 32 GB to $SIZE)"
	bytes=$(numfmt --from=iec "$SIZE")
	sed "s/define FILE_SZ (1ULL << 35)/define FILE_SZ (${bytes}ULL)/" "$sel/tcp_mmap.c" >"$tools/tcp_mmap.c"
	export ZC_TCP_MMAP_SIZE_OPT=
else
	cp "$sel/tcp_mmap.c" "$tools/tcp_mmap.c"
	export ZC_TCP_MMAP_SIZE_OPT="-S $SIZE"
fi
hdr=$(kout normal)/usr/include
kmake O="$(kout normal)" headers >/dev/null 2>&1 || die "make headers failed"
gcc -O2 -Wall -isystem "$hdr" -o "$tools/tcp_mmap" "$tools/tcp_mmap.c" -lpthread -lcrypto ||
	die "building tcp_mmap failed"
gcc -O2 -Wall -isystem "$hdr" -o "$tools/msg_zerocopy" "$sel/msg_zerocopy.c" ||
	die "building msg_zerocopy failed"

kver=$(cd "$TREE" && git describe --always --tags HEAD)
msg "booting $kver on the NIC pair (QEMU TCG, e1000e x2, MTU 4168)"
# A newcomer reads this output: drop the firmware's terminal escape
# sequences and QEMU's warning that the NIC hub has no host uplink (the
# two NICs talk to each other only, by design).
"$TOP/scripts/vm-run.sh" --nic-pair --timeout 900 \
	-- env TOOLS="$tools" ZC_TCP_MMAP_SIZE_OPT="$ZC_TCP_MMAP_SIZE_OPT" bash "$TOP/scripts/guest/demo.sh" 2>&1 |
	sed -u -e 's/\x1b\(c\|\[[0-9;?]*[A-Za-z]\)//g' -e '/hub [0-9]* is not connected to host network/d'
exit "${PIPESTATUS[0]}"
