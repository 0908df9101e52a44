"""The Linux guest images built from Debian packages (guests/linux/,
docs/linux-guests.md): the recipe's outputs are what they claim to be, and
QEMU boots them directly, without Vesta: the bzImage through the Linux
boot protocol, the extracted vmlinux through its PVH entry note.

The recipe (guests/linux/build-image.sh, what `make linux-image` runs) is
run first: it makes what is missing or out of date (a ~72 MB download and
~10 s on a fresh machine) and costs well under a second otherwise, so the
images tested are those of the sources checked out.
"""

import os
import re
import stat
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import LOG_DIR, QEMU, REPO, Qemu
from newc import parse as parse_newc

sys.path.insert(0, str(REPO / "guests" / "linux"))
import bzimage  # noqa: E402  (guests/linux/bzimage.py)

LINUX = Path(os.environ.get("LINUX_CACHE", REPO / "cache" / "linux"))
VMLINUZ = LINUX / "vmlinuz"
VMLINUX = LINUX / "vmlinux"
INITRAMFS = LINUX / "initramfs.cpio"
MODULES_LIST = LINUX / "modules.list"
RECIPE = REPO / "guests" / "linux" / "build-image.sh"
OUTPUTS = (VMLINUZ, VMLINUX, INITRAMFS, MODULES_LIST)

# What a Vesta guest will need: virtio over MMIO and ext4.
WANTED_MODULES = ("virtio_mmio", "virtio_console", "virtio_blk",
                  "virtio_net", "virtio_rng", "ext4")

INIT_RE = (r"vesta-guest: init started kernel=(\S+) clocksource=(\S+) "
           r"cpus=(\d+) uptime=([\d.]+)")
MODULES_RE = r"vesta-guest: modules loaded=(\d+) failed=(\d+)"
# Lines that end a boot early: don't sit out the timeout.
FATAL_RE = r"Kernel panic|[Uu]nable to open an initial console"

BOOT_TIMEOUT = 90  # TCG boots the bzImage in ~5 s; a loaded host is slower


def run_recipe():
    return subprocess.run([str(RECIPE)], cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)


@pytest.fixture(scope="module")
def image():
    """Runs the recipe: makes the images if missing or out of date."""
    r = run_recipe()
    assert r.returncode == 0, f"{RECIPE} failed:\n{r.stdout}"
    missing = [str(p) for p in OUTPUTS if not p.exists()]
    assert not missing, f"the recipe did not make {missing}"
    return LINUX


def modules_list():
    """[(name, path, optional)] from cache/linux/modules.list."""
    rows = []
    for line in MODULES_LIST.read_text().splitlines():
        name, path, *flag = line.split()
        rows.append((name, path, flag == ["optional"]))
    return rows


# ------------------------------------------------------------ the images
@pytest.mark.slow
def test_vmlinuz_is_debians_bzimage(image):
    data = VMLINUZ.read_bytes()
    h = bzimage.setup_header(data)
    assert h["version"] >= 0x20c, "64-bit entry needs boot protocol 2.12"
    fmt, blob = bzimage.payload(data)
    assert fmt in ("xz", "zstd", "gzip")
    # The same kernel as the package's (the recipe copies it unchanged).
    version = (LINUX / "kernel-version").read_text().strip()
    shipped = (LINUX / f"root-linux-image-{version}" / "boot"
               / f"vmlinuz-{version}")
    assert shipped.read_bytes() == data


@pytest.mark.slow
def test_vmlinux_is_an_elf_with_a_pvh_entry_note(image):
    data = VMLINUX.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2, "not an ELF64"
    e_type, e_machine = struct.unpack_from("<HH", data, 0x10)
    assert (e_type, e_machine) == (2, 62), "not an x86-64 executable"
    entry = bzimage.pvh_entry(data)
    assert entry is not None, "no XEN_ELFNOTE_PHYS32_ENTRY note"
    # The PVH entry is a physical address inside a loaded segment.
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    inside = False
    for i in range(phnum):
        p_type, _f, _o, _v, p_paddr, _fs, p_memsz = struct.unpack_from(
            "<IIQQQQQ", data, phoff + i * phentsize)
        if p_type == 1 and p_paddr <= entry < p_paddr + p_memsz:
            inside = True
    assert inside, f"PVH entry {entry:#x} is in no PT_LOAD's physical range"
    # binutils agrees: a "Xen" note of type 0x12 (18, PHYS32_ENTRY).
    notes = subprocess.run(["readelf", "-n", str(VMLINUX)], check=True,
                           stdout=subprocess.PIPE, text=True).stdout
    assert re.search(r"^\s*Xen\s+0x0+[48]\s+.*\(0x00000012\)", notes,
                     re.M), notes


@pytest.mark.slow
def test_initramfs_holds_busybox_init_bench_and_modules(image):
    archive, _ = parse_newc(INITRAMFS.read_bytes())
    entries = {e.name: e for e in archive}
    init = entries["init"]
    assert stat.S_ISREG(init.mode) and init.mode & 0o111
    assert init.data.startswith(b"#!/bin/sh")
    assert entries["bin/busybox"].data[:4] == b"\x7fELF"
    for applet in ("bin/sh", "sbin/insmod", "bin/mount", "sbin/poweroff",
                   "usr/bin/setsid", "bin/cttyhack"):
        e = entries[applet]
        assert stat.S_ISLNK(e.mode) and e.data == b"/bin/busybox", applet
    # The kernel opens /dev/console for init before devtmpfs is mounted.
    console = entries["dev/console"]
    assert stat.S_ISCHR(console.mode)
    assert (console.fields["rdevmajor"], console.fields["rdevminor"]) == (5, 1)
    bench = entries["bin/bench"].data
    assert bench[:4] == b"\x7fELF"
    assert b"/lib64/ld-linux" not in bench, "bench must be static"
    # Every listed module is there, as a plain (uncompressed) .ko.
    version = (LINUX / "kernel-version").read_text().strip()
    base = f"lib/modules/{version}"
    for name, path, _ in modules_list():
        assert path.endswith(".ko"), path
        assert entries[f"{base}/{path}"].data[:4] == b"\x7fELF", name
    load_list = entries[f"{base}/load.list"].data.decode()
    assert load_list == MODULES_LIST.read_text()
    # Owned by root, whoever built it.
    assert all(e.fields["uid"] == 0 and e.fields["gid"] == 0
               for e in entries.values())


@pytest.mark.slow
def test_modules_come_with_their_dependencies_first(image):
    rows = modules_list()
    names = [n for n, _, _ in rows]
    for wanted in WANTED_MODULES:
        assert wanted in names, f"{wanted} is not in {MODULES_LIST}"
    # modules.dep in the initramfs: every dependency loads earlier.
    version = (LINUX / "kernel-version").read_text().strip()
    stage = LINUX / "initramfs-root" / "lib" / "modules" / version
    position = {path: i for i, (_, path, _) in enumerate(rows)}
    for line in (stage / "modules.dep").read_text().splitlines():
        module, _, deps = line.partition(":")
        for dep in deps.split():
            assert position[dep] < position[module], (module, dep)
    # virtio_mmio's own needs, resolved from the modules' .modinfo.
    assert names.index("virtio") < names.index("virtio_mmio")
    assert names.index("virtio_ring") < names.index("virtio_mmio")
    for dep in ("jbd2", "mbcache", "crc16", "crc32c_generic"):
        assert names.index(dep) < names.index("ext4"), dep


@pytest.mark.slow
def test_recipe_is_idempotent(image):
    before = {p: p.stat().st_mtime_ns for p in OUTPUTS}
    t0 = time.monotonic()
    r = run_recipe()
    took = time.monotonic() - t0
    assert r.returncode == 0, r.stdout
    assert {p: p.stat().st_mtime_ns for p in OUTPUTS} == before, r.stdout
    assert "apt-get" not in r.stdout, "a second run downloaded again"
    assert took < 30, f"a second run took {took:.1f} s"


# ------------------------------------------------------- booting directly
def linux_args(kernel, cmdline, smp=2, mem="256M", machine="pc", extra=()):
    return [QEMU, "-M", machine, "-accel", "tcg", "-cpu", "EPYC", "-m", mem,
            "-smp", str(smp), "-display", "none", "-serial", "stdio",
            "-monitor", "none", "-no-reboot", "-kernel", str(kernel),
            "-initrd", str(INITRAMFS), "-append", cmdline, *extra]


@pytest.fixture
def linux(request, image):
    """linux(kernel, cmdline, ...) boots QEMU directly on a Linux image."""
    machines = []
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)

    def boot(kernel, cmdline, **kw):
        n = len(machines)
        log = LOG_DIR / (f"{safe}.log" if n == 0 else f"{safe}.{n}.log")
        q = Qemu(linux_args(kernel, cmdline, **kw), safe, log)
        machines.append(q)
        return q

    yield boot
    for q in machines:
        print(q.close())


def host_tsc_khz():
    """The host's TSC rate in kHz, which is the guest's under TCG (QEMU
    reads the host TSC for RDTSC). /proc/cpuinfo's "cpu MHz" is it on
    these virtual machines; close is good enough for tsc_early_khz=."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("cpu MHz"):
            return int(float(line.split(":")[1]) * 1000)
    return 2_000_000


def wait_exit(q, timeout):
    try:
        return q.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"QEMU still running {timeout} s after poweroff was "
                    "asked", pytrace=False)


@pytest.mark.slow
def test_bzimage_boots_to_init_modules_and_a_shell(linux):
    q = linux(VMLINUZ, "console=ttyS0 panic=-1")
    m = q.wait_for(INIT_RE, timeout=BOOT_TIMEOUT, before=FATAL_RE)
    assert m.group(1) == (LINUX / "kernel-version").read_text().strip()
    assert m.group(3) == "2"
    m = q.wait_for(MODULES_RE, before=FATAL_RE)
    assert m.group(2) == "0", m.string
    assert int(m.group(1)) >= len([r for r in modules_list() if not r[2]])
    q.wait_for(r"vesta-guest: shell on ttyS0")
    # The shell answers on the serial console.
    time.sleep(0.5)
    q.send("echo shell-says-$((6 * 7)); cat /proc/modules | wc -l\n")
    q.wait_for(r"^shell-says-42$")


@pytest.mark.slow
def test_vmlinux_boots_through_pvh_and_runs_a_command(linux):
    # QEMU boots an ELF only through its PVH note: no note, no boot.
    q = linux(VMLINUX, 'console=ttyS0 panic=-1 '
              'vesta.run="echo run-says $((6 * 7)); exit 3"')
    q.wait_for(INIT_RE, timeout=BOOT_TIMEOUT, before=FATAL_RE)
    q.wait_for(MODULES_RE + r"(?= |$)", before=FATAL_RE)
    q.wait_for(r"^run-says 42$")
    q.wait_for(r"vesta-guest: run exit=3")
    # Then init powers the machine off: QEMU exits by itself.
    assert wait_exit(q, 30) == 0


@pytest.mark.slow
def test_bench_prints_every_figure_and_powers_off(linux):
    q = linux(VMLINUX, 'console=ttyS0 panic=-1 vesta.modules=0 '
              'vesta.run="bench -t 0.02"')
    q.wait_for(INIT_RE, timeout=BOOT_TIMEOUT, before=FATAL_RE)
    for name in ("cpu", "getppid", "clock", "fork", "pipe", "fault"):
        m = q.wait_for(rf"^vesta-bench: {name} ([\d.e+]+) (\S+) n=\d+$")
        assert float(m.group(1)) > 0
    q.wait_for(r"^vesta-bench: done$")
    q.wait_for(r"vesta-guest: run exit=0")
    assert not q.find_all(MODULES_RE), "vesta.modules=0 loaded modules"
    assert wait_exit(q, 30) == 0


@pytest.mark.slow
def test_modules_drive_virtio_mmio_devices_declared_in_acpi(linux, tmp_path):
    # QEMU's microvm is the platform Vesta offers Linux: no PCI, ACPI
    # tables declaring virtio-mmio devices (_HID LNRO0005), which Debian's
    # kernel can only find that way. With no HPET or ACPI PM timer there,
    # Linux calibrates the TSC against the PIT only, which fails when the
    # host is busy, and then hangs calibrating the APIC timer (the trap
    # DESIGN.md describes): tsc_early_khz= gives it the TSC rate instead.
    files = tmp_path / "files"
    files.mkdir()
    (files / "vesta-disk.txt").write_text("written on the host\n")
    disk = tmp_path / "disk.ext4"
    subprocess.run(["mke2fs", "-q", "-t", "ext4", "-d", str(files),
                    str(disk), "16M"], check=True)
    hvc = tmp_path / "hvc0.out"
    run = ("ls /sys/bus/platform/drivers/virtio-mmio; "
           "for d in /sys/bus/virtio/drivers/*/virtio*; do "
           "echo bound: ${d#/sys/bus/virtio/drivers/}; done; "
           "mkdir /mnt && mount -t ext4 /dev/vda /mnt && "
           "echo disk: $(cat /mnt/vesta-disk.txt) && umount /mnt && "
           "echo rng: $(cat /sys/class/misc/hw_random/rng_current) && "
           "echo console-says-hello >/dev/hvc0")
    q = linux(VMLINUX, f"console=ttyS0 panic=-1 "
              f"tsc_early_khz={host_tsc_khz()} vesta.run=\"{run}\"",
              machine="microvm,acpi=on", extra=(
                  "-drive", f"id=d0,file={disk},format=raw,if=none",
                  "-device", "virtio-blk-device,drive=d0",
                  "-device", "virtio-rng-device",
                  "-device", "virtio-serial-device",
                  "-chardev", f"file,id=hvc,path={hvc}",
                  "-device", "virtconsole,chardev=hvc",
                  "-netdev", "user,id=n0,restrict=on",
                  "-device", "virtio-net-device,netdev=n0"))
    q.wait_for(INIT_RE, timeout=BOOT_TIMEOUT, before=FATAL_RE)
    m = q.wait_for(MODULES_RE, before=FATAL_RE)
    assert m.group(2) == "0", m.string
    q.wait_for(r"vesta-guest: run exit=0")
    assert wait_exit(q, 30) == 0
    # Four devices found through ACPI, each bound to its driver.
    text = "\n".join(q.lines)
    assert len(set(re.findall(r"LNRO0005:\d+", text))) == 4, text
    bound = {m.group(1) for m in q.find_all(r"^bound: (\w+)/virtio\d+$")}
    assert bound == {"virtio_blk", "virtio_rng", "virtio_console",
                     "virtio_net"}
    assert q.find_all(r"^disk: written on the host$")
    assert q.find_all(r"^rng: virtio_rng")
    assert hvc.read_text().strip() == "console-says-hello"
