# SPDX-License-Identifier: GPL-2.0-or-later
# vfio-variant — build and test.
#
#   make              static musl binary build/vfio-variant (libkmod inside),
#                     for the host's architecture
#   make ARCH=arm64   static aarch64 musl binary build/arm64/vfio-variant
#                     (objects in build/arm64/); Debian's cross gcc
#                     (gcc-aarch64-linux-gnu) and musl:arm64 fetched into
#                     .cache, or MUSL_ARM64_DIR=DIR (a musl prefix: include/, lib/)
#   make test-build   glibc + ASan/UBSan binary and unit tests in build/test/
#   make check        every test; ends with "N passed, N failed"
#   make check-fast   unit, tree suites under ASan+UBSan, shellcheck (minutes)
#   make demo         QEMU boot showing the main job
#   make install      DESTDIR/PREFIX aware
#   make deb          the Debian package, built in a temporary copy (build/deb/)
#   make rpm          the RPM (rpm/vfio-variant.spec), rpmbuild --nodeps in a
#                     temporary _topdir (build/rpm/)

# The version lives in debian/changelog (its first line), nowhere else.
# `make` with no target builds the binary, whatever rule comes first below
.DEFAULT_GOAL := all

VERSION := $(shell sed -n '1{s/^[^ ]* [(]//;s/[)].*//;p;}' debian/changelog)
CC ?= cc
MUSL_CC ?= musl-gcc
STRIP ?= strip

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes
STD := -std=c11 -D_POSIX_C_SOURCE=200809L -DVERSION='"$(VERSION)"'

SRCS := $(wildcard binder/*.c)
LIB_SRCS := $(filter-out binder/main.c,$(SRCS))
HDRS := $(wildcard binder/*.h)

# --- target architecture -----------------------------------------------------
# No ARCH: the host's binary at build/vfio-variant (objects in build/musl).
# ARCH=arm64 (or x86_64): build/$(ARCH)/vfio-variant, objects below build/$(ARCH)/;
# a cross build when ARCH is not the host's.
HOST_ARCH := $(shell uname -m | sed -e 's/^aarch64$$/arm64/' -e 's/^amd64$$/x86_64/')
ifeq ($(strip $(ARCH)),)
VV_ARCH := $(HOST_ARCH)
VV_BUILD := build
VV_OBJROOT := build/musl
else
VV_ARCH := $(patsubst aarch64,arm64,$(patsubst amd64,x86_64,$(strip $(ARCH))))
VV_BUILD := build/$(VV_ARCH)
VV_OBJROOT := build/$(VV_ARCH)/musl
endif
VV_OUT := $(VV_BUILD)/vfio-variant

MUSL_ARM64_VERSION := 1.2.3-1
MUSL_ARM64_DEFAULT_DIR := .cache/musl-arm64-$(MUSL_ARM64_VERSION)
MUSL_ARM64_DIR ?= $(MUSL_ARM64_DEFAULT_DIR)
ARM64_CROSS ?= aarch64-linux-gnu-
# the compiler's specs file, written for MUSL_ARM64_DIR
MUSL_ARM64_SPECS := $(VV_BUILD)/musl-gcc.specs
VV_CC_DEPS :=
VV_LDFLAGS :=
ifeq ($(VV_ARCH),$(HOST_ARCH))
else ifeq ($(VV_ARCH),arm64)
MUSL_CC := $(ARM64_CROSS)gcc -specs $(MUSL_ARM64_SPECS)
STRIP := $(ARM64_CROSS)strip
LIBKMOD_AR := $(ARM64_CROSS)ar
VV_CC_DEPS := $(MUSL_ARM64_SPECS)
# aarch64 ld aligns the end of RELRO to 64 KiB (arm64 kernels may use 64 KiB
# pages: the segments keep that alignment), padding the file by up to 64 KiB
# depending on the text size. A static non-PIE musl binary never applies
# RELRO (no dynamic linker runs), so drop it: the padding goes, not a guard.
VV_LDFLAGS := -Wl,-z,norelro
else
$(error ARCH=$(ARCH): this host ($(HOST_ARCH)) builds its own binary (no ARCH) or ARCH=arm64)
endif
LIBKMOD_BUILDDIR := $(VV_OBJROOT)
LIBKMOD_CC_DEPS := $(VV_CC_DEPS)

# --- the kernel's uapi headers (<linux/vfio.h> for verify) -----------------
# musl-gcc searches musl's include directory only, and adding the whole of
# /usr/include would bring glibc's headers in with the kernel's. So the
# build makes a directory holding just three symlinks — linux/, asm/ and
# asm-generic/ of the distribution's kernel headers (linux-libc-dev; for
# ARCH=arm64 linux-libc-dev-arm64-cross) — and searches it after musl's own
# (-idirafter). No kernel header is copied into the tree.
ifeq ($(VV_ARCH),$(HOST_ARCH))
KHDR_SRC ?= /usr/include
KHDR_ASM ?= /usr/include/$(shell $(CC) -print-multiarch 2>/dev/null || echo $(HOST_ARCH)-linux-gnu)/asm
else
KHDR_SRC ?= /usr/$(ARM64_CROSS:-=)/include
KHDR_ASM ?= $(KHDR_SRC)/asm
endif
KHDR_DIR := $(VV_OBJROOT)/kernel-headers
KHDR_STAMP := $(KHDR_DIR)/.stamp
$(KHDR_STAMP): Makefile
	@for h in $(KHDR_SRC)/linux/vfio.h $(KHDR_ASM)/ioctl.h $(KHDR_SRC)/asm-generic/ioctl.h; do \
		[ -f $$h ] || { echo "no $$h: install linux-libc-dev$(if $(filter $(HOST_ARCH),$(VV_ARCH)),,-arm64-cross) (tools/deps.sh build$(if $(filter $(HOST_ARCH),$(VV_ARCH)),, arm64))" >&2; exit 1; }; \
	done
	@rm -rf $(KHDR_DIR) && mkdir -p $(KHDR_DIR)
	@ln -s $(KHDR_SRC)/linux $(KHDR_DIR)/linux
	@ln -s $(KHDR_ASM) $(KHDR_DIR)/asm
	@ln -s $(KHDR_SRC)/asm-generic $(KHDR_DIR)/asm-generic
	@touch $@
	@echo "  GEN     $(KHDR_DIR) (linux/, asm/, asm-generic/ of $(KHDR_SRC))"

all: $(VV_OUT)


include mk/libkmod.mk
include mk/install.mk
-include mk/fuzz.mk

# --- static musl binary ---------------------------------------------------
MUSL_OBJS := $(SRCS:binder/%.c=$(VV_OBJROOT)/obj/%.o)

$(VV_OBJROOT)/obj/%.o: binder/%.c $(HDRS) $(LIBKMOD_A) $(VV_CC_DEPS) $(KHDR_STAMP)
	@mkdir -p $(@D)
	$(MUSL_CC) $(STD) $(WARN) -Os -ffunction-sections -fdata-sections $(LIBKMOD_CPPFLAGS) -idirafter $(KHDR_DIR) -c -o $@ $<

# a fresh machine: `make` installs the build packages first (only those
# whose commands are missing; without apt it names them and stops)
$(LIBKMOD_MAIN_SRC) $(LIBKMOD_CONFIG_H) $(MUSL_OBJS) $(VV_OUT) $(VV_CC_DEPS) $(MUSL_ARM64_DIR)/lib/libc.a: | deps-build-stamp
deps-build-stamp:
	@KMOD_SRC='$(KMOD_SRC)' KMOD_SRC_DEFAULT='$(LIBKMOD_DEFAULT_SRC)' \
		MUSL_ARM64_DIR='$(MUSL_ARM64_DIR)' MUSL_ARM64_DEFAULT_DIR='$(MUSL_ARM64_DEFAULT_DIR)' \
		ARM64_CROSS='$(ARM64_CROSS)' \
		bash tools/deps.sh build $(if $(filter $(HOST_ARCH),$(VV_ARCH)),,$(VV_ARCH))
.PHONY: deps-build-stamp

# musl for arm64: Debian's .debs (pinned), or MUSL_ARM64_DIR=DIR given
ifeq ($(MUSL_ARM64_DIR),$(MUSL_ARM64_DEFAULT_DIR))
$(MUSL_ARM64_DIR)/lib/libc.a:
	bash tools/fetch-musl-arm64.sh $(MUSL_ARM64_DIR)
else
$(MUSL_ARM64_DIR)/lib/libc.a:
	@echo "MUSL_ARM64_DIR=$(MUSL_ARM64_DIR) is not an aarch64 musl prefix (no lib/libc.a)" >&2; exit 1
endif

# Debian's usr/lib/aarch64-linux-musl/musl-gcc.specs with its paths pointing
# into MUSL_ARM64_DIR (like musl-gcc on the host: Scrt1.o, also for -static)
$(MUSL_ARM64_SPECS): $(MUSL_ARM64_DIR)/lib/libc.a Makefile
	@mkdir -p $(@D)
	@d=$(abspath $(MUSL_ARM64_DIR)); \
	{ \
	echo '%rename cpp_options old_cpp_options'; echo; \
	echo '*cpp_options:'; \
	echo "-nostdinc -isystem $$d/include -isystem include%s %(old_cpp_options)"; echo; \
	echo '*cc1:'; \
	echo "%(cc1_cpu) -nostdinc -isystem $$d/include -isystem include%s"; echo; \
	echo '*link_libgcc:'; \
	echo "-L$$d/lib -L .%s"; echo; \
	echo '*libgcc:'; \
	echo 'libgcc.a%s %:if-exists(libgcc_eh.a%s)'; echo; \
	echo '*startfile:'; \
	echo "%{!shared: $$d/lib/Scrt1.o} $$d/lib/crti.o crtbeginS.o%s"; echo; \
	echo '*endfile:'; \
	echo "crtendS.o%s $$d/lib/crtn.o"; echo; \
	echo '*link:'; \
	echo '-dynamic-linker /lib/ld-musl-aarch64.so.1 -nostdlib %{shared:-shared} %{static:-static} %{rdynamic:-export-dynamic}'; \
	} >$@.tmp && mv $@.tmp $@
	@echo "  GEN     $@ (musl in $(MUSL_ARM64_DIR))"

VV_LINK ?= -static
VV_KIND ?= static musl
# --build-id: musl-gcc's specs drop gcc's default; packagers need the note
# (Fedora's rpmbuild stops on a binary without one, debuginfo tools key on it).
$(VV_OUT): $(MUSL_OBJS) $(LIBKMOD_A)
	@mkdir -p $(@D)
	$(MUSL_CC) $(VV_LINK) -Os -Wl,--gc-sections -Wl,--build-id $(VV_LDFLAGS) -o $@.unstripped $(MUSL_OBJS) $(LIBKMOD_A)
	$(STRIP) -o $@ $@.unstripped
	@printf '%s: $(VV_KIND) ($(VV_ARCH)), stripped size %s bytes (%s KiB)\n' \
		$@ "$$(stat -c %s $@)" "$$(( $$(stat -c %s $@) / 1024 ))"

# For tests/tree/test_bind.sh on arm64 (qemu-aarch64-static): the fake
# kernel is an LD_PRELOAD shim, so it needs a DYNAMIC aarch64 binary: the
# same sources and libkmod 34.2 built with the cross gcc against glibc
# (Debian's libc6-dev-arm64-cross), and the shim.
arm64-test-build:
	$(MAKE) ARCH=arm64 MUSL_CC=$(ARM64_CROSS)gcc VV_CC_DEPS= VV_LINK= \
		VV_KIND='dynamic glibc, for the fake kernel' \
		VV_OBJROOT=build/arm64/glibc VV_OUT=build/arm64/test/vfio-variant-plain all
	$(ARM64_CROSS)gcc -std=c11 -Wall -Wextra -Werror -O1 -shared -fPIC \
		-o build/arm64/test/fakekernel.so tests/fakekernel/fakekernel.c -ldl

# both architectures (make check builds them)
all-arch:
	$(MAKE) all
	$(MAKE) ARCH=arm64 all

# --- glibc + sanitizers, for tests -----------------------------------------
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
TEST_CFLAGS := $(STD) $(WARN) -g -O1 $(SAN)
TEST_OBJS := $(SRCS:binder/%.c=build/test/obj/%.o)
TEST_LIB_OBJS := $(filter-out build/test/obj/main.o,$(TEST_OBJS))
UNIT_SRCS := $(wildcard tests/unit/*.c)

build/test/obj/%.o: binder/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -c -o $@ $<

build/test/vfio-variant: $(TEST_OBJS)
	$(CC) $(SAN) -o $@ $(TEST_OBJS) -lkmod

# glibc without sanitizers: the binary valgrind runs with the fake kernel
build/test/vfio-variant-plain: $(SRCS) $(HDRS)
	$(CC) $(STD) $(WARN) -g -O1 -o $@ $(SRCS) -lkmod

# unit tests are declared (T_TEST in tests/unit/t.h), the files found by
# name; the list itself is a prerequisite, so removing a file relinks too
build/test/unit.srcs: FORCE
	@mkdir -p $(@D)
	@echo '$(UNIT_SRCS)' | cmp -s - $@ || echo '$(UNIT_SRCS)' >$@

build/test/unit: $(UNIT_SRCS) $(TEST_LIB_OBJS) tests/unit/t.h $(HDRS) build/test/unit.srcs
	$(CC) $(TEST_CFLAGS) -Ibinder -o $@ $(UNIT_SRCS) $(TEST_LIB_OBJS) -lkmod

build/test/fakekernel.so: tests/fakekernel/fakekernel.c
	$(CC) -std=c11 -Wall -Wextra -Werror -O1 -shared -fPIC -o $@ $< -ldl

test-build: build/test/vfio-variant build/test/vfio-variant-plain build/test/unit build/test/fakekernel.so

# --- tests -------------------------------------------------------------------
deps:
	@bash tools/deps.sh

deps-build:
	@bash tools/deps.sh build

check: deps
	$(MAKE) all test-build
	$(MAKE) ARCH=arm64 all
	$(MAKE) arm64-test-build
	bash tests/run.sh

# the loop while working: unit tests, every tree suite under ASan+UBSan,
# shellcheck of every shell file (no valgrind, meta-test, arm64, pkg, fuzz
# or VM: make check runs those)
check-fast: deps
	$(MAKE) test-build
	bash tests/run.sh layout unit asan shellcheck

check-quick: deps
	$(MAKE) all test-build
	$(MAKE) ARCH=arm64 all
	$(MAKE) arm64-test-build
	VV_SKIP_VM=1 bash tests/run.sh

demo: deps
	$(MAKE) all
	bash tests/vm/demo.sh

clean:
	rm -rf build

# a new changelog entry is a new --version
$(VV_OBJROOT)/obj/main.o build/test/obj/main.o build/test/vfio-variant-plain: debian/changelog

deb:
	bash tools/build-deb.sh

rpm:
	bash tools/build-rpm.sh

.PHONY: FORCE all all-arch arm64-test-build test-build check check-fast check-quick demo clean deps deps-build deb rpm
