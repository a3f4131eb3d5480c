# SPDX-License-Identifier: GPL-2.0-or-later
# libFuzzer targets (clang). Included by the top Makefile.
#
#   make fuzz-build   build/fuzz/fuzz_{cmdline,config,variant}
#   make fuzz         run each for FUZZ_SECONDS (default 600); make -j3 fuzz
#                     runs them in parallel. Corpus kept in
#                     build/fuzz/corpus-NAME, seeded by copying
#                     tests/fuzz/corpus/NAME (the committed seeds are never
#                     written). Crash inputs: build/fuzz/artifacts/NAME/
#   make fuzz-smoke   each for FUZZ_SMOKE_SECONDS (default 20) on a scratch
#                     corpus; one line per target; non-zero on any failure
#   make fuzz-NAME    one target for FUZZ_SECONDS
#
# Needs clang and libFuzzer's runtime (Debian 12: clang-14 libclang-rt-14-dev).

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_TARGETS := cmdline config variant json
FUZZ_BINS := $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Ibinder
# Parsers and ranking only: no libkmod (module.c, plan.c, bind.c, state.c,
# main.c stay out).
FUZZ_LIB_SRCS := binder/rule.c binder/setting.c binder/textbuf.c binder/cmdline.c binder/config.c binder/variant.c \
	binder/pci.c binder/pciid.c binder/sysfs.c binder/log.c binder/json.c binder/trust.c \
	binder/report.c binder/fileio.c binder/force.c binder/vfiocap.c
FUZZ_HDRS := $(wildcard binder/*.h) tests/fuzz/fuzz_common.h

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_SRCS) $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_SRCS)

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_TARGETS:%=fuzz-%)

$(FUZZ_TARGETS:%=fuzz-%): fuzz-%: build/fuzz/fuzz_%
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh long $*

fuzz-smoke: $(FUZZ_BINS)
	@FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) bash tests/fuzz/run.sh smoke $(FUZZ_TARGETS)

.PHONY: fuzz fuzz-build fuzz-smoke $(FUZZ_TARGETS:%=fuzz-%)
