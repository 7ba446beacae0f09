#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make patches: export base..HEAD of build/linux into patches/, deterministically.
#   export.sh            write patches/
#   export.sh --to DIR   write the export into DIR instead (used to compare)
. "$(dirname "$0")/lib.sh"

dest=$TOP/patches
[ "${1:-}" = --to ] && dest=$2

[ -d "$TREE/.git" ] || die "no kernel tree: run 'make tree' first"
cd "$TREE" || die "cannot enter $TREE"
git rev-parse -q --verify base >/dev/null || die "$TREE has no 'base' tag"
if [ "$dest" = "$TOP/patches" ] && [ "${FORCE:-0}" != 1 ]; then
	# Never export a tree left detached (e.g. by an interrupted lint) or
	# one that lost commits: that would delete patches.
	[ "$(git symbolic-ref -q --short HEAD)" = main ] ||
		die "build/linux is not on branch main (git checkout main); FORCE=1 to export anyway"
	if [ -z "$(git rev-list base..HEAD)" ] && [ -n "$(ls "$TOP"/patches/[0-9]*.patch 2>/dev/null)" ]; then
		die "build/linux has no commits on base, patches/ has some: refusing to delete them; FORCE=1 to export anyway"
	fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=$(git rev-list --count base..HEAD)
if [ "$n" -gt 0 ]; then
	cover=$TOP/patches/cover-letter.txt
	[ -s "$cover" ] || die "$cover is missing: its first paragraph is the cover letter's subject, the rest its body"
	git config branch.main.description "$(cat "$cover")"
	# A stable cover-letter date: the newest commit's author date.
	GIT_COMMITTER_DATE=$(git log -1 --format=%aD HEAD) \
	GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 \
	git format-patch -q --zero-commit --no-signature --no-numbered-files \
		--diff-algorithm=myers --no-renames \
		--cover-letter --cover-from-description=subject \
		--base=base~0 --subject-prefix="PATCH net-next" \
		-o "$tmp" base..HEAD
	# --base prints the base commit id, which depends on how the tree was
	# generated; drop it, the base is the pinned Debian source.
	sed -i '/^base-commit: /d' "$tmp"/*.patch
	[ "$(ls "$tmp"/*.patch | wc -l)" = $((n + 1)) ] || die "git format-patch failed"
fi

mkdir -p "$dest"
# Remove stale patches, keep the cover-letter source.
find "$dest" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' -delete
cp "$tmp"/*.patch "$dest"/ 2>/dev/null || true
if [ "$dest" = "$TOP/patches" ]; then
	git update-ref refs/zc/synced HEAD
	msg "exported $n patch(es) to patches/"
fi
