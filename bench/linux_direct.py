#!/usr/bin/python3
"""Debian's Linux kernel booted directly by QEMU, without Vesta: the
baseline that Vesta's Linux guests are compared against. Prints figures,
never pass/fail. Images from `make linux-image` (cache/linux/).

Boot: QEMU (-accel tcg -cpu EPYC -m 256M -smp 2) boots, on the pc machine,
the bzImage (vmlinuz: SeaBIOS, Linux boot protocol) and the uncompressed
vmlinux (PVH entry), and the same two on the microvm machine (ACPI,
virtio-mmio, no PCI: the platform closest to Vesta's; qboot loads the
bzImage), with `vesta.run=true`
so that init powers off at once, each --runs times, with the kernel's log
on the console and with `quiet`. (microvm gets tsc_early_khz=, the host's
TSC rate: without it Linux there calibrates its TSC against the PIT only,
which fails when the host is busy, and then hangs in APIC timer
calibration.) Median (min-max) of, from the start of
the QEMU process:
  first byte    the first byte on the serial port
  init          the init marker line (`vesta-guest: init started`)
  guest uptime  the kernel's own uptime in that line (its clock starts
                after firmware, loader and decompression)
  modules       loading the 15 modules (virtio-mmio, ext4...): from the
                init line to the `modules loaded` line
  exit          QEMU's exit after init's poweroff

Bench: the in-guest benchmark (guests/linux/bench.c: a CPU loop, getppid,
clock_gettime, fork+exit+wait, pipe round trip between two processes,
first-touch page faults) under `vesta.run=bench`, vmlinux on pc -smp 2,
pc -smp 1 and microvm -smp 2.

Usage: bench/linux_direct.py [--runs N] [--bench-time S] [--no-bench]
"""

import argparse
import os
import re
import selectors
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LINUX = Path(os.environ.get("LINUX_CACHE", REPO / "cache" / "linux"))
VMLINUZ = LINUX / "vmlinuz"
VMLINUX = LINUX / "vmlinux"
INITRAMFS = LINUX / "initramfs.cpio"
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")

INIT_RE = re.compile(r"vesta-guest: init started kernel=(\S+) "
                     r"clocksource=(\S+) cpus=(\d+) uptime=([\d.]+)")
MODULES_RE = re.compile(r"vesta-guest: modules loaded=(\d+) failed=(\d+)")
CLOCKSOURCE_RE = re.compile(r"^vesta-bench: clocksource=(\S+)")
BENCH_RE = re.compile(r"^vesta-bench: (\S+) ([\d.e+-]+) (\S+) n=(\d+)")


def qemu_args(kernel, cmdline, smp, mem, machine):
    return [QEMU, "-M", machine, "-accel", "tcg", "-cpu", "EPYC", "-m", mem,
            "-smp", str(smp), "-display", "none", "-serial", "stdio",
            "-monitor", "none", "-no-reboot", "-kernel", str(kernel),
            "-initrd", str(INITRAMFS), "-append", cmdline]


def run(kernel, cmdline, smp=2, mem="256M", machine="pc", timeout=120.0):
    """Boots once until QEMU exits; returns (lines with the host time each
    completed, time of the first byte, time of the exit), times in seconds
    from the start of QEMU."""
    t0 = time.monotonic()
    proc = subprocess.Popen(qemu_args(kernel, cmdline, smp, mem, machine),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    lines, partial, first, end = [], b"", None, None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        while True:
            left = t0 + timeout - time.monotonic()
            if left <= 0 or not sel.select(left):
                break
            chunk = os.read(proc.stdout.fileno(), 65536)
            now = time.monotonic() - t0
            if not chunk:
                end = now
                break
            if first is None:
                first = now
            *done, partial = (partial + chunk).split(b"\n")
            lines += [(now, l.decode("utf-8", "replace").rstrip("\r"))
                      for l in done]
    finally:
        sel.close()
        proc.kill()
        proc.wait()
        proc.stdout.close()
    return lines, first, end


def find(lines, regex):
    for t, line in lines:
        m = regex.search(line)
        if m:
            return t, m
    return None, None


def host_tsc_khz():
    """The host's TSC rate in kHz: the guest's under TCG."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("cpu MHz"):
            return int(float(line.split(":")[1]) * 1000)
    return 2_000_000


def machine_cmdline(machine):
    """What a machine needs on the kernel command line."""
    return (f" tsc_early_khz={host_tsc_khz()}"
            if machine.startswith("microvm") else "")


def boot_figures(kernel, machine, cmdline):
    lines, first, end = run(kernel, cmdline + machine_cmdline(machine)
                            + " vesta.run=true", machine=machine)
    t_init, m_init = find(lines, INIT_RE)
    t_mod, _ = find(lines, MODULES_RE)
    return {
        "first": first,
        "init": t_init,
        "uptime": float(m_init.group(4)) if m_init else None,
        "modules": t_mod - t_init if t_mod and t_init else None,
        "exit": end,
        "clocksource": m_init.group(2) if m_init else "?",
    }


def fmt(values, scale=1.0, digits=2):
    values = [v * scale for v in values if v is not None]
    if not values:
        return "n/a"
    return (f"{statistics.median(values):.{digits}f} "
            f"({min(values):.{digits}f}-{max(values):.{digits}f})")


MICROVM = "microvm,acpi=on"
BOOTS = [("vmlinuz", VMLINUZ, "pc"), ("vmlinux", VMLINUX, "pc"),
         ("vmlinuz", VMLINUZ, MICROVM), ("vmlinux", VMLINUX, MICROVM)]
# (label, machine, smp) of the in-guest benchmark runs
BENCHES = [("pc -smp 2", "pc", 2), ("pc -smp 1", "pc", 1),
           ("microvm -smp 2", MICROVM, 2)]


def load_line():
    """The host's load: TCG figures are only as good as the idle cores."""
    load = Path("/proc/loadavg").read_text().split()[:3]
    return (f"host: {os.cpu_count()} CPUs, load average {' '.join(load)} "
            "(1, 5, 15 min)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bench-time", type=float, default=0.2,
                    help="seconds per timed batch in the guest (bench -t)")
    ap.add_argument("--no-bench", action="store_true",
                    help="boot times only")
    opts = ap.parse_args()
    for path in (VMLINUZ, VMLINUX, INITRAMFS):
        if not path.exists():
            sys.exit(f"{path} is missing: run `make linux-image`")
    version = (LINUX / "kernel-version").read_text().strip()

    print(f"Linux {version} (Debian) booted directly: {QEMU} -M MACHINE "
          f"-accel tcg -cpu EPYC -m 256M -smp 2\n-kernel K -initrd "
          "initramfs.cpio -append 'console=ttyS0 panic=-1 [quiet] "
          f"vesta.run=true';\n{opts.runs} runs each; seconds from the start "
          "of QEMU, median (min-max)")
    print()
    cols = ("first byte", "init", "guest uptime", "modules", "exit")
    header = f"{'kernel':<8} {'machine':<8} {'console':<8}" + "".join(
        f"{c:>20}" for c in cols)
    print(load_line())
    print(header)
    print("-" * len(header))
    clocksources = {}
    for name, kernel, machine in BOOTS:
        mname = machine.split(",")[0]
        for quiet in (False, True):
            cmdline = "console=ttyS0 panic=-1" + (" quiet" if quiet else "")
            runs = [boot_figures(kernel, machine, cmdline)
                    for _ in range(opts.runs)]
            clocksources.setdefault(mname, set()).update(
                r["clocksource"] for r in runs)
            row = (f"{name:<8} {mname:<8} "
                   f"{'quiet' if quiet else 'verbose':<8}")
            row += "".join(f"{fmt([r[c] for r in runs]):>20}" for c in
                           ("first", "init", "uptime", "modules", "exit"))
            print(row, flush=True)
    print("clocksource at init: " + "; ".join(
        f"{m}: {', '.join(sorted(c))}" for m, c in clocksources.items()))
    print("vmlinuz: the firmware (SeaBIOS on pc, qboot on microvm) loads "
          "the bzImage, which\ndecompresses itself (xz); vmlinux: QEMU "
          "enters the ELF at its PVH note, no decompression.")
    if opts.no_bench:
        return

    print()
    print(f"In-guest benchmark (guests/linux/bench.c, vesta.run=\"bench "
          f"-t {opts.bench_time:g}\"), vmlinux, quiet;\nmedian of 3 "
          "batches each; the guest's clocksource in parentheses:")
    results = []
    for label, machine, smp in BENCHES:
        lines, _, _ = run(VMLINUX, "console=ttyS0 panic=-1 quiet"
                          + machine_cmdline(machine) +
                          f" vesta.run=\"bench -t {opts.bench_time:g}\"",
                          smp=smp, machine=machine)
        _, m = find(lines, CLOCKSOURCE_RE)
        figures = {b.group(1): (float(b.group(2)), b.group(3))
                   for b in (BENCH_RE.search(l) for _, l in lines) if b}
        results.append((f"{label} ({m.group(1) if m else '?'})", figures))
    width = max(len(label) for label, _ in results) + 2
    header = f"{'test':<8} {'unit':<14}" + "".join(
        f"{label:>{width}}" for label, _ in results)
    print(header)
    print("-" * len(header))
    names = []
    for _, figures in results:
        names += [n for n in figures if n not in names]
    for name in names:
        unit = next(f[name][1] for _, f in results if name in f)
        row = f"{name:<8} {unit:<14}"
        for _, figures in results:
            v = figures.get(name)
            row += f"{(f'{v[0]:.4g}' if v else 'n/a'):>{width}}"
        print(row)
    print(load_line())


if __name__ == "__main__":
    main()
