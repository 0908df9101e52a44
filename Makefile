# Vesta: `make` builds the hypervisor and host tools, `make run` boots it in
# QEMU, `make test` runs every test, `make bench` prints figures.

BUILD   := build
HV_ELF  := $(BUILD)/vesta.elf
BUNDLE  := $(BUILD)/bundle.cpio
ISO     := $(BUILD)/vesta.iso

# Debian packages each entry point needs; scripts/ensure-packages.sh installs
# the missing ones.
BUILD_PKGS := gcc libc6-dev make binutils cpio
RUN_PKGS    = $(BUILD_PKGS) qemu-system-x86 $(LINUX_PKGS)
ISO_PKGS   := grub-pc-bin grub-common xorriso mtools
# Fragments add UNIT_PKGS, FUZZ_PKGS and INTEGRATION_PKGS (hence `=`).
TEST_PKGS   = $(RUN_PKGS) $(ISO_PKGS) $(UNIT_PKGS) $(FUZZ_PKGS) $(INTEGRATION_PKGS) \
	$(LINUX_PKGS)

QEMU       := qemu-system-x86_64
QEMU_SMP   ?= 2
QEMU_MEM   ?= 2G
QEMU_ARGS  := -accel tcg -cpu EPYC -smp $(QEMU_SMP) -m $(QEMU_MEM) -no-reboot
VESTA_CMDLINE ?= loglevel=info

# Quiet build lines; `make V=1` shows the full commands.
Q := $(if $(V),,@)
quiet = $(if $(V),,@echo "  $(1) $(2)";)

# ---------------------------------------------------------------- hypervisor
HV_CC := gcc
HV_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-ffreestanding -fno-builtin-printf -fno-pic -fno-pie -fno-stack-protector \
	-fno-omit-frame-pointer -fno-strict-aliasing -mno-red-zone \
	-mgeneral-regs-only -mcmodel=small -fcf-protection=none \
	-I. -Ihv -Iinclude -MMD -MP
HV_ASFLAGS := $(filter-out -std=gnu11,$(HV_CFLAGS)) -D__ASSEMBLY__
HV_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none \
	-Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments \
	-T hv/arch/x86/linker.ld

HV_SRCS := $(wildcard hv/arch/x86/boot/*.S hv/arch/x86/*.S hv/arch/x86/svm/*.S \
	hv/arch/x86/boot/*.c hv/arch/x86/*.c hv/arch/x86/svm/*.c \
	hv/core/*.c hv/vdev/*.c lib/*.c)
HV_OBJS := $(patsubst %,$(BUILD)/hv-obj/%.o,$(HV_SRCS))

.PHONY: all hv tools run iso test unit-test integration-test fuzz-smoke \
	bench deps-build deps-run deps-test clean

all: hv tools guests $(BUNDLE)

hv: $(HV_ELF)

$(BUILD)/hv-obj/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$<) $(HV_CC) $(HV_CFLAGS) -c $< -o $@

$(BUILD)/hv-obj/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(call quiet,AS,$<) $(HV_CC) $(HV_ASFLAGS) -c $< -o $@

# Two links: the first without a symbol table, the second with the table
# made from the first. The function addresses must come out the same.
HV_NOSYMS := $(BUILD)/vesta-nosyms.elf
HV_KSYMS  := $(BUILD)/ksyms.S

$(HV_NOSYMS): $(HV_OBJS) hv/arch/x86/linker.ld
	$(call quiet,LD,$@) $(HV_CC) $(HV_CFLAGS) $(HV_LDFLAGS) -o $@ $(HV_OBJS)

$(HV_KSYMS): $(HV_NOSYMS) scripts/gen-ksyms.sh
	$(call quiet,GEN,$@) scripts/gen-ksyms.sh $< > $@

$(HV_ELF): $(HV_NOSYMS) $(HV_KSYMS)
	$(call quiet,LD,$@) $(HV_CC) $(HV_CFLAGS) $(HV_LDFLAGS) -o $@ $(HV_OBJS) $(HV_KSYMS)
	@scripts/gen-ksyms.sh $@ | cmp -s - $(HV_KSYMS) || \
		{ echo "error: the symbol table moved code; see linker.ld" >&2; \
		  rm -f $@; exit 1; }

-include $(HV_OBJS:.o=.d)

# ------------------------------------------------------- packages, fragments
deps-build:
	@scripts/ensure-packages.sh $(BUILD_PKGS)
deps-run:
	@scripts/ensure-packages.sh $(RUN_PKGS)
deps-test:
	@scripts/ensure-packages.sh $(TEST_PKGS)

include tools/tools.mk
include tests/unit/unit.mk
include tests/fuzz/fuzz.mk
include guests/guests.mk
include guests/linux/linux.mk
include tests/integration/integration.mk
include bench/bench.mk

# ------------------------------------------------------------ demo bundle
# The demo bundle: bundle/, the test guests under guests/, the Linux
# kernel and initramfs under linux/ and an 8 MiB ext4 disk made from
# guests/linux/demo-disk/ (mke2fs -d; e2fsprogs is in LINUX_PKGS) under
# images/, staged in $(BUILD)/bundle-root and archived by mkbundle.
BUNDLE_FILES := $(shell find bundle guests/linux/demo-disk 2>/dev/null)
BUNDLE_ROOT := $(BUILD)/bundle-root
$(BUNDLE): $(MKBUNDLE) $(BUNDLE_FILES) $(GUEST_ELFS) | linux-image
	@rm -rf $(BUNDLE_ROOT) && mkdir -p $(BUNDLE_ROOT)/guests $(BUNDLE_ROOT)/linux $(BUNDLE_ROOT)/images
	@cp -r bundle/. $(BUNDLE_ROOT)/
	@cp $(GUEST_ELFS) $(BUNDLE_ROOT)/guests/
	@cp $(LINUX_VMLINUZ) $(LINUX_INITRAMFS) $(BUNDLE_ROOT)/linux/
	@/sbin/mke2fs -q -F -t ext4 -d guests/linux/demo-disk \
		$(BUNDLE_ROOT)/images/demo.img 8M >/dev/null
	$(call quiet,BUNDLE,$@) $(MKBUNDLE) -o $@ $(BUNDLE_ROOT)

# ----------------------------------------------------------------- run, iso
run: deps-run
	$(MAKE) all
	$(QEMU) $(QEMU_ARGS) -nographic -kernel $(HV_ELF) -initrd $(BUNDLE) \
		-append "$(VESTA_CMDLINE)"

iso: $(ISO)
$(ISO): $(HV_ELF) $(BUNDLE) scripts/mkiso.sh
	@scripts/ensure-packages.sh $(ISO_PKGS)
	scripts/mkiso.sh $(HV_ELF) $(BUNDLE) $@

# -------------------------------------------------------------------- tests
# Quick unit tests first, so that a broken build fails fast.
test: deps-test
	$(MAKE) unit-test
	$(MAKE) fuzz-smoke
	$(MAKE) all iso
	$(MAKE) integration-test

clean:
	rm -rf $(BUILD)
