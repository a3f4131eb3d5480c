# vfio-variant — build and test.
#
#   make              static musl binary build/vfio-variant (libkmod inside)
#   make test-build   glibc + ASan/UBSan binary and unit tests in build/test/
#   make check        every test; ends with "N passed, N failed"
#   make demo         QEMU boot showing the main job
#   make install      DESTDIR/PREFIX aware

VERSION := 0.1
CC ?= cc
MUSL_CC ?= musl-gcc
STRIP ?= strip

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes
STD := -std=c11 -D_POSIX_C_SOURCE=200809L -DVERSION='"$(VERSION)"'

SRCS := $(wildcard binder/*.c)
LIB_SRCS := $(filter-out binder/main.c,$(SRCS))
HDRS := $(wildcard binder/*.h)

all: build/vfio-variant


include mk/libkmod.mk
include mk/install.mk
-include mk/fuzz.mk

# --- static musl binary ---------------------------------------------------
MUSL_OBJS := $(SRCS:binder/%.c=build/musl/obj/%.o)

build/musl/obj/%.o: binder/%.c $(HDRS) $(LIBKMOD_A)
	@mkdir -p $(@D)
	$(MUSL_CC) $(STD) $(WARN) -Os -ffunction-sections -fdata-sections $(LIBKMOD_CPPFLAGS) -c -o $@ $<

# a fresh machine: `make` installs the build packages first
$(LIBKMOD_CONFIG_H) $(MUSL_OBJS) build/vfio-variant: | deps-build-stamp
deps-build-stamp:
	@bash tools/deps.sh build
.PHONY: deps-build-stamp

build/vfio-variant: $(MUSL_OBJS) $(LIBKMOD_A)
	$(MUSL_CC) -static -Os -Wl,--gc-sections -o $@.unstripped $(MUSL_OBJS) $(LIBKMOD_A)
	$(STRIP) -o $@ $@.unstripped
	@printf 'build/vfio-variant: static musl, stripped size %s bytes (%s KiB)\n' \
		"$$(stat -c %s $@)" "$$(( $$(stat -c %s $@) / 1024 ))"

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

build/test/unit: $(UNIT_SRCS) $(TEST_LIB_OBJS) tests/unit/t.h $(HDRS)
	$(CC) $(TEST_CFLAGS) -Ibinder -o $@ $(UNIT_SRCS) $(TEST_LIB_OBJS) -lkmod

build/test/fakekernel.so: tests/fakekernel/fakekernel.c
	$(CC) -std=c11 -Wall -Wextra -Werror -Wno-format-truncation -O1 -shared -fPIC -o $@ $< -ldl

test-build: build/test/vfio-variant build/test/vfio-variant-plain build/test/unit build/test/fakekernel.so

# --- tests -------------------------------------------------------------------
deps:
	@bash tools/deps.sh

deps-build:
	@bash tools/deps.sh build

check: deps
	$(MAKE) all test-build
	bash tests/run.sh

check-quick: deps
	$(MAKE) all test-build
	VV_SKIP_VM=1 bash tests/run.sh

demo: deps
	$(MAKE) all
	bash tests/vm/demo.sh

clean:
	rm -rf build

.PHONY: all test-build check check-quick demo clean deps deps-build
