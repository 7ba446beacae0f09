#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what the harness needs with apt (Debian 12), only what is missing,
# then install and verify the pinned base kernel source.
. "$(dirname "$0")/lib.sh"

PKGS=(
	# kernel build
	gcc make flex bison bc libelf-dev libssl-dev dwarves cpio xz-utils
	git perl python3 python3-ply python3-git ccache sparse rsync
	# VM and topologies
	qemu-system-x86 iproute2 ethtool iputils-ping busybox-static file procps kmod util-linux
	# selftests
	libcap-dev libmnl-dev liburing-dev libnuma-dev
	# packetdrill (built from PACKETDRILL_SRC; flex, bison above) sets its tun MTU with ifconfig
	net-tools
	# benchmark plots
	python3-matplotlib
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

cur=$(dpkg-query -W -f='${Version}' "$BASE_PKG" 2>/dev/null || true)
[ "$cur" = "$BASE_VERSION" ] || missing+=("$BASE_PKG=$BASE_VERSION")

if [ ${#missing[@]} -gt 0 ]; then
	msg "apt: installing ${missing[*]}"
	SUDO=
	[ "$(id -u)" = 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -q >/dev/null || warn "apt-get update failed"
	aptlog=$(mktemp)
	# --allow-downgrades: a later security update of linux-source-6.12
	# must not stop us from installing the pinned version.
	if ! $SUDO apt-get install -y -q --no-install-recommends --allow-downgrades \
		"${missing[@]}" >"$aptlog" 2>&1; then
		tail -20 "$aptlog"
		if [[ " ${missing[*]} " == *" $BASE_PKG="* ]]; then
			die "could not install $BASE_PKG=$BASE_VERSION, the pinned base.
       The series is made against exactly this version. To build on another
       6.12 source anyway, install it and rerun with
       BASE_VERSION=<its version> BASE_SHA256=<sha256 of $BASE_TARBALL>."
		fi
		die "apt-get install failed"
	fi
fi

cur=$(dpkg-query -W -f='${Version}' "$BASE_PKG" 2>/dev/null || true)
[ "$cur" = "$BASE_VERSION" ] ||
	die "$BASE_PKG is at version '${cur:-none}', expected $BASE_VERSION.
       Install it with: apt-get install $BASE_PKG=$BASE_VERSION
       or override with BASE_VERSION=$cur BASE_SHA256=<sha256 of $BASE_TARBALL>."

sum=$(sha256sum "$BASE_TARBALL" | cut -d' ' -f1)
[ "$sum" = "$BASE_SHA256" ] ||
	die "$BASE_TARBALL has sha256 $sum, expected $BASE_SHA256 ($BASE_PKG $BASE_VERSION).
       Reinstall the package, or override with BASE_SHA256=$sum if you really
       mean to use this tarball."
exit 0
