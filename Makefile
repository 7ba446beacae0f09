# SPDX-License-Identifier: GPL-2.0
# Zero-copy TCP for Linux: harness entry points.  See README.md.

S := scripts

.PHONY: all deps tree patches kernel kernel-debug run check test lint bench vm help
all: help

help:
	@echo "make run      build if needed, boot on the NIC pair, zero-copy vs copy"
	@echo "make check    every test and check (what CI runs)"
	@echo "make tree     build/linux = pinned base + patches/"
	@echo "make patches  export build/linux commits into patches/"
	@echo "make kernel | kernel-debug | test | lint | bench"

deps:
	@$(S)/deps.sh

tree:
	@$(S)/tree.sh

patches:
	@$(S)/export.sh

kernel: tree
	@$(S)/build-kernel.sh normal

kernel-debug: tree
	@$(S)/build-kernel.sh debug

run: kernel
	@$(S)/run-demo.sh

test: kernel
	@$(S)/test.sh normal

lint: tree
	@$(S)/lint.sh

check:
	@$(S)/check.sh

# Issue 5: bench/zc_bench.c, scripts/guest/bench.sh and
# scripts/bench-report.py exist; the stock-vs-series orchestration does not yet.
bench:
	@echo "make bench: not wired yet (see issue 5 and bench/)"; exit 1

# Boot a kernel and run a command in it: make vm CMD="uname -a" [FLAVOUR=debug]
vm:
	@$(S)/vm-run.sh --kernel build/bzImage-$(or $(FLAVOUR),normal) -- $(CMD)
