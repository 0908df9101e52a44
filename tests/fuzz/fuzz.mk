# libFuzzer targets, one per tests/fuzz/fuzz_NAME.c, over the lib/ parsers.
# `make fuzz-smoke` runs each for FUZZ_RUNS inputs (seconds in all);
# `make fuzz` runs each for FUZZ_TIME seconds. Seeds are generated into
# $(BUILD)/fuzz/seeds/NAME/ by tests/fuzz/gen_seeds.c; inputs the fuzzer
# finds interesting accumulate in $(BUILD)/fuzz/corpus/NAME/, and a crash
# leaves its input in $(BUILD)/fuzz/ (crash-*) with the log in NAME.log.

# clang 14 and its compiler-rt, which holds libclang_rt.fuzzer.
FUZZ_PKGS := clang libclang-rt-14-dev

FUZZ_CC := clang
FUZZ_SANITIZERS := address,undefined
FUZZ_CFLAGS := -g -O1 -fno-sanitize-recover=all -fno-omit-frame-pointer \
	-Wall -Wextra -Werror -I.
FUZZ_RUNS ?= 50000
FUZZ_TIME ?= 60
# A guard on each smoke run, should slow inputs pile up in the corpus.
FUZZ_SMOKE_MAX_TIME ?= 20

FUZZ_DIR := $(BUILD)/fuzz
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)
# lib/ instrumented for coverage, without libFuzzer's main (fuzzer-no-link);
# lib/string.c stays out, libc has those functions on the host.
FUZZ_LIB_SRCS := $(filter-out lib/string.c,$(wildcard lib/*.c))
FUZZ_LIB_OBJS := $(patsubst lib/%.c,$(FUZZ_DIR)/lib/%.o,$(FUZZ_LIB_SRCS))
FUZZ_LIB := $(FUZZ_DIR)/libvesta-fuzz.a
FUZZ_SEEDGEN := $(FUZZ_DIR)/gen_seeds
FUZZ_SEEDS := $(FUZZ_DIR)/seeds/.stamp

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-deps

fuzz-deps:
	@scripts/ensure-packages.sh $(FUZZ_PKGS)

$(FUZZ_DIR)/lib/%.o: lib/%.c | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SANITIZERS) \
		-MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB) | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SANITIZERS) \
		$< -o $@ $(FUZZ_LIB)

$(FUZZ_SEEDGEN): tests/fuzz/gen_seeds.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -Wall -Wextra -Werror $< -o $@

$(FUZZ_SEEDS): $(FUZZ_SEEDGEN)
	rm -rf $(FUZZ_DIR)/seeds
	$(FUZZ_SEEDGEN) $(FUZZ_DIR)/seeds
	@touch $@

fuzz-build: $(FUZZ_BINS) $(FUZZ_SEEDS)

# Runs target $(1) with libFuzzer options $(2); prints the log's tail and
# fails on a crash. New corpus entries go to the first directory; a target
# without generated seeds starts from an empty seed directory.
define fuzz_run
	@mkdir -p $(FUZZ_DIR)/corpus/$(1) $(FUZZ_DIR)/seeds/$(1)
	@echo "== fuzz_$(1) $(2)"
	@cd $(FUZZ_DIR) && ./fuzz_$(1) $(2) corpus/$(1) seeds/$(1) \
		> $(1).log 2>&1 \
		|| { tail -n 40 $(1).log; echo "fuzz_$(1) FAILED (log: $(FUZZ_DIR)/$(1).log)"; exit 1; }
	@grep -E '^Done [0-9]+ runs' $(FUZZ_DIR)/$(1).log || tail -n 3 $(FUZZ_DIR)/$(1).log

endef

fuzz-smoke: fuzz-build
	$(foreach t,$(FUZZ_NAMES),$(call fuzz_run,$(t),-runs=$(FUZZ_RUNS) -max_total_time=$(FUZZ_SMOKE_MAX_TIME)))

fuzz: fuzz-build
	$(foreach t,$(FUZZ_NAMES),$(call fuzz_run,$(t),-max_total_time=$(FUZZ_TIME)))

-include $(FUZZ_LIB_OBJS:.o=.d)

# Seeds of fuzz_x86_decode and fuzz_x86_pagewalk, from their own generator,
# written after gen_seeds' (whose rule clears the seeds directory).
FUZZ_X86_SEEDGEN := $(FUZZ_DIR)/gen_x86_seeds
FUZZ_X86_SEEDS := $(FUZZ_DIR)/seeds/.x86-stamp

$(FUZZ_X86_SEEDGEN): tests/fuzz/gen_x86_seeds.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -Wall -Wextra -Werror $< -o $@

$(FUZZ_X86_SEEDS): $(FUZZ_X86_SEEDGEN) $(FUZZ_SEEDS)
	$(FUZZ_X86_SEEDGEN) $(FUZZ_DIR)/seeds
	@touch $@

fuzz-build: $(FUZZ_X86_SEEDS)

# The device models in hv/vdev/, as in unit.mk: instrumented host objects
# in the same archive (its rule takes all its prerequisites, $^), with -Ihv
# for them and for fuzz_NAME.c, the target of hv/vdev/NAME.c. gen_seeds.c
# has no seeds for those targets: they start from an empty seed directory.
FUZZ_VDEV_SRCS := $(wildcard hv/vdev/*.c)
FUZZ_VDEV_OBJS := $(patsubst hv/vdev/%.c,$(FUZZ_DIR)/hv/vdev/%.o,$(FUZZ_VDEV_SRCS))
FUZZ_VDEV_TARGETS := $(filter $(FUZZ_NAMES),$(patsubst hv/vdev/%.c,%,$(FUZZ_VDEV_SRCS)))
FUZZ_VDEV_SEED_DIRS := $(FUZZ_VDEV_TARGETS:%=$(FUZZ_DIR)/seeds/%)
$(if $(filter $(notdir $(FUZZ_VDEV_OBJS)),$(notdir $(FUZZ_LIB_OBJS))),\
	$(error hv/vdev/ and lib/ share a file name: \
	$(filter $(notdir $(FUZZ_VDEV_OBJS)),$(notdir $(FUZZ_LIB_OBJS)))))

$(FUZZ_DIR)/hv/vdev/%.o: hv/vdev/%.c | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Ihv -fsanitize=fuzzer-no-link,$(FUZZ_SANITIZERS) \
		-MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_VDEV_OBJS)
$(FUZZ_VDEV_TARGETS:%=$(FUZZ_DIR)/fuzz_%): private FUZZ_CFLAGS += -Ihv

# After gen_seeds, which starts by removing every seed directory.
fuzz-build: $(FUZZ_VDEV_SEED_DIRS)
$(FUZZ_VDEV_SEED_DIRS): $(FUZZ_SEEDS)
	mkdir -p $@ && touch $@

-include $(FUZZ_VDEV_OBJS:.o=.d)

# Seeds of fuzz_linux_boot (small bzImages and the domain each is booted
# in), from their own generator, written after gen_seeds' (whose rule
# clears the seeds directory).
FUZZ_LINUX_BOOT_SEEDGEN := $(FUZZ_DIR)/gen_linux_boot_seeds
FUZZ_LINUX_BOOT_SEEDS := $(FUZZ_DIR)/seeds/.linux_boot-stamp

$(FUZZ_LINUX_BOOT_SEEDGEN): tests/fuzz/gen_linux_boot_seeds.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -Wall -Wextra -Werror $< -o $@

$(FUZZ_LINUX_BOOT_SEEDS): $(FUZZ_LINUX_BOOT_SEEDGEN) $(FUZZ_SEEDS)
	$(FUZZ_LINUX_BOOT_SEEDGEN) $(FUZZ_DIR)/seeds/linux_boot
	@touch $@

fuzz-build: $(FUZZ_LINUX_BOOT_SEEDS)
