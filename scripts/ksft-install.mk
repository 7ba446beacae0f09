# SPDX-License-Identifier: GPL-2.0
# Install a selection of one kselftest collection with the framework's own
# rules: make -C <collection> -f ksft-install.mk zc_install
#   ZC_PROGS=<TEST_PROGS entries>  ZC_GEN=<TEST_GEN_FILES entries>
# The collection's Makefile and lib.mk are included unchanged, so its
# per-program CFLAGS/LDLIBS and lib.mk's INSTALL_RULE apply; only the
# lists of what to build and install are narrowed.
include Makefile

ZC_GEN_PATHS := $(patsubst %,$(OUTPUT)/%,$(ZC_GEN))

# A program that is also in ZC_GEN is compiled (TEST_GEN_PROGS); the
# others are scripts from the source directory (TEST_PROGS).
ZC_GEN_PROGS := $(filter $(ZC_GEN),$(ZC_PROGS))

zc_install: $(ZC_GEN_PATHS)
	$(eval TEST_PROGS := $(filter-out $(ZC_GEN_PROGS),$(ZC_PROGS)))
	$(eval TEST_GEN_FILES := $(filter-out $(patsubst %,$(OUTPUT)/%,$(ZC_GEN_PROGS)),$(ZC_GEN_PATHS)))
	$(eval TEST_GEN_PROGS := $(patsubst %,$(OUTPUT)/%,$(ZC_GEN_PROGS)))
	$(eval TEST_GEN_PROGS_EXTENDED :=)
	$(eval TEST_CUSTOM_PROGS :=)
	$(eval TEST_GEN_MODS_DIR :=)
	$(INSTALL_RULE)
	$(INSTALL_INCLUDES)
