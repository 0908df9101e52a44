#!/usr/bin/env bash
# Builds a BIOS-bootable GRUB rescue ISO that boots Vesta through Multiboot2
# with the bundle as its one module, console on COM1:
#
#     scripts/mkiso.sh build/vesta.elf build/bundle.cpio build/vesta.iso
#
# Needs grub-mkrescue (grub-common), GRUB's i386-pc modules (grub-pc-bin),
# xorriso and mtools.
set -euo pipefail

prog=$(basename "$0")
die() { echo "$prog: error: $*" >&2; exit 1; }

[[ $# -eq 3 ]] || { echo "usage: $prog VESTA.ELF BUNDLE.CPIO OUT.ISO" >&2; exit 2; }
elf=$1 bundle=$2 out=$3

GRUB_PLATFORM_DIR=${GRUB_PLATFORM_DIR:-/usr/lib/grub/i386-pc}

[[ -f "$elf" ]] || die "$elf: no such file"
[[ -f "$bundle" ]] || die "$bundle: no such file"
command -v grub-mkrescue >/dev/null || die "grub-mkrescue not found (install grub-common)"
command -v xorriso >/dev/null || die "xorriso not found (install xorriso)"
[[ -f "$GRUB_PLATFORM_DIR/moddep.lst" ]] ||
	die "$GRUB_PLATFORM_DIR: no GRUB i386-pc modules (install grub-pc-bin)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vesta-iso.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/root/boot/grub"
cp "$elf" "$tmp/root/boot/vesta.elf"
cp "$bundle" "$tmp/root/boot/bundle.cpio"
cat > "$tmp/root/boot/grub/grub.cfg" <<'CFG'
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout=0
set default=0

menuentry "Vesta" {
	multiboot2 /boot/vesta.elf loglevel=info
	module2 /boot/bundle.cpio bundle
	boot
}
CFG

# grub-mkrescue chats on stderr even when it works: keep its output and show
# it only on failure. -d limits the image to the BIOS (i386-pc) platform.
mkdir -p "$(dirname "$out")"
if ! grub-mkrescue -d "$GRUB_PLATFORM_DIR" -o "$tmp/vesta.iso" "$tmp/root" \
	>"$tmp/log" 2>&1; then
	cat "$tmp/log" >&2
	die "grub-mkrescue failed; $out not written"
fi
[[ -s "$tmp/vesta.iso" ]] || { cat "$tmp/log" >&2; die "grub-mkrescue wrote no image"; }
mv -f "$tmp/vesta.iso" "$out"
echo "$prog: wrote $out"
