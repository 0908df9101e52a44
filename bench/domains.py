#!/usr/bin/python3
"""Domain benchmarks (issue: several isolated domains on AMD-V). Prints
figures, never pass/fail. Each figure comes from one QEMU run of Vesta
(-accel tcg -cpu EPYC) with a bundle of test guests made here:

  loop ratio     lib/cpu_burn.c run by a test guest (cpu_burn.elf) against
                 the same loop run by the monitor itself at boot
                 (debug.burn=N), in the same QEMU run;
  idle exits     a guest that wakes 10 times a second (progress.elf): its
                 exits per second, by class, against the wake-ups it asks for;
  shares         two guests spinning forever (cpu_burn.elf forever) pinned
                 to one CPU with cpu_weight 256 and 512, and one with cap=25:
                 iterations per second of each over ~10 s;
  create         the time to create a 64 MiB domain, and the monitor memory
                 it takes beyond its RAM, from Vesta's own log line.

Usage: bench/domains.py [--iterations N] [--share-seconds S]
"""

import argparse
import os
import re
import selectors
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "build"
HV_ELF = BUILD / "vesta.elf"
MKBUNDLE = BUILD / "tools" / "mkbundle"
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")


def make_bundle(tmp, domains):
    """domains: {name: (guest, {config key: value text})}"""
    root = Path(tempfile.mkdtemp(dir=tmp))
    (root / "auto").mkdir()
    (root / "guests").mkdir()
    for name, (guest, keys) in domains.items():
        (root / "guests" / f"{guest}.elf").write_bytes(
            (BUILD / "guests" / f"{guest}.elf").read_bytes())
        lines = [f'name = "{name}"', f'kernel = "guests/{guest}.elf"']
        keys = {"memory": "16", **keys}
        lines += [f"{k} = {v}" for k, v in keys.items()]
        (root / "auto" / f"{name}.cfg").write_text("\n".join(lines) + "\n")
    out = root.with_suffix(".cpio")
    subprocess.run([str(MKBUNDLE), "-o", str(out), str(root)], check=True)
    return out


def run(bundle, smp, cmdline, until, timeout, typed=None):
    """Runs QEMU until a line matches `until` (or timeout); returns lines.
    `typed`: (seconds after start, text) sent to the shell then."""
    args = [QEMU, "-accel", "tcg", "-cpu", "EPYC", "-smp", str(smp),
            "-m", "1G", "-display", "none", "-serial", "stdio",
            "-monitor", "none", "-no-reboot", "-kernel", str(HV_ELF),
            "-initrd", str(bundle), "-append", cmdline]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    buf, lines = b"", []
    type_at = time.monotonic() + typed[0] if typed else None
    try:
        while time.monotonic() < deadline:
            if type_at and time.monotonic() >= type_at:
                proc.stdin.write(typed[1].encode())
                proc.stdin.flush()
                type_at = None
            wait = deadline - time.monotonic()
            if type_at:
                wait = min(wait, max(type_at - time.monotonic(), 0.01))
            if not sel.select(wait):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            *done, buf = buf.split(b"\n")
            lines += [d.decode(errors="replace").rstrip("\r") for d in done]
            if until and any(re.search(until, l) for l in lines[-len(done):]):
                break
    finally:
        proc.kill()
        proc.wait()
    return lines


def grep(lines, pattern):
    return [m for m in map(re.compile(pattern).search, lines) if m]


def bench_loop(tmp, iterations, runs=5):
    """The fastest of several QEMU runs for each: emulation timing is noisy
    (the host's other threads), and the minimum is the work itself."""
    bundle = make_bundle(tmp, {"burn": ("cpu_burn", {
        "extra": f'"iterations={iterations}"'})})
    host, guest = [], []
    for _ in range(runs):
        lines = run(bundle, 2, f"debug.burn={iterations}",
                    r"domain burn: destroyed", 300)
        h = grep(lines, r"debug: burn: \d+ iterations in (\d+) ns")
        g = grep(lines, r"\[burn\] burn: \d+ iterations in (\d+) ns")
        if h and g:
            host.append(int(h[0].group(1)))
            guest.append(int(g[0].group(1)))
    if not host:
        print("loop: no figures (see the log)")
        return
    h, g = min(host), min(guest)
    print(f"CPU loop, {iterations} iterations of lib/cpu_burn.c, fastest of "
          f"{len(host)} runs (all: monitor {sorted(x // 1000000 for x in host)} ms, "
          f"guest {sorted(x // 1000000 for x in guest)} ms):")
    print(f"  monitor on the bare machine {h / 1e6:9.1f} ms")
    print(f"  test guest under Vesta      {g / 1e6:9.1f} ms")
    print(f"  ratio guest/bare            {g / h:9.3f}")


def bench_idle(tmp):
    bundle = make_bundle(tmp, {"idle": ("progress", {})})
    lines = run(bundle, 1, "loglevel=info", r"domain idle: destroyed", 120)
    m = grep(lines, r"domain idle: destroyed after (\d+) ms: cpu (\d+) ms, "
                    r"exits (\d+) \((.*)\)")
    wakes = len(grep(lines, r"\[idle\] progress \d+"))
    if not m:
        print("idle: no figures")
        return
    ms, exits = int(m[0].group(1)), int(m[0].group(3))
    print(f"Idle guest (wakes itself {wakes} times in {ms} ms):")
    print(f"  {exits} exits, {exits * 1000 / ms:.1f} per second: "
          f"{m[0].group(4)}")
    print(f"  {exits / max(wakes, 1):.1f} exits per wake-up; interrupt exits "
          f"are the only ones the guest does not ask for")


def burn_rates(lines, name):
    """Iterations per ms of a `forever` burner, over its whole report."""
    ms = grep(lines, rf"\[{name}\] burn: (\d+) iterations at (\d+) ms")
    if len(ms) < 2:
        return None
    (i0, t0), (i1, t1) = ms[0].groups(), ms[-1].groups()
    return (int(i1) - int(i0)) / max(int(t1) - int(t0), 1)


def bench_shares(tmp, seconds):
    pinned = {"cpus": '"1"', "extra": '"forever"'}
    bundle = make_bundle(tmp, {
        "w256": ("cpu_burn", {**pinned, "cpu_weight": "256"}),
        "w512": ("cpu_burn", {**pinned, "cpu_weight": "512"}),
    })
    lines = run(bundle, 2, "loglevel=info", None, seconds + 5)
    r256, r512 = burn_rates(lines, "w256"), burn_rates(lines, "w512")
    if not r256 or not r512:
        print("shares: no figures")
        return
    total = r256 + r512
    print(f"Two spinning domains on one CPU for ~{seconds} s:")
    print(f"  weight 256: {100 * r256 / total:5.1f}% (ideal 33.3%)")
    print(f"  weight 512: {100 * r512 / total:5.1f}% (ideal 66.7%)")

    bundle = make_bundle(tmp, {
        "cap25": ("cpu_burn", {**pinned, "cap": "25"}),
        "free": ("cpu_burn", {"cpus": '"0"', "extra": '"forever"'}),
    })
    lines = run(bundle, 2, "loglevel=info", None, seconds + 5)
    capped, free = burn_rates(lines, "cap25"), burn_rates(lines, "free")
    if capped and free:
        print(f"  cap=25 alone on its CPU: {100 * capped / free:5.1f}% of an "
              f"uncapped spinner's rate on the other CPU (ideal 25%)")


def bench_create(tmp):
    """At boot (no memory scrubbed yet: zeroing inline) and from the shell
    after the idle CPUs have scrubbed free memory."""
    bundle = make_bundle(tmp, {"big": ("hello", {"memory": "64"})})
    lines = run(bundle, 2, "loglevel=info", r"domain big: created, id 2",
                60, typed=(8, "create auto/big.cfg\r"))
    m = grep(lines, r"domain big: created, id (\d+), .* in (\d+) us, "
                    r"monitor memory (\d+) KiB")
    if len(m) < 2:
        print("create: no figures")
        return
    print("Creating a 64 MiB domain (1 vCPU), monitor time:")
    print(f"  at boot, zeroing its RAM inline       "
          f"{int(m[0].group(2)) / 1000:7.1f} ms")
    print(f"  from the shell, RAM already scrubbed   "
          f"{int(m[1].group(2)) / 1000:7.1f} ms")
    print(f"  monitor memory beyond its RAM          {m[1].group(3)} KiB")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=200_000_000)
    ap.add_argument("--share-seconds", type=int, default=10)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_loop(tmp, a.iterations)
        bench_idle(tmp)
        bench_shares(tmp, a.share_seconds)
        bench_create(tmp)


if __name__ == "__main__":
    main()
