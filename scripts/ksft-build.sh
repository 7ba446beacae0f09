#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build and install the kselftests listed in tests/kselftest.list into
# build/kselftest, with the kselftest framework's own install rule and
# runner (run_kselftest.sh + kselftest-list.txt).
#
# net/packetdrill (the base's .pkt scripts, run by that directory's
# ksft_runner.sh) needs packetdrill, which Debian does not ship: it is
# built from its source tarball PACKETDRILL_SRC into build/packetdrill,
# or else taken from PATH, and installed as build/kselftest/bin/packetdrill
# (the guest puts that directory first in PATH).  Without it the
# collection is left out and stands as one SKIP result (one FAIL if
# PACKETDRILL_SRC does not build) in build/kselftest/not-run.tap, plain
# TAP that test.sh hands to summarize.py.
. "$(dirname "$0")/lib.sh"

sel=$TREE/tools/testing/selftests
dest=$BUILD/kselftest
hdr=$(kout normal)/usr/include
rm -rf "$dest" "$BUILD/ksft-out"
mkdir -p "$dest" "$LOGS"

kmake O="$(kout normal)" headers >"$LOGS/headers.log" 2>&1 || die "make headers failed"

# collection -> programs / files
declare -A progs gens
order=()
while read -r coll prog deps; do
	case "$coll" in ''|'#'*) continue ;; esac
	[ -n "${gens[$coll]+x}" ] || order+=("$coll")
	progs[$coll]+=""
	[ "$prog" = - ] || progs[$coll]+=" $prog"
	gens[$coll]+=" $deps"
done <"$TOP/tests/kselftest.list"

: >"$dest/kselftest-list.txt"
# packetdrill_install: build/kselftest/bin/packetdrill, or one result in
# not-run.tap for the whole collection (SKIP: none; FAIL: does not build)
packetdrill_install() {
	local src=${PACKETDRILL_SRC:-} dir=$BUILD/packetdrill bin sum
	local what="net/packetdrill: $(grep -c '^net/packetdrill ' "$TOP/tests/kselftest.list") scripts not run"
	if [ -z "$src" ]; then
		bin=$(command -v packetdrill) || {
			msg "kselftest: net/packetdrill: left out, no packetdrill"
			echo "ok 1 $what: no packetdrill (set PACKETDRILL_SRC=<packetdrill source tarball>, or put packetdrill in PATH) # SKIP" >>"$dest/not-run.tap"
			return 1
		}
	else
		# Built once per tarball: its sha256 is kept in build/packetdrill/.src.
		bin=$dir/gtests/net/packetdrill/packetdrill
		sum=$(sha256sum 2>/dev/null <"$src") || {
			echo "not ok 1 $what: PACKETDRILL_SRC=$src: no such file" >>"$dest/not-run.tap"
			warn "PACKETDRILL_SRC=$src: no such file"
			return 1
		}
		if [ ! -x "$bin" ] || [ "$(cat "$dir/.src" 2>/dev/null)" != "$sum" ]; then
			msg "kselftest: building packetdrill from $src"
			rm -rf "$dir" && mkdir -p "$dir" &&
			(tar xzf "$src" -C "$dir" --strip-components=1 &&
			 cd "$dir/gtests/net/packetdrill" && ./configure &&
			 make -j"$JOBS" packetdrill) >"$LOGS/packetdrill.log" 2>&1 && [ -x "$bin" ] || {
				tail -20 "$LOGS/packetdrill.log"
				echo "not ok 1 $what: building packetdrill from $src failed (build/logs/packetdrill.log)" >>"$dest/not-run.tap"
				warn "building packetdrill from $src failed (build/logs/packetdrill.log)"
				return 1
			}
			echo "$sum" >"$dir/.src"
		fi
	fi
	msg "kselftest: packetdrill: $bin"
	mkdir -p "$dest/bin" && cp "$bin" "$dest/bin/packetdrill" || die "installing packetdrill failed"
}
for coll in "${order[@]}"; do
	[ "$coll" != net/packetdrill ] || packetdrill_install || continue
	g=$(echo ${gens[$coll]} | tr ' ' '\n' | sort -u | tr '\n' ' ')
	msg "kselftest: $coll:${progs[$coll]}"
	mkdir -p "$BUILD/ksft-out/$coll"
	make -C "$sel/$coll" -f "$TOP/scripts/ksft-install.mk" -j"$JOBS" \
		OUTPUT="$BUILD/ksft-out/$coll" INSTALL_PATH="$dest/$coll" \
		KHDR_INCLUDES="-isystem $hdr" SRC_PATH="$sel" OBJ_PATH="$dest" \
		ZC_PROGS="${progs[$coll]}" ZC_GEN="$g" \
		zc_install >"$LOGS/ksft-$(echo "$coll" | tr / _).log" 2>&1 ||
		{ tail -30 "$LOGS/ksft-$(echo "$coll" | tr / _).log"; die "building kselftests for $coll failed"; }
	for p in ${progs[$coll]:-}; do
		echo "$coll:$p" >>"$dest/kselftest-list.txt"
	done
done
mkdir -p "$dest/kselftest"
cp "$sel/run_kselftest.sh" "$dest/" &&
cp "$sel/kselftest/runner.sh" "$sel/kselftest/prefix.pl" "$sel/kselftest/ktap_helpers.sh" "$dest/kselftest/" ||
	die "installing the kselftest runner failed"
msg "kselftest: $(wc -l <"$dest/kselftest-list.txt") tests in build/kselftest"
