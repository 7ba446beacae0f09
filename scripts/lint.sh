#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make lint: the checks netdev CI runs on every series.
#   1. scripts/checkpatch.pl --strict on every patch (exceptions, each
#      justified, in lint/checkpatch-exceptions.txt)
#   2. every patch builds on its own (incremental builds, in order; a
#      patch that changes only tools/testing/ or Documentation/ leaves
#      vmlinux as the one before it and is not rebuilt), and
#      the other users of the zero-copy transmit completion (TLS, RDS,
#      vhost-net, tun/tap, vsock, io_uring) build at the top of the series
#   3. W=1 and sparse (C=2) add no warning in the .c files the series touches
#   4. scripts/kernel-doc -Wall adds no warning in the files the series touches
# Results: TAP in build/results/lint/lint.tap.
. "$(dirname "$0")/lib.sh"

res=$BUILD/results/lint
rm -rf "$res"
mkdir -p "$res"
tap=$res/lint.tap
n=0 fails=0
# result NAME OUTPUT-FILE STATUS
result() {
	n=$((n + 1))
	sed 's/^/# /' "$2" >>"$tap"
	if [ "$3" = 0 ]; then
		echo "ok $n $1" >>"$tap"; echo "PASS  $1"
	else
		echo "not ok $n $1" >>"$tap"; echo "FAIL  $1"; fails=$((fails + 1))
		tail -25 "$2" | sed 's/^/      /'
	fi
}

cd "$TREE" || die "no kernel tree: run 'make tree' first"
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	die "$TREE has uncommitted changes; commit them first"
: >"$tap"
patches=$(series_patches)
commits=$(git rev-list --reverse base..HEAD)

# 1. checkpatch
exc=$TOP/lint/checkpatch-exceptions.txt
for p in $patches; do
	name=$(basename "$p")
	log=$res/checkpatch-$name.log
	./scripts/checkpatch.pl --strict --show-types --no-summary --terse "$p" >"$log.raw" 2>&1
	: >"$log"
	while IFS= read -r line; do
		type=$(echo "$line" | sed -n 's/.*: \(ERROR\|WARNING\|CHECK\):\([A-Z_0-9]*\):.*/\2/p')
		ok=0
		if [ -n "$type" ]; then
			while read -r glob t why; do
				case "$glob" in ''|'#'*) continue ;; esac
				# shellcheck disable=SC2053
				[[ $name == $glob ]] && [ "$t" = "$type" ] && [ -n "$why" ] && ok=1
			done <"$exc"
		fi
		[ $ok = 1 ] || echo "$line" >>"$log"
	done <"$log.raw"
	result "checkpatch --strict $name" "$log" "$([ -s "$log" ] && echo 1 || echo 0)"
done

# 2. each patch builds (vmlinux of the normal config, incrementally)
out=$(kout normal)
[ -f "$out/.config" ] || "$TOP/scripts/build-kernel.sh" normal >/dev/null ||
	die "cannot configure the kernel"
head=$(git symbolic-ref -q --short HEAD || git rev-parse HEAD)
# Whatever happens, leave the developer's tree where it was.
trap 'git -C "$TREE" checkout -q "$head"' EXIT
i=0
prev_ok=0
for c in $commits; do
	i=$((i + 1))
	subj=$(git log -1 --format=%s "$c")
	log=$res/build-$i.log
	# A patch that changes nothing outside tools/testing/ and Documentation/
	# leaves vmlinux as the patch before it built it: no build needed.
	if [ $prev_ok = 1 ] &&
	   git diff --quiet "$c^" "$c" -- . ':(exclude)tools/testing' ':(exclude)Documentation'; then
		echo "touches only tools/testing/ and Documentation/: vmlinux as patch $((i - 1))" >"$log"
		result "patch $i builds: $subj" "$log" 0
		continue
	fi
	git checkout -q "$c" || die "cannot check out $c"
	msg "build patch $i/$(echo "$commits" | wc -w): $subj"
	if ( with_progress "$log.full" "build $i" kmake O="$out" -j"$JOBS" vmlinux ) >"$log" 2>&1; then
		result "patch $i builds: $subj" "$log" 0
		prev_ok=1
	else
		result "patch $i builds: $subj" "$log" 1
		prev_ok=0
	fi
done
git checkout -q "$head"
log=$res/build-users.log
if "$TOP/scripts/build-kernel.sh" users >"$log" 2>&1; then
	result "other ubuf_info users build (TLS, RDS, vhost-net, tun/tap, vsock, io_uring)" "$log" 0
else
	tail -40 "$LOGS/kernel-users.log" >>"$log"
	result "other ubuf_info users build (TLS, RDS, vhost-net, tun/tap, vsock, io_uring)" "$log" 1
fi

# 3. W=1 + sparse, 4. kernel-doc: new warnings only, base vs HEAD.
files=$(git diff --name-only --diff-filter=AM base..HEAD -- '*.c' '*.h' | grep -v -E '^(tools|Documentation|scripts)/' || true)
cfiles=$(echo "$files" | grep '\.c$' || true)
# Warnings of one file, without line numbers so that moved code compares equal.
norm() { sed -E 's/:[0-9]+:[0-9]+:/:/; s/:[0-9]+:/:/' | grep -E 'warning|error' | sort -u; }
collect() {  # collect TAG: W=1/sparse and kernel-doc warnings at the checked-out commit
	local f o
	: >"$res/w1-$1.txt"; : >"$res/kdoc-$1.txt"
	for f in $files; do
		[ -f "$f" ] || continue
		./scripts/kernel-doc -none -Wall "$f" 2>&1 | norm >>"$res/kdoc-$1.txt"
	done
	for f in $cfiles; do
		[ -f "$f" ] || continue
		o=${f%.c}.o
		# only objects this config builds
		[ -f "$out/$o" ] || continue
		kmake O="$out" W=1 C=2 "$o" 2>&1 | norm >>"$res/w1-$1.txt"
	done
	sort -u -o "$res/w1-$1.txt" "$res/w1-$1.txt"
	sort -u -o "$res/kdoc-$1.txt" "$res/kdoc-$1.txt"
}
if [ -n "$files" ]; then
	msg "W=1 + sparse + kernel-doc on: $(echo $files)"
	git checkout -q base
	collect base
	git checkout -q "$head"
	collect head
	kmake O="$out" -j"$JOBS" vmlinux >/dev/null 2>&1
fi
for k in w1 kdoc; do
	touch "$res/$k-base.txt" "$res/$k-head.txt"
	comm -13 "$res/$k-base.txt" "$res/$k-head.txt" >"$res/$k-new.txt"
done
if [ -z "$files" ]; then
	n=$((n + 1)); echo "ok $n W=1, sparse and kernel-doc # SKIP the series touches no kernel C file" >>"$tap"
	echo "SKIP  W=1, sparse and kernel-doc: the series touches no kernel C file"
else
	result "W=1 and sparse add no warning ($(echo $cfiles | wc -w) files)" "$res/w1-new.txt" \
		"$([ -s "$res/w1-new.txt" ] && echo 1 || echo 0)"
	result "kernel-doc -Wall adds no warning ($(echo $files | wc -w) files)" "$res/kdoc-new.txt" \
		"$([ -s "$res/kdoc-new.txt" ] && echo 1 || echo 0)"
fi

echo "lint: $((n - fails)) passed, $fails failed"
[ $fails = 0 ]
