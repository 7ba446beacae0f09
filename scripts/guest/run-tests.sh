#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of "make test": bring up the NIC pair (when present) so that
# drivers/net tests see the NetDrvEpEnv variables, then run the installed
# kselftests with the kselftest runner.  TAP goes to /mnt/kselftest.tap.
#   run-tests.sh KSELFTEST_DIR [run_kselftest.sh options, e.g. -c net/packetdrill]
KSFT=$1
shift
if [ -e /sys/class/net/eth0 ]; then
	bash "$(dirname "$0")/topo.sh" nicpair >/dev/null || exit 1
	. /run/zc/topo.env
fi
cd "$KSFT" || exit 1
# The kselftest tree is read-only here; tests write to /tmp.
export TMPDIR=/tmp
# Tools installed with the tests (packetdrill, for net/packetdrill's
# ksft_runner.sh) come first in PATH.
[ -d bin ] && export PATH=$PWD/bin:$PATH
# Emulation is a slow machine: packetdrill scripts get the timing
# tolerance the base's ksft_runner.sh gives one (14 ms instead of 4).
export KSFT_MACHINE_SLOW=yes
# A hung test must not eat the whole VM timeout.
./run_kselftest.sh --override-timeout "${KSFT_TIMEOUT:-600}" "$@" 2>&1 | tee /mnt/kselftest.tap
exit "${PIPESTATUS[0]}"
