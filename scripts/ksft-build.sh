#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build and install the kselftests listed in tests/kselftest.list into
# build/kselftest, with the kselftest framework's own install rule and
# runner (run_kselftest.sh + kselftest-list.txt).
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
for coll in "${order[@]}"; do
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
