# SPDX-License-Identifier: GPL-2.0
# Common settings for the harness scripts.  Sourced, never executed.

set -o pipefail

# Debian's python3 and tools first: the apt-installed modules (ply for
# checkpatch's spdxcheck, matplotlib) live there, not in a pyenv.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
TREE=$BUILD/linux
LOGS=$BUILD/logs

# Pinned base: Debian's linux-source-6.12 (override with BASE_VERSION/BASE_SHA256)
BASE_PKG=linux-source-6.12
BASE_VERSION=${BASE_VERSION:-6.12.117-1~deb12u1}
BASE_TARBALL=/usr/src/linux-source-6.12.tar.xz
BASE_SHA256=${BASE_SHA256:-585a4a074597aefa2b1a68ada83a3184ba351c127544dea80618bbcceaa3961f}

# Identity for every commit in the kernel tree (DEVELOPERS.md)
ZC_NAME="Zero-copy TCP developers"
ZC_EMAIL="dev@zerocopy-tcp.invalid"
export GIT_AUTHOR_NAME="$ZC_NAME" GIT_AUTHOR_EMAIL="$ZC_EMAIL"
export GIT_COMMITTER_NAME="$ZC_NAME" GIT_COMMITTER_EMAIL="$ZC_EMAIL"

JOBS=${JOBS:-$(( $(nproc) + 1 ))}

msg()  { printf '==> %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Kernel output directory for a config flavour (normal | debug)
kout() { echo "$BUILD/out/$1"; }

# make(1) wrapper for the kernel tree, with ccache when available
kmake() {
	local cc=gcc
	if command -v ccache >/dev/null 2>&1; then
		cc="ccache gcc"
		export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/zc-ccache}
		export CCACHE_BASEDIR=${KTREE:-$TREE} CCACHE_NOHASHDIR=1
		ccache -M 10G >/dev/null 2>&1 || true
	fi
	# One kernel build at a time on this machine: the lock serialises
	# make kernel, make bench and lint runs started from different shells.
	mkdir -p "$BUILD"
	KBUILD_BUILD_TIMESTAMP='Sun Nov 22 00:00:00 UTC 2026' \
	KBUILD_BUILD_USER=zc KBUILD_BUILD_HOST=zc \
	flock "$BUILD/.kbuild.lock" make -C "${KTREE:-$TREE}" CC="$cc" HOSTCC=gcc "$@"
}

# Series patches (not the cover letter), in order
series_patches() {
	ls "$TOP"/patches/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v '/0000-' || true
}

# Run "$@" with output to a log, printing a progress line every ~20 s
# and the tail of the log on failure.
with_progress() {
	local log=$1 what=$2; shift 2
	mkdir -p "$(dirname "$log")"
	local start=$SECONDS
	"$@" >"$log" 2>&1 &
	local pid=$! last=$SECONDS
	while kill -0 $pid 2>/dev/null; do
		sleep 2
		if (( SECONDS - last >= 20 )); then
			last=$SECONDS
			printf '    [%3ds] %s: %s\n' $((SECONDS - start)) "$what" \
				"$(grep -E '^\s+(CC|LD|AR|AS|HOSTCC|GEN|CHECK)' "$log" | tail -1 | sed 's/^ *//')"
		fi
	done
	if ! wait $pid; then
		echo "---- last 40 lines of $log ----"
		tail -40 "$log"
		die "$what failed (full log: $log)"
	fi
	printf '    [%3ds] %s: done\n' $((SECONDS - start)) "$what"
}
