# Host-side tools, built with the host's libc (not the hypervisor's flags).
#   mkbundle: DIR -> reproducible cpio newc archive (the boot bundle)

# libc6-dev: gcc alone does not pull in the C library headers.
TOOLS_PKGS := gcc libc6-dev

TOOLS_CC     := gcc
TOOLS_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror

MKBUNDLE := $(BUILD)/tools/mkbundle

tools: $(MKBUNDLE)

$(MKBUNDLE): tools/mkbundle.c tools/tools.mk
	@mkdir -p $(dir $@)
	$(TOOLS_CC) $(TOOLS_CFLAGS) -o $@ $<
