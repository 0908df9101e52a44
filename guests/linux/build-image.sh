#!/usr/bin/env bash
# Builds the Linux guest images from Debian packages alone
# (docs/linux-guests.md). Idempotent: what is done is not done again.
#
#   guests/linux/build-image.sh        (or `make linux-image`)
#
# Into cache/linux/ (LINUX_CACHE overrides):
#   debs/                  linux-image-6.1.0-NN-amd64 and busybox-static
#   root-<package>/        each .deb unpacked
#   vmlinuz                the kernel as Debian ships it (bzImage)
#   vmlinux                its uncompressed ELF, with the PVH entry note
#   bench, msr-sweep       guests/linux/bench.c and msr_sweep.c, built
#                          static
#   modules.list           the modules in the initramfs, in load order
#   initramfs.cpio         busybox, /init, /bin/bench, /bin/msr-sweep and
#                          the modules
#
# Environment:
#   LINUX_PACKAGE   the kernel package (default: what linux-image-amd64
#                   depends on; once downloaded, the .deb in debs/ is kept)
#   LINUX_MODULES   the modules wanted in the initramfs (their
#                   dependencies come along), default below
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${LINUX_CACHE:-$REPO/cache/linux}
MODULES=${LINUX_MODULES:-virtio_mmio virtio_console virtio_blk virtio_net virtio_rng ext4 pvpanic_mmio msr}
PY=/usr/bin/python3
CC=${CC:-gcc}

say() { echo "linux-image: $*" >&2; }
die() { echo "linux-image: error: $*" >&2; exit 1; }

as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		die "need root (or sudo) for: $*"
	fi
}

apt_updated=
apt_update() {
	[[ -n $apt_updated ]] && return
	say "apt-get update"
	as_root apt-get update -qq || die "apt-get update failed"
	apt_updated=1
}

# The newest .deb in debs/ whose name starts with $1 (a glob), or nothing.
cached_deb() {
	local f
	# shellcheck disable=SC2012,SC2086  # $1 is a glob; names have no spaces
	f=$(ls -1 "$OUT/debs/"$1_*.deb 2>/dev/null | sort -V | tail -n 1) || true
	echo "$f"
}

# Downloads package $1 into debs/ (through a temporary directory, so that
# an interrupted download leaves nothing behind).
download() {
	local tmp="$OUT/debs/.download"
	rm -rf "$tmp" && mkdir -p "$tmp"
	say "apt-get download $1"
	if ! (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$1" >/dev/null); then
		apt_update
		(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$1" >/dev/null) ||
			die "apt-get download $1 failed"
	fi
	mv "$tmp"/*.deb "$OUT/debs/"
	rmdir "$tmp"
}

# The real kernel package behind the linux-image-amd64 metapackage.
kernel_package() {
	local pkg
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
	if [[ -z $pkg ]]; then
		apt_update
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
			awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
	fi
	[[ -n $pkg ]] || die "apt-cache knows no linux-image-amd64"
	echo "$pkg"
}

# Unpacks $1 (a .deb) into root-<package>/ unless done; prints the path.
unpack() {
	local name root
	name=$(basename "$1" .deb)
	name=${name%%_*}
	root="$OUT/root-$name"
	if [[ ! -f $root/.unpacked || $(cat "$root/.unpacked") != "$(basename "$1")" ]]; then
		say "unpacking $(basename "$1")"
		rm -rf "$root" "$root.tmp"
		dpkg-deb -x "$1" "$root.tmp"
		basename "$1" >"$root.tmp/.unpacked"
		mv "$root.tmp" "$root"
	fi
	echo "$root"
}

mkdir -p "$OUT/debs"

# ------------------------------------------------------------ 1. packages
if [[ -n ${LINUX_PACKAGE:-} ]]; then
	kpkg=$LINUX_PACKAGE
	kdeb=$(cached_deb "$kpkg")
else
	kdeb=$(cached_deb "linux-image-[0-9]*-amd64")
	[[ -n $kdeb ]] || kpkg=$(kernel_package)
fi
if [[ -z $kdeb ]]; then
	download "$kpkg"
	kdeb=$(cached_deb "$kpkg")
	[[ -n $kdeb ]] || die "no $kpkg .deb after the download"
fi
bdeb=$(cached_deb busybox-static)
if [[ -z $bdeb ]]; then
	download busybox-static
	bdeb=$(cached_deb busybox-static)
	[[ -n $bdeb ]] || die "no busybox-static .deb after the download"
fi

kroot=$(unpack "$kdeb")
broot=$(unpack "$bdeb")

# ------------------------------------------------------ 2. vmlinuz, vmlinux
shopt -s nullglob
vmlinuzes=("$kroot"/boot/vmlinuz-*)
shopt -u nullglob
[[ ${#vmlinuzes[@]} -eq 1 ]] || die "expected one boot/vmlinuz-* in $kroot"
kver=${vmlinuzes[0]##*/vmlinuz-}
[[ -d $kroot/lib/modules/$kver ]] || die "no lib/modules/$kver in $kroot"

if ! cmp -s "${vmlinuzes[0]}" "$OUT/vmlinuz"; then
	say "vmlinuz ($kver)"
	cp "${vmlinuzes[0]}" "$OUT/vmlinuz.tmp"
	mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
	rm -f "$OUT/vmlinux"
fi
if [[ ! -f $OUT/vmlinux || $OUT/vmlinux -ot $OUT/vmlinuz ]]; then
	say "vmlinux"
	"$PY" "$HERE/bzimage.py" extract "$OUT/vmlinuz" "$OUT/vmlinux"
fi
if [[ $(cat "$OUT/kernel-version" 2>/dev/null) != "$kver" ]]; then
	echo "$kver" >"$OUT/kernel-version"
fi

# -------------------------------------------------------------- 3. tools
# Each guests/linux/NAME.c becomes a static NAME (underscores to dashes).
TOOLS=(bench msr-sweep io-bench)
for tool in "${TOOLS[@]}"; do
	src="$HERE/${tool//-/_}.c"
	if [[ ! -x $OUT/$tool || $OUT/$tool -ot $src ]]; then
		say "$tool"
		"$CC" -static -O2 -Wall -Wextra -Werror -o "$OUT/$tool.tmp" "$src"
		mv "$OUT/$tool.tmp" "$OUT/$tool"
	fi
done

# ---------------------------------------------------------- 4. initramfs
# Rebuilt when anything that goes into it changed: the inputs' digest is
# kept beside it (mtimes alone would not notice a changed module list).
inputs=$({
	echo "kernel $(basename "$kdeb") busybox $(basename "$bdeb")"
	echo "modules $MODULES"
	sha256sum "$HERE/init" "$HERE/kmods.py" "$HERE/mkcpio.py" \
		"$HERE/build-image.sh" "${TOOLS[@]/#/$OUT/}" | awk '{ print $1 }'
} | sha256sum | awk '{ print $1 }')

if [[ ! -f $OUT/initramfs.cpio || ! -f $OUT/modules.list ||
	$(cat "$OUT/initramfs.inputs" 2>/dev/null) != "$inputs" ]]; then
	say "initramfs"
	stage="$OUT/initramfs-root"
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,root,lib/modules}
	cp "$broot/bin/busybox" "$stage/bin/busybox"
	chmod 0755 "$stage/bin/busybox"
	# One symbolic link per applet, where busybox itself would put it.
	"$stage/bin/busybox" --list-full | while read -r applet; do
		case $applet in
		linuxrc | sbin/init | bin/busybox) continue ;;
		esac
		mkdir -p "$stage/$(dirname "$applet")"
		ln -sf /bin/busybox "$stage/$applet"
	done
	install -m 0755 "$HERE/init" "$stage/init"
	for tool in "${TOOLS[@]}"; do
		install -m 0755 "$OUT/$tool" "$stage/bin/$tool"
	done
	# shellcheck disable=SC2086  # one word per module
	"$PY" "$HERE/kmods.py" "$kroot" "$kver" "$stage" $MODULES \
		>"$OUT/modules.list.tmp"
	mv "$OUT/modules.list.tmp" "$OUT/modules.list"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
	printf 'root:x:0:\ntty:x:5:\n' >"$stage/etc/group"
	# shellcheck disable=SC2016  # $PWD is for the guest's shell
	printf 'export PS1='\''vesta-guest:$PWD# '\''\n' >"$stage/etc/profile"
	"$PY" "$HERE/mkcpio.py" --node dev/console:c:5:1 --node dev/null:c:1:3 \
		"$stage" "$OUT/initramfs.cpio" >/dev/null
	echo "$inputs" >"$OUT/initramfs.inputs"
fi

say "$OUT: vmlinuz $(stat -c %s "$OUT/vmlinuz") bytes, vmlinux" \
	"$(stat -c %s "$OUT/vmlinux") bytes, initramfs.cpio" \
	"$(stat -c %s "$OUT/initramfs.cpio") bytes," \
	"$(wc -l <"$OUT/modules.list") modules (kernel $kver)"
