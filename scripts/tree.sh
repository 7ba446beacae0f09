#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make tree: build/linux = pinned base (one commit, tag 'base') + patches/.
# Idempotent; refuses to discard commits or edits that are not exported.
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/deps.sh" || exit 1

if [ ! -d "$TREE/.git" ]; then
	msg "extracting $BASE_TARBALL into build/linux"
	rm -rf "$BUILD/extract"
	mkdir -p "$BUILD/extract"
	tar -xJf "$BASE_TARBALL" -C "$BUILD/extract"
	rm -rf "$TREE"
	mv "$BUILD/extract/linux-source-6.12" "$TREE"
	rmdir "$BUILD/extract"
	cd "$TREE"
	git init -q -b main
	git config user.name "$ZC_NAME"
	git config user.email "$ZC_EMAIL"
	git config core.abbrev 12
	git add -A -f
	GIT_AUTHOR_DATE="2025-01-01T00:00:00Z" GIT_COMMITTER_DATE="2025-01-01T00:00:00Z" \
		git commit -q -m "Linux $(make -s kernelversion) from Debian $BASE_PKG $BASE_VERSION"
	git tag base
	git update-ref refs/zc/synced HEAD
fi

cd "$TREE"
git rev-parse -q --verify base >/dev/null || die "$TREE exists but has no 'base' tag; remove it"
if [ -d .git/rebase-apply ]; then
	die "a 'git am' is in progress in $TREE: finish it (git am --continue) or abort it (git am --abort)"
fi
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	git status --short --untracked-files=no | head -20
	die "$TREE has uncommitted changes: commit them and run 'make patches', or discard them"
fi

cur=$(mktemp -d)
trap 'rm -rf "$cur"' EXIT
"$TOP/scripts/export.sh" --to "$cur"
same() { diff -q <(cd "$1" && cat [0-9]*.patch 2>/dev/null | grep -v '^Date: ') \
	<(cd "$2" && cat [0-9]*.patch 2>/dev/null | grep -v '^Date: ') >/dev/null; }

if same "$cur" "$TOP/patches"; then
	git update-ref refs/zc/synced HEAD
	msg "build/linux is up to date with patches/ ($(git rev-list --count base..HEAD) patches)"
	exit 0
fi

synced=$(git rev-parse -q --verify refs/zc/synced || true)
if [ "$(git rev-parse HEAD)" != "$synced" ] && [ "${FORCE:-0}" != 1 ]; then
	die "build/linux has commits that are not exported to patches/:
$(git log --oneline "${synced:-base}"..HEAD | head -20)
       Run 'make patches' to export them, or 'make tree FORCE=1' to discard them."
fi

msg "applying $(series_patches | wc -l) patch(es) from patches/ onto base"
git checkout -q -B main base
for p in $(series_patches); do
	if ! git am -q --keep-cr "$p"; then
		git am --abort
		die "patch $(basename "$p") does not apply on the base"
	fi
done
git update-ref refs/zc/synced HEAD
msg "build/linux: base + $(git rev-list --count base..HEAD) patches"
