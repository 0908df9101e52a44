#!/usr/bin/python3
"""Boot time and image size of Vesta. Prints figures; never pass/fail.

For -smp 1, 2 and 4 (-m 2G, a bundle without domains) it boots QEMU
several times and measures, from the start of the QEMU process:
  - the wall time to the ready line (`vesta ready: ...`), and
  - in the same run, the wall time to the first byte on the serial port:
    QEMU's and SeaBIOS's start-up plus Vesta's earliest boot, the baseline
    that Vesta's own boot time adds to.
Then the image size: build/vesta.elf's file size and its loaded size (the
sum of its PT_LOAD segments' memsz).

Usage: bench/boot_time.py [--runs N] [--smp 1,2,4] [--mem 2G] [--timeout S]
"""

import argparse
import os
import re
import selectors
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HV_ELF = Path(os.environ.get("VESTA_ELF", REPO / "build" / "vesta.elf"))
MKBUNDLE = REPO / "build" / "tools" / "mkbundle"
# The hypervisor's own boot: a bundle without domains (the demo bundle's
# Linux domains would add their building to the time).
BUNDLE = REPO / "build" / "bench" / "empty-bundle.cpio"


def make_empty_bundle():
    root = BUNDLE.parent / "empty-bundle"
    root.mkdir(parents=True, exist_ok=True)
    (root / "README").write_text("no domains: the hypervisor's boot alone\n")
    subprocess.run([str(MKBUNDLE), "-o", str(BUNDLE), str(root)], check=True)
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
READY_RE = re.compile(rb"vesta ready: cpus=(\d+) memory=(\d+)MiB")


def qemu_args(smp, mem):
    return [QEMU, "-accel", "tcg", "-cpu", "EPYC", "-smp", str(smp),
            "-m", mem, "-display", "none", "-serial", "stdio",
            "-monitor", "none", "-no-reboot", "-kernel", str(HV_ELF),
            "-initrd", str(BUNDLE), "-append", "loglevel=info"]


def one_boot(smp, mem, timeout):
    """Returns (seconds to first serial byte, seconds to the ready line);
    either is None if it did not come within the timeout."""
    t0 = time.monotonic()
    proc = subprocess.Popen(qemu_args(smp, mem), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    first = ready = None
    buf = b""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        while ready is None:
            left = t0 + timeout - time.monotonic()
            if left <= 0 or not sel.select(left):
                break
            chunk = os.read(proc.stdout.fileno(), 65536)
            now = time.monotonic()
            if not chunk:
                break  # QEMU exited
            if first is None:
                first = now - t0
            buf += chunk
            # Only complete lines count: the ready line ends with a newline.
            done, _, _ = buf.rpartition(b"\n")
            if READY_RE.search(done):
                ready = now - t0
            buf = buf[-4096:] if ready is None and len(buf) > 65536 else buf
    finally:
        sel.close()
        proc.kill()
        proc.wait()
        proc.stdout.close()
    return first, ready


def elf_sizes(path):
    """(file size, sum of PT_LOAD memsz, [(vaddr, filesz, memsz, flags)])"""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError(f"{path}: not a 64-bit little-endian ELF")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads = []
    for i in range(phnum):
        p_type, p_flags, _off, p_vaddr, _paddr, p_filesz, p_memsz = \
            struct.unpack_from("<IIQQQQQ", data, phoff + i * phentsize)
        if p_type == 1:  # PT_LOAD
            loads.append((p_vaddr, p_filesz, p_memsz, p_flags))
    return len(data), sum(s[2] for s in loads), loads


def fmt_ms(values):
    """'median (min-max)' in milliseconds, or 'n/a'."""
    if not values:
        return "n/a"
    ms = [v * 1000 for v in values]
    return (f"{statistics.median(ms):7.1f} "
            f"({min(ms):.1f}-{max(ms):.1f})")


def kib(n):
    return f"{n} B ({n / 1024:.1f} KiB)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--smp", default="1,2,4")
    ap.add_argument("--mem", default="2G")
    ap.add_argument("--timeout", type=float, default=120.0,
                    help="seconds to wait for the ready line per boot")
    opts = ap.parse_args()
    for path in (HV_ELF, MKBUNDLE):
        if not path.exists():
            sys.exit(f"{path} is missing: run `make all`")
    make_empty_bundle()

    print(f"Vesta boot time: {QEMU} -accel tcg -cpu EPYC -m {opts.mem}, "
          f"a bundle without domains; {opts.runs} runs each; milliseconds from the start "
          "of the QEMU process, median (min-max)")
    print()
    header = (f"{'smp':>3}  {'to ready line':>24}  {'to first serial byte':>24}"
              f"  {'Vesta (ready - first)':>24}  {'first/ready':>11}")
    print(header)
    print("-" * len(header))
    failures = []
    for smp in [int(s) for s in opts.smp.split(",")]:
        firsts, readies, vesta = [], [], []
        for _ in range(opts.runs):
            first, ready = one_boot(smp, opts.mem, opts.timeout)
            if first is not None:
                firsts.append(first)
            if ready is not None:
                readies.append(ready)
                vesta.append(ready - first)
        ratio = (f"{statistics.median(firsts) / statistics.median(readies):10.0%}"
                 if firsts and readies else "n/a")
        print(f"{smp:>3}  {fmt_ms(readies):>24}  {fmt_ms(firsts):>24}  "
              f"{fmt_ms(vesta):>24}  {ratio:>11}", flush=True)
        if len(readies) < opts.runs:
            failures.append(f"-smp {smp}: {opts.runs - len(readies)} of "
                            f"{opts.runs} boots printed no ready line within "
                            f"{opts.timeout:g} s")
    print("first serial byte: QEMU and SeaBIOS start-up, loading the image, "
          "and Vesta up to its first line;\nVesta (ready - first): the rest "
          "of Vesta's boot, measured within each run.")
    for f in failures:
        print(f"note: {f}")

    size, loaded, loads = elf_sizes(HV_ELF)
    print()
    print(f"Image {HV_ELF}:")
    print(f"  file size    {kib(size)}")
    print(f"  loaded size  {kib(loaded)}  (sum of PT_LOAD memsz)")
    for vaddr, filesz, memsz, flags in loads:
        perms = "".join(c if flags & bit else "-"
                        for c, bit in (("r", 4), ("w", 2), ("x", 1)))
        print(f"    PT_LOAD {vaddr:#018x} {perms} filesz {filesz:>8} "
              f"memsz {memsz:>8}")


if __name__ == "__main__":
    main()
