# Test guests (docs/guests.md): small freestanding 64-bit kernels that
# Vesta runs as domains, like Xen's XTF. Each guests/tests/NAME.c becomes
# build/guests/NAME.elf: an ELF64 linked at guest-physical 1 MiB with a PVH
# entry note, built from guests/lib (entry, traps, console, checks) and the
# freestanding parts of lib/ (printf, string, command line).
#   make guests            builds them all
# Included from the top Makefile (uses BUILD and quiet); before that:
#   make -f Makefile -f guests/guests.mk guests
#   qemu-system-x86_64 -accel tcg -cpu EPYC -display none -serial stdio \
#       -kernel build/guests/hello.elf      runs one without Vesta (COM1)

GUEST_CC := gcc
GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-ffreestanding -fno-builtin-printf -fno-pic -fno-pie -fno-stack-protector \
	-fno-omit-frame-pointer -fno-strict-aliasing -mno-red-zone \
	-mgeneral-regs-only -mcmodel=small -fcf-protection=none \
	-I. -Iinclude -Iguests/lib -MMD -MP
GUEST_ASFLAGS := $(filter-out -std=gnu11,$(GUEST_CFLAGS)) -D__ASSEMBLY__
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none \
	-Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments \
	-T guests/lib/linker.ld

GUEST_OBJDIR := $(BUILD)/guests/obj
GUEST_LIB_SRCS := $(wildcard guests/lib/*.S guests/lib/*.c) \
	lib/format.c lib/string.c lib/cmdline.c lib/cpu_burn.c
GUEST_LIB_OBJS := $(patsubst %,$(GUEST_OBJDIR)/%.o,$(GUEST_LIB_SRCS))
GUEST_NAMES := $(sort $(basename $(notdir $(wildcard guests/tests/*.c))))
GUEST_ELFS := $(patsubst %,$(BUILD)/guests/%.elf,$(GUEST_NAMES))

.PHONY: guests
guests: $(GUEST_ELFS)

# Keep the objects (make would delete them as intermediates).
.SECONDARY: $(GUEST_LIB_OBJS) \
	$(patsubst %,$(GUEST_OBJDIR)/guests/tests/%.c.o,$(GUEST_NAMES))

# A test's own file also gets its name (guest.h turns it into guest_name).
$(GUEST_OBJDIR)/guests/tests/%.c.o: guests/tests/%.c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$<) $(GUEST_CC) $(GUEST_CFLAGS) -DGUEST_NAME='"$*"' -c $< -o $@

$(GUEST_OBJDIR)/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$<) $(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_OBJDIR)/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(call quiet,AS,$<) $(GUEST_CC) $(GUEST_ASFLAGS) -c $< -o $@

$(BUILD)/guests/%.elf: $(GUEST_OBJDIR)/guests/tests/%.c.o $(GUEST_LIB_OBJS) \
		guests/lib/linker.ld
	$(call quiet,LD,$@) $(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ \
		$< $(GUEST_LIB_OBJS)

-include $(patsubst %,$(GUEST_OBJDIR)/%.d,$(GUEST_LIB_SRCS) \
	$(patsubst %,guests/tests/%.c,$(GUEST_NAMES)))
