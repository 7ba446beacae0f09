# SPDX-License-Identifier: GPL-2.0
# Zero-copy TCP for Linux: harness entry points.  See README.md.

S := scripts

.PHONY: all deps tree patches kernel kernel-debug run check test lint bench soak clients vm help
all: help

help:
	@echo "make run      build if needed, boot on the NIC pair, zero-copy vs copy"
	@echo "make check    every test and check (what CI runs)"
	@echo "make tree     build/linux = pinned base + patches/"
	@echo "make patches  export build/linux commits into patches/"
	@echo "make kernel | kernel-debug | test | lint | bench | soak | clients"

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

# CPU cost per MB, stock kernel against the series, on the NIC pair:
# exact instructions of the measured vCPU (a TCG plugin).
# make bench [QUICK=1 | SMOKE=1 | PROFILE=<row>] [BENCH_SKIP_BUILD=1]
# (scripts/bench.sh).  Results in bench/results/ (QUICK: bench/results/quick/,
# PROFILE: bench/results/profile-<row>.md).
bench:
	@QUICK=$(QUICK) SMOKE=$(SMOKE) PROFILE=$(PROFILE) $(S)/bench.sh

# Issue 6: hours of MSG_ZEROCOPY send and TCP_ZEROCOPY_RECEIVE on the NIC
# pair, every byte checked, then leak checks; not part of make check.
# make soak [SOAK_GB=10] [FLAVOUR=debug|normal] [SOAK_PAGEALLOC=1]
# [SOAK_TIMEOUT=sec] [SOAK_SKIP_BUILD=1] (scripts/soak.sh).
soak: tree
	@FLAVOUR=$(FLAVOUR) SOAK_GB=$(SOAK_GB) $(S)/soak.sh

# Issue 15: MSG_ZEROCOPY senders nobody here wrote (6.12's msg_zerocopy and
# io_uring_zerocopy_tx, liburing's send-zerocopy, QEMU multifd migration
# with zero-copy-send) on the NIC pair, data checked; not part of make check.
# make clients [FLAVOUR=normal|debug|stock] [CLIENTS=all|base|liburing|qemu]
clients: tree
	@FLAVOUR=$(FLAVOUR) CLIENTS=$(CLIENTS) $(S)/clients.sh

# Boot a kernel and run a command in it: make vm CMD="uname -a" [FLAVOUR=debug]
vm:
	@$(S)/vm-run.sh --kernel build/bzImage-$(or $(FLAVOUR),normal) -- $(CMD)
