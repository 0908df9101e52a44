#!/usr/bin/python3
"""Virtio I/O inside a Linux guest: Vesta's virtio devices against QEMU's
own, the same guest booted directly in the same run. Prints figures, never
pass/fail; a figure that cannot be had is printed as n/a with its reason.
Images from `make linux-image` (cache/linux/), Vesta from `make`.

The guest is Debian's kernel (vmlinuz) with the initramfs; /init runs the
command of `vesta.run=` and powers off. The program is io-bench
(guests/linux/io_bench.c):

  blk  `io-bench blk /dev/vda 64`: sequential write of 64 MiB in 1 MiB
       O_DIRECT requests plus the flush, sequential read of the same, then
       4 KiB O_DIRECT random reads for 3 s; on a 96 MiB raw disk image
       made here (zeros)
  tcp  two guests on one Ethernet segment, 10.0.0.1/24 and 10.0.0.2/24 on
       eth0 (busybox `ip`): `io-bench tcp-recv 5001` on the first,
       `io-bench tcp-send 10.0.0.1 5001 5` on the second (5 s of 64 KiB
       writes; the sender's MB/s counts until the receiver has read all)

  direct  qemu-system-x86_64 -M microvm,acpi=on -accel tcg -cpu EPYC -m 512M
          -smp 1 -kernel vmlinuz -initrd initramfs.cpio, one process a
          guest, QEMU's virtio-blk-device (the image in /dev/shm when it
          has room: Vesta's disk is in memory too) and virtio-net-device
          on `-netdev dgram` (UDP on 127.0.0.1 between the two processes):
          virtio-mmio declared in ACPI, the platform closest to Vesta's.
          The kernel gets tsc_early_khz= and tsc=reliable (see
          direct_machine_cmdline), so that its clocksource is the TSC.
  vesta   qemu-system-x86_64 -accel tcg -cpu EPYC -m 2G -smp 2 -kernel
          build/vesta.elf -initrd BUNDLE, the bundle (build/tools/mkbundle)
          holding linux/vmlinuz, linux/initramfs.cpio and, for blk,
          images/disk.img and auto/blk.cfg (`disk = [
          'images/disk.img,raw,xvda,rw' ]`), for tcp auto/rx.cfg and
          auto/tx.cfg (`vif = [ 'mac=00:16:3e:00:00:0N,bridge=xenbr0' ]`);
          each domain memory = 512, vcpus = 1. In the guest the disk is
          /dev/vda and the NIC eth0 (virtio-mmio from ACPI).

Ratios are vesta/direct of the medians: MB/s and IOPS, higher is better,
so above 1 Vesta is faster (the target is >= 1.0). A Vesta run that fails
or times out prints `vesta: not available (REASON)` and leaves its figures
n/a; the direct figures are printed all the same. About 1.5 minutes for
the direct side with the defaults, plus Vesta's runs.

Usage: bench/virtio.py [--runs N] [--no-vesta] [--no-direct]
"""

import argparse
import os
import re
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import linux_direct as direct  # noqa: E402  (same directory)

REPO = direct.REPO
BUILD = REPO / "build"
HV_ELF = Path(os.environ.get("VESTA_ELF", BUILD / "vesta.elf"))
MKBUNDLE = BUILD / "tools" / "mkbundle"
QEMU = direct.QEMU
VMLINUZ, INITRAMFS = direct.VMLINUZ, direct.INITRAMFS

DISK_MIB = 96
BLK_MIB = 64
TCP_PORT = 5001
TCP_SECONDS = 5
MEMORY_MIB = 512
BASE_CMDLINE = "console=ttyS0 panic=-1 quiet"
MACS = {"rx": "00:16:3e:00:00:01", "tx": "00:16:3e:00:00:02"}
IPS = {"rx": "10.0.0.1", "tx": "10.0.0.2"}

BLK_CMD = f"io-bench blk /dev/vda {BLK_MIB}"


def net_cmd(role):
    """The guest command of the receiver or the sender: the address first
    (&&: without eth0 the run ends at once instead of waiting)."""
    run = (f"ip addr add {IPS[role]}/24 dev eth0 && ip link set eth0 up && "
           "io-bench ")
    if role == "rx":
        return run + f"tcp-recv {TCP_PORT}"
    return run + f"tcp-send {IPS['rx']} {TCP_PORT} {TCP_SECONDS}"


# (figure, unit, the guest that prints it)
FIGURES = [("blk seq-write", "MB/s", "blk"), ("blk seq-read", "MB/s", "blk"),
           ("blk rand-read-4k", "IOPS", "blk"), ("tcp-send", "MB/s", "tx"),
           ("tcp-recv", "MB/s", "rx")]

BLK_RE = re.compile(r"io-bench: (blk \S+) ([\d.]+) (MB/s|IOPS)")
TCP_RE = re.compile(r"io-bench: (tcp-send|tcp-recv) (\d+) bytes in "
                    r"([\d.]+) s: ([\d.]+) MB/s")
CLOCKSOURCE_RE = re.compile(r"io-bench: clocksource=(\S+)")
ERROR_RE = re.compile(r"io-bench: error: (.*)")
EXIT_RE = re.compile(r"vesta-guest: run exit=(\d+)")
PREFIX_RE = re.compile(r"^\[([A-Za-z0-9_.-]+)\] (.*)$")
READY_RE = re.compile(r"vesta ready")
DESTROYED_RE = re.compile(r"domain (\S+): destroyed after (\d+) ms: cpu (\d+) "
                          r"ms, exits (\d+) \((.*)\)")
FATAL_RE = re.compile(r"Kernel panic|^PANIC|config: error: .*|"
                      r"domain \S+: .*crash.*")
QEMU_NOISE_RE = re.compile(r"warning: TCG doesn't support")


# -------------------------------------------------------------- running

class Run:
    """QEMU processes run together, each one's serial port (and stderr) on
    a pipe; every line kept by guest: a direct process's lines under its
    name, a Vesta process's `[NAME] ` lines under NAME and its own under
    `vesta`."""

    def __init__(self, procs, prefixed):
        self.t0 = time.monotonic()
        self.prefixed = prefixed
        self.lines = {}          # guest -> [line]
        self.partial = {}
        self.sel = selectors.DefaultSelector()
        self.procs = {}
        for name, argv in procs:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT)
            self.procs[name] = p
            self.partial[name] = b""
            self.lines.setdefault(name, [])
            self.sel.register(p.stdout, selectors.EVENT_READ, name)
        self.open = set(self.procs)

    def elapsed(self):
        return time.monotonic() - self.t0

    def _add(self, proc_name, text):
        text = text.replace("\r", "")
        m = PREFIX_RE.match(text) if self.prefixed else None
        if m:
            self.lines.setdefault(m.group(1), []).append(m.group(2))
        else:
            self.lines.setdefault(proc_name, []).append(text)

    def pump(self, wait):
        for key, _ in self.sel.select(max(wait, 0)):
            name = key.data
            chunk = os.read(key.fileobj.fileno(), 65536)
            if not chunk:
                self.sel.unregister(key.fileobj)
                self.open.discard(name)
                if self.partial[name]:
                    self._add(name, self.partial[name].decode(
                        "utf-8", "replace"))
                continue
            *done, self.partial[name] = (self.partial[name] + chunk).split(
                b"\n")
            for d in done:
                self._add(name, d.decode("utf-8", "replace"))

    def until(self, done, timeout):
        """Reads until done(self) is true, every process has exited, or
        timeout s have passed; returns why: done, exited or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            if done(self):
                return "done"
            if not self.open:
                return "exited"
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            self.pump(min(left, 1.0))

    def find(self, guest, regex):
        for line in self.lines.get(guest, []):
            m = regex.search(line)
            if m:
                return m
        return None

    def find_all(self, regex):
        return [(g, m) for g, lines in self.lines.items() for line in lines
                for m in [regex.search(line)] if m]

    def close(self):
        for p in self.procs.values():
            p.kill()
        for p in self.procs.values():
            p.wait()
            p.stdout.close()
        self.sel.close()


def guests_done(guests):
    """done(): every guest ran its command, or one failed (a sender whose
    receiver failed would only wait)."""
    def done(run):
        exits = [run.find(g, EXIT_RE) for g in guests]
        if all(exits):
            return True
        return any(m and m.group(1) != "0" for m in exits)
    return done


def vesta_done(guests):
    plain = guests_done(guests)

    def done(run):
        if plain(run) or run.find_all(FATAL_RE):
            return True
        # Every domain gone without its figures: nothing more will come.
        gone = {m.group(1) for _, m in run.find_all(DESTROYED_RE)}
        return all(g in gone for g in guests)
    return done


def last_line(run, guests):
    for g in list(guests) + ["vesta"]:
        for line in reversed(run.lines.get(g, [])):
            if line.strip() and not QEMU_NOISE_RE.search(line):
                return f"[{g}] {line.strip()[:100]}"
    return "no output"


def failed_command(run, guest):
    """For a guest whose command exited non-zero: the exit status and the
    line before it (what the failing command said), else None."""
    lines = run.lines.get(guest, [])
    for i, line in enumerate(lines):
        m = EXIT_RE.search(line)
        if m and m.group(1) != "0":
            before = [x.strip() for x in lines[:i] if x.strip()]
            said = before[-1] if before else ""
            if said.startswith("vesta-guest: run:"):
                said = ""
            return f"run exit={m.group(1)}" + (f" after `{said[:100]}`"
                                                if said else "")
    return None


def collect(run, how, guests, timeout):
    """The figures of one run and, if some are missing, why:
    ({figure: value}, {guest: clocksource}, reason or None)."""
    figures, clocksources = {}, {}
    for g in guests:
        for line in run.lines.get(g, []):
            m = BLK_RE.search(line)
            if m:
                figures[m.group(1)] = float(m.group(2))
            m = TCP_RE.search(line)
            if m:
                figures[m.group(1)] = float(m.group(4))
            m = CLOCKSOURCE_RE.search(line)
            if m:
                clocksources[g] = m.group(1)
    wanted = [f for f, _, g in FIGURES if g in guests]
    if all(f in figures for f in wanted):
        return figures, clocksources, None
    reasons = [f"[{g}] {m.group(1)}" for g in guests
               for m in [run.find(g, ERROR_RE)] if m]
    reasons += [f"[{g}] {m.group(0)}" for g, m in run.find_all(FATAL_RE)]
    if not reasons:
        reasons += [f"[{g}] {failed_command(run, g)}" for g in guests
                    if failed_command(run, g)]
    if not reasons:
        if how == "timeout":
            reasons.append(f"timed out after {timeout:.0f} s; last line "
                           f"{last_line(run, guests)}")
        else:
            reasons.append(f"QEMU exited or the guests ended without the "
                           f"figures; last line {last_line(run, guests)}")
    return figures, clocksources, "; ".join(reasons)


# --------------------------------------------------------------- direct

def direct_args(append, devices):
    return [QEMU, "-M", "microvm,acpi=on", "-accel", "tcg", "-cpu", "EPYC",
            "-m", f"{MEMORY_MIB}M", "-smp", "1", "-display", "none",
            "-serial", "stdio", "-monitor", "none", "-no-reboot",
            "-kernel", str(VMLINUZ), "-initrd", str(INITRAMFS),
            *devices, "-append", append]


def direct_machine_cmdline():
    """microvm's timekeeping options: tsc_early_khz= (see
    bench/linux_direct.py), and tsc=reliable, since with no HPET or ACPI
    PM timer Linux's clocksource watchdog compares the TSC against jiffies,
    which lose ticks under TCG on a busy host, marks the TSC unstable and
    falls back to refined-jiffies: 4 ms steps that run slow, so figures
    come out both coarse and too high. Under TCG the guest's TSC is the
    host's, which is reliable."""
    return f"{direct.machine_cmdline('microvm')} tsc=reliable"


def direct_cmdline(cmd):
    return f"{BASE_CMDLINE}{direct_machine_cmdline()} vesta.run=\"{cmd}\""


def free_udp_ports(n):
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def qemu_has_dgram():
    try:
        out = subprocess.run([QEMU, "-netdev", "help"], capture_output=True,
                             text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "dgram" in out.split()


def netdev(local, remote, dgram):
    if dgram:
        return (f"dgram,id=n0,local.type=inet,local.host=127.0.0.1,"
                f"local.port={local},remote.type=inet,"
                f"remote.host=127.0.0.1,remote.port={remote}")
    return f"socket,id=n0,udp=127.0.0.1:{remote},localaddr=127.0.0.1:{local}"


def direct_blk_args(disk):
    return direct_args(direct_cmdline(BLK_CMD), [
        "-drive", f"id=d0,file={disk},format=raw,if=none",
        "-device", "virtio-blk-device,drive=d0"])


def direct_net_args(role, local, remote, dgram):
    return direct_args(direct_cmdline(net_cmd(role)), [
        "-netdev", netdev(local, remote, dgram),
        "-device", f"virtio-net-device,netdev=n0,mac={MACS[role]}"])


def make_disk(directory):
    path = Path(directory) / "disk.img"
    with open(path, "wb") as f:
        f.truncate(DISK_MIB << 20)
    return path


def disk_dir():
    """/dev/shm when it has room (the host's storage should not set the
    baseline: Vesta's disk is in memory), else the default temporary
    directory."""
    shm = Path("/dev/shm")
    try:
        if (shm.is_dir() and os.access(shm, os.W_OK) and
                shutil.disk_usage(shm).free > (DISK_MIB + 64) << 20):
            return str(shm)
    except OSError:
        pass
    return None


def run_direct_blk(timeout):
    with tempfile.TemporaryDirectory(prefix="vesta-virtio-",
                                     dir=disk_dir()) as tmp:
        disk = make_disk(tmp)
        run = Run([("blk", direct_blk_args(disk))], prefixed=False)
        try:
            how = run.until(guests_done(["blk"]), timeout)
            return collect(run, how, ["blk"], timeout)
        finally:
            run.close()


def run_direct_tcp(timeout, dgram):
    p_rx, p_tx = free_udp_ports(2)
    run = Run([("rx", direct_net_args("rx", p_rx, p_tx, dgram)),
               ("tx", direct_net_args("tx", p_tx, p_rx, dgram))],
              prefixed=False)
    try:
        how = run.until(guests_done(["rx", "tx"]), timeout)
        return collect(run, how, ["rx", "tx"], timeout)
    finally:
        run.close()


# ---------------------------------------------------------------- vesta

def xl_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def domain_cfg(name, cmd, extra_lines):
    extra = xl_string(f'{BASE_CMDLINE} vesta.run="{cmd}"')
    return "\n".join([
        f'name = "{name}"', f"memory = {MEMORY_MIB}", "vcpus = 1",
        'kernel = "linux/vmlinuz"', 'ramdisk = "linux/initramfs.cpio"',
        f"extra = {extra}",
        *extra_lines, ""])


def make_bundle(tmp, name, domains, disk=None):
    """domains: {name: cfg text}; disk: the image for images/disk.img."""
    root = Path(tmp) / name
    (root / "linux").mkdir(parents=True)
    (root / "auto").mkdir()
    shutil.copyfile(VMLINUZ, root / "linux" / "vmlinuz")
    shutil.copyfile(INITRAMFS, root / "linux" / "initramfs.cpio")
    if disk:
        (root / "images").mkdir()
        shutil.copyfile(disk, root / "images" / "disk.img")
    for dom, cfg in domains.items():
        (root / "auto" / f"{dom}.cfg").write_text(cfg)
    out = Path(tmp) / f"{name}.cpio"
    subprocess.run([str(MKBUNDLE), "-o", str(out), str(root)], check=True,
                   stdout=subprocess.DEVNULL)
    shutil.rmtree(root)
    return out


def make_bundles(tmp):
    disk = make_disk(tmp)
    blk = make_bundle(tmp, "blk", {"blk": domain_cfg(
        "blk", BLK_CMD, ["disk = [ 'images/disk.img,raw,xvda,rw' ]"])},
        disk)
    disk.unlink()
    net = make_bundle(tmp, "tcp", {
        role: domain_cfg(role, net_cmd(role), [
            f"vif = [ 'mac={MACS[role]},bridge=xenbr0' ]"])
        for role in ("rx", "tx")})
    return blk, net


def vesta_args(bundle):
    return [QEMU, "-accel", "tcg", "-cpu", "EPYC", "-m", "2G", "-smp", "2",
            "-display", "none", "-serial", "stdio", "-monitor", "none",
            "-no-reboot", "-kernel", str(HV_ELF), "-initrd", str(bundle),
            "-append", "loglevel=info"]


def run_vesta(bundle, guests, timeout):
    run = Run([("vesta", vesta_args(bundle))], prefixed=True)
    try:
        how = run.until(lambda r: r.find("vesta", READY_RE) is not None,
                        120)
        if how != "done":
            figures, cs, reason = collect(run, how, guests, 120)
            return figures, cs, f"no `vesta ready` line ({reason})", []
        how = run.until(vesta_done(guests), timeout)
        # The domains' statistics lines, if they went.
        run.until(lambda r: all(r.find("vesta", re.compile(
            rf"domain {g}: destroyed")) for g in guests), 3)
        gone = [m for _, m in run.find_all(DESTROYED_RE)
                if m.group(1) in guests]
        return collect(run, how, guests, timeout) + (gone,)
    finally:
        run.close()


# ---------------------------------------------------------------- table

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(values, unit):
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    digits = 0 if unit == "IOPS" else 1
    text = f"{statistics.median(values):.{digits}f}"
    if len(values) > 1:
        text += f" ({min(values):.{digits}f}-{max(values):.{digits}f})"
    return text


def print_table(results, runs):
    """results: {side: {figure: [value per run]}}."""
    head = (f"{'figure':<18}{'unit':<6}{'direct':>22}{'vesta':>22}"
            f"{'vesta/direct':>14}")
    print(head)
    print("-" * len(head))
    for figure, unit, _ in FIGURES:
        d = results["direct"].get(figure, [])
        v = results["vesta"].get(figure, [])
        md, mv = median(d), median(v)
        ratio = f"{mv / md:.2f}" if md and mv else "n/a"
        print(f"{figure:<18}{unit:<6}{fmt(d, unit):>22}{fmt(v, unit):>22}"
              f"{ratio:>14}")
    print(f"median{' (min-max)' if runs > 1 else ''} of {runs} run"
          f"{'s' if runs > 1 else ''}; ratio of the medians, higher is "
          "better (target >= 1.0)")


# ----------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--no-vesta", action="store_true")
    ap.add_argument("--no-direct", action="store_true")
    ap.add_argument("--timeout", type=float, default=240,
                    help="seconds a run may take (Vesta: after its ready "
                    "line)")
    opts = ap.parse_args()
    for path in (VMLINUZ, INITRAMFS):
        if not path.exists():
            sys.exit(f"{path} is missing: run `make linux-image`")
    version = (direct.LINUX / "kernel-version").read_text().strip()
    start = time.monotonic()
    dgram = qemu_has_dgram()

    vesta_missing = None
    if opts.no_vesta:
        vesta_missing = "--no-vesta"
    else:
        for path in (HV_ELF, MKBUNDLE):
            if not path.exists():
                vesta_missing = f"{path} is missing: run `make`"

    print(f"Virtio I/O in Linux {version} (Debian, vmlinuz), 1 vCPU and "
          f"{MEMORY_MIB} MiB a guest, QEMU TCG;")
    print(f"  blk: vesta.run=\"{BLK_CMD}\" on a {DISK_MIB} MiB raw image")
    print(f"  tcp: vesta.run=\"{net_cmd('rx')}\"")
    print(f"       vesta.run=\"{net_cmd('tx')}\"")
    print(f"  direct: {QEMU} -M microvm,acpi=on -accel tcg -cpu EPYC "
          f"-m {MEMORY_MIB}M -smp 1 -kernel vmlinuz -initrd initramfs.cpio "
          f"-append '{BASE_CMDLINE}{direct_machine_cmdline()} "
          "vesta.run=...'")
    print("          blk: -drive id=d0,file=disk.img,format=raw,if=none "
          "-device virtio-blk-device,drive=d0"
          f" (image in {disk_dir() or tempfile.gettempdir()})")
    print(f"          tcp: two processes, -netdev "
          f"{netdev('P1', 'P2', dgram)} -device virtio-net-device,netdev=n0,"
          f"mac={MACS['rx']} (and the mirror, mac={MACS['tx']})")
    print(f"  vesta:  {QEMU} -accel tcg -cpu EPYC -m 2G -smp 2 -kernel "
          f"vesta.elf -initrd BUNDLE; domains memory = {MEMORY_MIB}, "
          "vcpus = 1,")
    print("          blk: disk = [ 'images/disk.img,raw,xvda,rw' ]; tcp: rx "
          f"and tx, vif = [ 'mac={MACS['rx']},bridge=xenbr0' ] (and "
          f"{MACS['tx']})")
    print("start " + direct.load_line(), flush=True)

    results = {"direct": {}, "vesta": {}}
    clocksources = {"direct": set(), "vesta": set()}
    notes = []

    def record(side, label, i, out):
        figures, cs, reason = out[:3]
        for name, value in figures.items():
            results[side].setdefault(name, []).append(value)
        clocksources[side].update(cs.values())
        if reason:
            notes.append(f"{side}: not available ({label}, run {i + 1}: "
                         f"{reason})")
        shown = ", ".join(f"{k} {v:g}" for k, v in figures.items())
        print(f"  run {i + 1} {side} {label}: {shown or 'no figures'}"
              f"{' [' + reason + ']' if reason else ''}", flush=True)
        for m in (out[3] if len(out) > 3 else []):
            ms, total = int(m.group(2)), int(m.group(4))
            notes.append(f"vesta {label} run {i + 1}: domain {m.group(1)} "
                         f"lived {ms / 1000:.1f} s, cpu {m.group(3)} ms, "
                         f"{total} exits ({m.group(5)})")

    with tempfile.TemporaryDirectory(prefix="vesta-virtio-") as tmp:
        bundles = None
        if not vesta_missing:
            try:
                bundles = make_bundles(tmp)
            except (OSError, subprocess.CalledProcessError) as e:
                vesta_missing = f"making the bundle: {e}"
        print()
        for i in range(opts.runs):  # the sides interleaved run by run
            if not opts.no_direct:
                record("direct", "blk", i, run_direct_blk(opts.timeout))
                record("direct", "tcp", i,
                       run_direct_tcp(opts.timeout, dgram))
            if bundles:
                record("vesta", "blk", i,
                       run_vesta(bundles[0], ["blk"], opts.timeout))
                record("vesta", "tcp", i,
                       run_vesta(bundles[1], ["rx", "tx"], opts.timeout))
    if vesta_missing:
        notes.append(f"vesta: not available ({vesta_missing})")
    if opts.no_direct:
        notes.append("direct: not available (--no-direct)")

    print()
    print_table(results, opts.runs)
    for side in ("direct", "vesta"):
        if clocksources[side]:
            print(f"{side} guests' clocksource: "
                  f"{', '.join(sorted(clocksources[side]))}")
    for note in notes:
        print(note)
    print("end " + direct.load_line())
    print(f"total {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main()
