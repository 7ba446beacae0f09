#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make kernel / make kernel-debug: configure and build a bzImage from build/linux.
#   build-kernel.sh normal|debug
. "$(dirname "$0")/lib.sh"

flavour=${1:-normal}
out=$(kout "$flavour")
frags=("$TOP/configs/zc.config")
[ "$flavour" = stock ] || frags+=("$TOP/configs/series.config")
[ "$flavour" = debug ] && frags+=("$TOP/configs/debug.config")
[ "$flavour" = users ] && frags+=("$TOP/configs/users.config")
# users: the objects of the other ubuf_info users (configs/users.config)
USERS_TARGETS="net/tls/ net/rds/ drivers/vhost/ drivers/net/tap.o
	drivers/net/tun.o drivers/net/macvtap.o net/vmw_vsock/ io_uring/"
[ -d "$TREE/.git" ] || die "no kernel tree: run 'make tree' first"
mkdir -p "$out" "$LOGS"

# frag_ok FRAGMENT [quiet]: every symbol the fragment asks for is in .config.
frag_ok() {
	local line sym bad=0
	while IFS= read -r line; do
		sym=${line%%=*}
		case "$line" in
		CONFIG_*=n)
			grep -q "^$sym=" "$out/.config" &&
				{ [ -n "${2:-}" ] || warn "$sym is set, wanted n"; bad=1; } ;;
		CONFIG_*=*)
			grep -qxF "$line" "$out/.config" ||
				{ [ -n "${2:-}" ] || warn "$line did not survive (got: $(grep -E "^$sym=|^# $sym is not set" "$out/.config"))"; bad=1; } ;;
		esac
	done < <(grep -E '^CONFIG_' "$1")
	return $bad
}

# The merged fragment; reconfigure when it changed, or when .config lost
# one of its symbols (the lint lane builds older commits in the same
# output directory, and Kconfig drops a symbol those commits lack).
all=$out/zc-fragment.config
cat "${frags[@]}" >"$all.new"
if ! cmp -s "$all.new" "$all" || [ ! -f "$out/.config" ] || ! frag_ok "$all.new" quiet; then
	msg "configuring $flavour kernel (allnoconfig + ${frags[*]##*/})"
	rm -f "$all"
	kmake O="$out" KCONFIG_ALLCONFIG="$all.new" allnoconfig >"$LOGS/config-$flavour.log" 2>&1 ||
		{ tail -20 "$LOGS/config-$flavour.log"; die "kernel configuration failed"; }
	kmake O="$out" olddefconfig >>"$LOGS/config-$flavour.log" 2>&1 ||
		die "olddefconfig failed"
	# Every symbol we ask for must have survived: a typo or an unmet
	# dependency would otherwise silently drop it.
	frag_ok "$all.new" || die "config fragment not fully applied (see warnings above)"
	# Only a verified configuration is remembered as done.
	mv "$all.new" "$all"
else
	rm -f "$all.new"
fi

if [ "$flavour" = users ]; then
	msg "building the other ubuf_info users (log: build/logs/kernel-users.log)"
	# shellcheck disable=SC2086
	with_progress "$LOGS/kernel-users.log" "kernel-users" \
		kmake O="$out" -j"$JOBS" $USERS_TARGETS
	exit
fi
msg "building $flavour bzImage ($JOBS jobs, log: build/logs/kernel-$flavour.log)"
with_progress "$LOGS/kernel-$flavour.log" "kernel-$flavour" \
	kmake O="$out" -j"$JOBS" bzImage
cp "$out/arch/x86/boot/bzImage" "$BUILD/bzImage-$flavour"
# The symbols of that image, for make bench PROFILE=: the lint lane
# rebuilds older commits in the same output directory.
cp "$out/System.map" "$BUILD/System.map-$flavour"
msg "built build/bzImage-$flavour ($(cd "$TREE" && git describe --always --tags HEAD))"
