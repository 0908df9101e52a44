# Linux guest images from Debian packages alone (docs/linux-guests.md):
# Debian's own kernel, unmodified, and a busybox initramfs.
#   make linux-image     cache/linux/{vmlinuz,vmlinux,initramfs.cpio,
#                        modules.list}; downloads ~72 MB of .debs once
#   make linux-bench     boots them directly in QEMU: the baseline figures
# guests/linux/build-image.sh is the recipe; it skips what is done, so
# `make linux-image` costs a second once cache/linux/ is filled.
# Included from the top Makefile; scripts/ensure-packages.sh installs
# LINUX_PKGS (apt-get download needs nothing installed).

LINUX_PKGS := python3 gcc libc6-dev zstd e2fsprogs
LINUX_DIR := cache/linux
LINUX_VMLINUZ := $(LINUX_DIR)/vmlinuz
LINUX_VMLINUX := $(LINUX_DIR)/vmlinux
LINUX_INITRAMFS := $(LINUX_DIR)/initramfs.cpio
LINUX_MODULES_LIST := $(LINUX_DIR)/modules.list

.PHONY: linux-image linux-bench
linux-image:
	@scripts/ensure-packages.sh $(LINUX_PKGS)
	@guests/linux/build-image.sh

linux-bench: linux-image
	@scripts/ensure-packages.sh qemu-system-x86
	/usr/bin/python3 bench/linux_direct.py
