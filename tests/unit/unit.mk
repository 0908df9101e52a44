# Unit tests: one host binary per tests/unit/test_*.c, built with ASan and
# UBSan and run by `make unit-test`. The lib/ code is compiled for the host
# into a static archive, so each test links only the objects it uses.
# lib/string.c is left out: on the host, libc has those functions.

UNIT_PKGS := libcmocka-dev

UNIT_CC := gcc
UNIT_CFLAGS := -std=gnu11 -g -O1 -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -Wall -Wextra -Werror \
	-I. -MMD -MP
UNIT_LDLIBS := -lcmocka

UNIT_DIR := $(BUILD)/unit
UNIT_LIB_SRCS := $(filter-out lib/string.c,$(wildcard lib/*.c))
UNIT_LIB_OBJS := $(patsubst lib/%.c,$(UNIT_DIR)/lib/%.o,$(UNIT_LIB_SRCS))
UNIT_LIB := $(UNIT_DIR)/libvesta-host.a
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(UNIT_DIR)/%,$(UNIT_SRCS))

.PHONY: unit-test unit-build unit-deps

unit-deps:
	@scripts/ensure-packages.sh $(UNIT_PKGS)

$(UNIT_DIR)/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(UNIT_CC) $(UNIT_CFLAGS) -c $< -o $@

$(UNIT_LIB): $(UNIT_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# Order-only: the packages must be there first, but never force a rebuild.
$(UNIT_DIR)/test_%: tests/unit/test_%.c $(UNIT_LIB) | unit-deps
	@mkdir -p $(dir $@)
	$(UNIT_CC) $(UNIT_CFLAGS) $< -o $@ $(UNIT_LIB) $(UNIT_LDLIBS)

unit-build: $(UNIT_BINS)

# Runs every test even after a failure, then fails if any did.
unit-test: unit-build
	@failed=""; \
	for t in $(UNIT_BINS); do \
		echo "== $$t"; \
		$$t || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "unit tests FAILED:$$failed"; exit 1; fi; \
	echo "unit tests: all $(words $(UNIT_BINS)) binaries passed"

-include $(UNIT_LIB_OBJS:.o=.d) $(UNIT_BINS:=.d)

# The x86 decoder's oracle test checks lib/x86_decode.c against Zydis, a
# complete x86 decoder (Debian's libzydis-dev, Zydis 4); only it links it.
UNIT_ORACLE_PKGS := libzydis-dev
UNIT_PKGS += $(UNIT_ORACLE_PKGS)
$(UNIT_DIR)/test_x86_decode_zydis: private UNIT_LDLIBS += -lZydis

# The device models in hv/vdev/ face the guest and need nothing of the
# machine, so they are built for the host too, into the same archive (the
# archive's rule takes all its prerequisites, $^), with hv/ on the include
# path: they include "vdev/..." and "core/...". The test of hv/vdev/NAME.c,
# tests/unit/test_NAME.c, gets -Ihv as well ("private": not the archive).
UNIT_VDEV_SRCS := $(wildcard hv/vdev/*.c)
UNIT_VDEV_OBJS := $(patsubst hv/vdev/%.c,$(UNIT_DIR)/hv/vdev/%.o,$(UNIT_VDEV_SRCS))
UNIT_VDEV_TESTS := $(filter $(UNIT_BINS),\
	$(patsubst hv/vdev/%.c,$(UNIT_DIR)/test_%,$(UNIT_VDEV_SRCS)))
# ar keeps one member per file name: a vdev and a lib/ object may not share one.
$(if $(filter $(notdir $(UNIT_VDEV_OBJS)),$(notdir $(UNIT_LIB_OBJS))),\
	$(error hv/vdev/ and lib/ share a file name: \
	$(filter $(notdir $(UNIT_VDEV_OBJS)),$(notdir $(UNIT_LIB_OBJS)))))

$(UNIT_DIR)/hv/vdev/%.o: hv/vdev/%.c
	@mkdir -p $(dir $@)
	$(UNIT_CC) $(UNIT_CFLAGS) -Ihv -c $< -o $@

$(UNIT_LIB): $(UNIT_VDEV_OBJS)
$(UNIT_VDEV_TESTS): private UNIT_CFLAGS += -Ihv

-include $(UNIT_VDEV_OBJS:.o=.d)
