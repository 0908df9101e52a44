"""Disks in Linux domains (docs/virtio-blk.md): an ext4 image made at test
time with mke2fs -d, put in the bundle as images/root.img, mounted in the
guest; files written and read back with checksums; the data across a guest
reboot; read-only disks; GET_ID serials and sizes; bad disk configs.

The guest runs its commands through vesta.run= (guests/linux/init) inside
the config's double-quoted `extra`, so a command holds no double quote and
no backslash: the shell's quoting is single quotes only."""

import hashlib
import os
import shutil
import subprocess

import pytest

from conftest import ANY_READY_RE
from test_linux_domains import LINUX, linux_config

HELLO = "hello from the host, vesta disk test 7c1e\n"
ROOT_DISK = "disk = [ 'images/root.img,raw,xvda,rw' ]"
BOOT = 120   # seconds for a Linux domain to boot and reach its command


def md5(data):
    return hashlib.md5(data).hexdigest()


def mke2fs():
    for path in (shutil.which("mke2fs"), "/usr/sbin/mke2fs", "/sbin/mke2fs"):
        if path and os.access(path, os.X_OK):
            return path
    pytest.fail("mke2fs not found: install e2fsprogs", pytrace=False)


@pytest.fixture
def ext4_image(tmp_path):
    """ext4_image(files, size) makes an ext4 image with those files
    ({name: bytes or str}) in its root, returns its bytes."""
    counter = [0]

    def make(files, size="32M"):
        counter[0] += 1
        src = tmp_path / f"ext4-src{counter[0]}"
        src.mkdir()
        for name, content in files.items():
            if isinstance(content, str):
                content = content.encode()
            (src / name).write_bytes(content)
        img = tmp_path / f"ext4-{counter[0]}.img"
        subprocess.run([mke2fs(), "-q", "-F", "-t", "ext4", "-d", str(src),
                        str(img), size], check=True)
        return img.read_bytes()
    return make


def run_cmdline(cmd):
    """The kernel command line running `cmd` (sh) in the guest."""
    assert '"' not in cmd and "\\" not in cmd, cmd
    line = f'console=ttyS0 vesta.run=\\"{cmd}\\"'
    assert len(line) <= 511, f"extra is {len(line)} characters, 511 at most"
    return line


@pytest.fixture
def bundle_with(mkbundle):
    """bundle_with(images, **configs): the Linux kernel and initramfs, the
    images ({bundle path: bytes}) and auto/NAME.cfg for each config."""
    for f in ("vmlinuz", "initramfs.cpio"):
        if not (LINUX / f).exists():
            pytest.fail(f"cache/linux/{f} missing: run `make linux-image`")

    def make(images, **configs):
        files = {"linux/vmlinuz": (LINUX / "vmlinuz").read_bytes(),
                 "linux/initramfs.cpio":
                     (LINUX / "initramfs.cpio").read_bytes()}
        files.update(images)
        for name, text in configs.items():
            files[f"auto/{name}.cfg"] = text
        return mkbundle(files)[0]
    return make


def line_of(text, prefix):
    """The 1-based number of the first line of `text` starting `prefix`."""
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith(prefix):
            return n
    raise AssertionError(f"no {prefix!r} line in {text!r}")


def test_ext4_files_read_back_and_written_files_keep_their_checksum(
        vesta, bundle_with, ext4_image):
    image = ext4_image({"hello.txt": HELLO})
    # Read the image's own file; write 2 MB of random bytes; unmount, drop
    # every cache, mount again and read it back.
    cmd = ("mkdir -p /mnt; mount /dev/vda /mnt || exit 1; "
           "echo hello-text $(cat /mnt/hello.txt); "
           "echo hello-md5 $(md5sum < /mnt/hello.txt); "
           "head -c 2097152 /dev/urandom > /mnt/data || exit 2; "
           "echo written-md5 $(md5sum < /mnt/data); "
           "umount /mnt || exit 3; sync; echo 3 > /proc/sys/vm/drop_caches; "
           "blockdev --flushbufs /dev/vda; "
           "mount /dev/vda /mnt || exit 4; "
           "echo reread-md5 $(md5sum < /mnt/data) size $(stat -c %s /mnt/data); "
           "umount /mnt")
    q = vesta(smp=2, mem="1G", initrd=bundle_with(
        {"images/root.img": image},
        fs=linux_config("fs", cmdline=run_cmdline(cmd), extra=ROOT_DISK)))
    q.wait_ready()
    m = q.wait_for(r"\[fs\] hello-text ([^$]+)$", timeout=BOOT)
    assert m.group(1).strip() == HELLO.strip()
    m = q.wait_for(r"\[fs\] hello-md5 ([0-9a-f]{32})", timeout=60)
    assert m.group(1) == md5(HELLO.encode())
    written = q.wait_for(r"\[fs\] written-md5 ([0-9a-f]{32})",
                         timeout=120).group(1)
    m = q.wait_for(r"\[fs\] reread-md5 ([0-9a-f]{32}) .*size (\d+)", timeout=120)
    assert m.group(1) == written
    assert int(m.group(2)) == 2097152
    assert written != md5(b"\0" * 2097152)
    q.wait_for(r"\[fs\] vesta-guest: run exit=0", timeout=60)
    assert not q.find_all(r"\[fs\] .*(I/O error|EXT4-fs error|blk_update_request)")


def test_data_written_before_a_guest_reboot_is_there_after_it(
        vesta, bundle_with, ext4_image):
    image = ext4_image({"hello.txt": HELLO})
    # One command for both boots, branching on what the disk holds. The
    # first boot ends with reboot -f: on_reboot is left to its default,
    # restart; the second powers off (on_poweroff's default: destroy).
    cmd = ("mkdir -p /mnt; mount /dev/vda /mnt || exit 1; "
           "if [ -f /mnt/marker ]; then "
           "echo second-boot $(md5sum < /mnt/marker); umount /mnt; "
           "else head -c 100000 /dev/urandom > /mnt/marker; "
           "echo first-boot $(md5sum < /mnt/marker); "
           "umount /mnt; sync; reboot -f; fi")
    q = vesta(smp=2, mem="1G", initrd=bundle_with(
        {"images/root.img": image},
        rb=linux_config("rb", cmdline=run_cmdline(cmd), extra=ROOT_DISK)))
    q.wait_ready()
    first = q.wait_for(r"\[rb\] first-boot ([0-9a-f]{32})",
                       timeout=BOOT).group(1)
    q.wait_for(r"domain rb: rebooted", timeout=60)
    # Without the data, the second boot would write the marker again.
    second = q.wait_for(r"\[rb\] second-boot ([0-9a-f]{32})", timeout=BOOT,
                        before=r"\[rb\] first-boot [0-9a-f]").group(1)
    assert second == first
    q.wait_for(r"domain rb: destroyed", timeout=60)
    assert len(q.find_all(r"domain rb: created")) == 2
    assert len(q.find_all(r"\[rb\] first-boot")) == 1


def test_a_read_only_disk_refuses_writes_and_keeps_its_content(
        vesta, bundle_with, ext4_image):
    image = ext4_image({"hello.txt": HELLO})
    # A direct write to the device; then again after asking the kernel to
    # make the device writable (it stays read-only while the device says
    # so); then the file system, read-only, and the whole device's md5.
    cmd = ("echo ro-flag $(cat /sys/block/vda/ro); "
           "w='dd if=/dev/zero of=/dev/vda bs=4096 count=1 oflag=direct'; "
           "$w; echo dd1-exit $?; blockdev --setrw /dev/vda; "
           "$w seek=8 conv=notrunc,fsync; echo dd2-exit $?; "
           "echo 3 > /proc/sys/vm/drop_caches; "
           "mkdir -p /mnt; mount -o ro /dev/vda /mnt || exit 1; "
           "echo hello-text $(cat /mnt/hello.txt); "
           "touch /mnt/new; echo touch-exit $?; umount /mnt; "
           "echo device-md5 $(md5sum < /dev/vda)")
    q = vesta(smp=2, mem="1G", initrd=bundle_with(
        {"images/root.img": image},
        ro=linux_config("ro", cmdline=run_cmdline(cmd),
                        extra="disk = [ 'images/root.img,raw,xvda,ro' ]")))
    q.wait_ready()
    assert q.wait_for(r"\[ro\] ro-flag (\d+)", timeout=BOOT).group(1) == "1"
    assert q.wait_for(r"\[ro\] dd1-exit (\d+)").group(1) != "0"
    assert q.wait_for(r"\[ro\] dd2-exit (\d+)").group(1) != "0"
    m = q.wait_for(r"\[ro\] hello-text ([^$]+)$", timeout=60)
    assert m.group(1).strip() == HELLO.strip()
    assert q.wait_for(r"\[ro\] touch-exit (\d+)").group(1) != "0"
    m = q.wait_for(r"\[ro\] device-md5 ([0-9a-f]{32})", timeout=120)
    assert m.group(1) == md5(image)
    q.wait_for(r"\[ro\] vesta-guest: run exit=0", timeout=60)


@pytest.mark.parametrize("order", ["xvda-first", "xvdb-first"])
def test_disks_show_their_vdev_as_serial_in_vdev_order_with_their_sizes(
        vesta, bundle_with, ext4_image, order):
    root = ext4_image({"hello.txt": HELLO})
    # Not a whole number of sectors: the capacity rounds down.
    data = bytes(range(256)) * (3 * 4096) + b"x" * 700
    data_sectors = len(data) // 512
    specs = ["'images/root.img,raw,xvda,rw'", "'images/data.img,raw,xvdb,rw'"]
    if order == "xvdb-first":
        specs.reverse()
    cmd = ("for d in vda vdb vdc; do echo disk $d "
           "$(cat /sys/block/$d/serial 2>/dev/null || echo none) "
           "$(cat /sys/block/$d/size 2>/dev/null || echo none); done; "
           "echo vda-md5 $(md5sum < /dev/vda); "
           "echo vdb-md5 $(md5sum < /dev/vdb)")
    q = vesta(smp=2, mem="1G", initrd=bundle_with(
        {"images/root.img": root, "images/data.img": data},
        two=linux_config("two", cmdline=run_cmdline(cmd),
                         extra=f"disk = [ {', '.join(specs)} ]")))
    q.wait_ready()
    disks = {}
    for dev in ("vda", "vdb", "vdc"):
        m = q.wait_for(rf"\[two\] disk {dev} (\S+) (\S+)", timeout=BOOT)
        disks[dev] = (m.group(1), m.group(2))
    assert disks == {"vda": ("xvda", str(len(root) // 512)),
                     "vdb": ("xvdb", str(data_sectors)),
                     "vdc": ("none", "none")}
    m = q.wait_for(r"\[two\] vda-md5 ([0-9a-f]{32})", timeout=120)
    assert m.group(1) == md5(root)
    m = q.wait_for(r"\[two\] vdb-md5 ([0-9a-f]{32})", timeout=60)
    assert m.group(1) == md5(data[:data_sectors * 512])
    q.wait_for(r"\[two\] vesta-guest: run exit=0", timeout=60)


def test_bad_disk_configs_are_clear_errors_and_other_domains_start(
        vesta, bundle_with, ext4_image):
    image = ext4_image({"hello.txt": HELLO})
    qcow = linux_config("qcow", extra="disk = [ 'images/root.img,qcow2,xvda' ]")
    missing = linux_config(
        "missing", extra="disk = [ 'images/missing.img,raw,xvda,rw' ]")
    good = linux_config("good", extra=ROOT_DISK, cmdline=run_cmdline(
        "mkdir -p /mnt; mount -o ro /dev/vda /mnt && "
        "echo hello-text $(cat /mnt/hello.txt)"))
    q = vesta(smp=2, mem="1G", initrd=bundle_with(
        {"images/root.img": image}, qcow=qcow, missing=missing, good=good))
    line = line_of(qcow, "disk")
    # Bundle order decides which comes first: look for both before ready.
    m = q.wait_for(ANY_READY_RE)
    assert m.string.endswith(" domains=1"), m.string
    ready = q.match_index
    before = "\n".join(q.lines_between(0, ready))
    assert (f"config: error: auto/qcow.cfg:{line}: disk: format qcow2 is "
            f"not supported (only raw)") in before, before
    assert ("domain missing: error: disk xvda: 'images/missing.img' is not "
            "in the bundle") in before, before
    assert q.find_all(r"^domain good: created")
    m = q.wait_for(r"\[good\] hello-text ([^$]+)$", timeout=BOOT)
    assert m.group(1).strip() == HELLO.strip()
    assert not q.find_all(r"domain (qcow|missing): created")
