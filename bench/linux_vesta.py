#!/usr/bin/python3
"""Debian's Linux kernel as a Vesta domain against the same kernel booted
directly by QEMU, in the same run. Prints figures, never pass/fail. Images
from `make linux-image` (cache/linux/), Vesta from `make`.

  direct  qemu-system-x86_64 -accel tcg -cpu EPYC -m 1G -smp 2 (pc machine)
          -kernel vmlinuz -initrd initramfs.cpio -append CMDLINE; also
          -smp 1, the match for a 1-vCPU domain
  vesta   qemu-system-x86_64 -accel tcg -cpu EPYC -m 2G -smp 2
          -kernel build/vesta.elf -initrd BUNDLE, the bundle (made here by
          build/tools/mkbundle) holding linux/vmlinuz, linux/initramfs.cpio
          and auto/lx.cfg: memory = 512, vcpus = 1 (and 2),
          extra = CMDLINE. The guest's console lines come prefixed `[lx] `.

CMDLINE is `console=ttyS0 panic=-1 quiet` (--verbose: without quiet).

  boot    seconds from the start of the QEMU process to the init marker
          (`vesta-guest: init started`), median (min-max) of --runs; for
          Vesta also from its `vesta ready` line to the marker (Linux's
          part; Vesta's own boot is before the ready line);
  bench   the in-guest benchmark (guests/linux/bench.c, vesta.run=bench):
          CPU loop, getppid, clock_gettime, fork+exit+wait, pipe round
          trip, first-touch page fault; the best of --bench-runs runs
          (fork and pipe with two CPUs swing with the host's load); under
          Vesta with the exits the whole guest took (its `destroyed after`
          line);
  idle    a 1-vCPU Linux domain at its shell: --idle-wait s after the
          init marker, `top` is typed at Vesta's shell, again
          --top-interval s later, and the second one's exits per second
          are read, by class (that guest is the last 1-vCPU boot's).

Ratios are Vesta/direct (above 1: slower under Vesta): vN/d2 against
direct -smp 2, vN/dN against direct with as many CPUs as the domain has
vCPUs. The host's load average is printed at the start and the end: TCG
figures move with it. About 4.5 minutes with the defaults.

Usage: bench/linux_vesta.py [--runs N] [--bench-runs N] [--no-smp2]
                           [--no-bench] [--verbose]
"""

import argparse
import os
import re
import selectors
import shutil
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

READY_RE = re.compile(r"vesta ready: cpus=(\d+)")
LX_INIT_RE = re.compile(r"\[lx\] .*" + direct.INIT_RE.pattern)
LX_BENCH_RE = re.compile(r"\[lx\] " + direct.BENCH_RE.pattern.lstrip("^"))
LX_CLOCKSOURCE_RE = re.compile(r"\[lx\] "
                               + direct.CLOCKSOURCE_RE.pattern.lstrip("^"))
DESTROYED_RE = re.compile(r"domain lx: destroyed after (\d+) ms: cpu (\d+) "
                          r"ms, exits (\d+) \((.*)\)")
TOP_RE = re.compile(r"top: the last ([\d.]+) s")
TOP_LX_RE = re.compile(r"^lx\s+\d+\s+all\s+([\d.]+)\s+([\d.]+)")
EXITS_RE = re.compile(r"exits/s:((?: \S+ \d+)+)")
FAILURE_RE = re.compile(r"Kernel panic|PANIC|domain lx: .*crash")
BENCH_TESTS = ("cpu", "getppid", "clock", "fork", "pipe", "fault")
# The reference rate quoted for Debian's kernel at idle.
IDLE_TICKS_REFERENCE = 8.5


class Session:
    """One QEMU process, its serial port on stdout and stdin; every line
    with the time (s from the start of QEMU) it completed."""

    def __init__(self, args):
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.proc.stdout, selectors.EVENT_READ)
        self.lines, self.partial, self.cursor, self.eof = [], b"", 0, False

    def now(self):
        return time.monotonic() - self.t0

    def _pump(self, wait):
        if self.eof or not self.sel.select(max(wait, 0)):
            return
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        t = self.now()
        if not chunk:
            self.eof = True
            return
        *done, self.partial = (self.partial + chunk).split(b"\n")
        self.lines += [(t, d.decode("utf-8", "replace").replace("\r", ""))
                       for d in done]

    def wait_for(self, regex, timeout):
        """The first line after the last one matched where regex is found:
        (time, match), or (None, None) on timeout, QEMU's exit or a panic."""
        deadline = time.monotonic() + timeout
        while True:
            while self.cursor < len(self.lines):
                t, line = self.lines[self.cursor]
                self.cursor += 1
                m = regex.search(line)
                if m:
                    return t, m
                if FAILURE_RE.search(line):
                    print(f"  (failure: {line.strip()})")
                    return None, None
            left = deadline - time.monotonic()
            if left <= 0 or self.eof:
                return None, None
            self._pump(left)

    def idle(self, seconds):
        """Reads output for `seconds`, matching nothing."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.eof:
            self._pump(deadline - time.monotonic())

    def send(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def close(self):
        self.sel.close()
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.proc.stdin.close()


def cmdline(verbose, run=None):
    text = "console=ttyS0 panic=-1" + ("" if verbose else " quiet")
    return text + (f" vesta.run={run}" if run else "")


def direct_session(cmd, smp=2):
    return Session(direct.qemu_args(VMLINUZ, cmd, smp, "1G", "pc"))


def make_bundle(tmp, vcpus, cmd):
    root = Path(tempfile.mkdtemp(dir=tmp))
    (root / "linux").mkdir()
    (root / "auto").mkdir()
    shutil.copyfile(VMLINUZ, root / "linux" / "vmlinuz")
    shutil.copyfile(INITRAMFS, root / "linux" / "initramfs.cpio")
    extra = cmd.replace("\\", "\\\\").replace('"', '\\"')
    (root / "auto" / "lx.cfg").write_text(
        f'name = "lx"\nmemory = 512\nvcpus = {vcpus}\n'
        f'kernel = "linux/vmlinuz"\nramdisk = "linux/initramfs.cpio"\n'
        f'extra = "{extra}"\n')
    out = root.with_suffix(".cpio")
    subprocess.run([str(MKBUNDLE), "-o", str(out), str(root)], check=True,
                   stdout=subprocess.DEVNULL)
    return out


def vesta_session(bundle):
    return Session([QEMU, "-accel", "tcg", "-cpu", "EPYC", "-m", "2G",
                    "-smp", "2", "-display", "none", "-serial", "stdio",
                    "-monitor", "none", "-no-reboot", "-kernel", str(HV_ELF),
                    "-initrd", str(bundle), "-append", "loglevel=info"])


def fmt(values, digits=2):
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return (f"{statistics.median(values):.{digits}f} "
            f"({min(values):.{digits}f}-{max(values):.{digits}f})")


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "n/a"


# ------------------------------------------------------------------ boot

def boot_direct(cmd, smp):
    s = direct_session(cmd, smp)
    try:
        t, m = s.wait_for(direct.INIT_RE, 120)
        return {"init": t, "cs": m.group(2) if m else "?"}
    finally:
        s.close()


def boot_vesta(bundle, keep=False):
    s = vesta_session(bundle)
    t_ready, _ = s.wait_for(READY_RE, 60)
    t_init, m = s.wait_for(LX_INIT_RE, 180)
    r = {"ready": t_ready, "init": t_init,
         "linux": t_init - t_ready if t_init and t_ready else None,
         "cs": m.group(2) if m else "?", "session": s if keep else None}
    if not keep:
        s.close()
    return r


def ratio_pairs(labels):
    """(header, Vesta label, direct label) of each ratio printed: each
    domain against direct -smp 2 (what the brief compares), and against
    QEMU with as many CPUs as the domain has vCPUs."""
    pairs = []
    for label in labels:
        m = re.match(r"vesta vcpus=(\d+)", label)
        if not m:
            continue
        n = m.group(1)
        for d in sorted({"2", n}, reverse=True):
            if f"direct -smp {d}" in labels:
                pairs.append((f"v{n}/d{d}", label, f"direct -smp {d}"))
    return pairs


def print_boot(rows):
    """rows: [(label, [run figures])]."""
    pairs = ratio_pairs([label for label, _ in rows])
    med = {label: median(r["init"] for r in runs) for label, runs in rows}
    head = (f"{'':<16}{'to init (s)':>20}{'ready->init (s)':>20}"
            f"{'clocksource':>14}")
    print(head)
    print("-" * len(head))
    for label, runs in rows:
        cs = ",".join(sorted({r["cs"] for r in runs}))
        linux = fmt([r.get("linux") for r in runs]) if "ready" in runs[0] \
            else ""
        print(f"{label:<16}{fmt([r['init'] for r in runs]):>20}"
              f"{linux:>20}{cs:>14}")
    print("ratios of the medians to init, Vesta/direct: " + ", ".join(
        f"{h} {ratio(med[v], med[d])}" for h, v, d in pairs), flush=True)


# ----------------------------------------------------------------- bench

def bench_figures(lines, bench_re, cs_re):
    figures, cs = {}, "?"
    for _, line in lines:
        m = bench_re.search(line)
        if m:
            figures[m.group(1)] = (float(m.group(2)), m.group(3))
        m = cs_re.search(line)
        if m:
            cs = m.group(1)
    return figures, cs


def bench_direct(cmd, smp):
    s = direct_session(cmd, smp)
    try:
        s.wait_for(re.compile(r"^vesta-bench: done"), 240)
        return bench_figures(s.lines, direct.BENCH_RE,
                             direct.CLOCKSOURCE_RE) + (None,)
    finally:
        s.close()


def bench_vesta(bundle):
    s = vesta_session(bundle)
    try:
        s.wait_for(re.compile(r"\[lx\] vesta-bench: done"), 300)
        _, gone = s.wait_for(DESTROYED_RE, 20)
        return bench_figures(s.lines, LX_BENCH_RE, LX_CLOCKSOURCE_RE) + (
            gone,)
    finally:
        s.close()


def print_bench(columns):
    """columns: [(label, figures, clocksource)]."""
    pairs = ratio_pairs([c[0] for c in columns])
    by_label = {c[0]: c[1] for c in columns}
    width = max(len(c[0]) for c in columns) + 2
    head = f"{'test':<8} {'unit':<14}" + "".join(
        f"{c[0]:>{width}}" for c in columns) + "".join(
        f"{h:>8}" for h, _, _ in pairs)
    print(head)
    print("-" * len(head))
    for name in BENCH_TESTS:
        unit = next((c[1][name][1] for c in columns if name in c[1]), "?")
        row = f"{name:<8} {unit:<14}"
        for c in columns:
            v = c[1].get(name)
            row += f"{(f'{v[0]:.4g}' if v else 'n/a'):>{width}}"
        for _, vl, dl in pairs:
            v, d = by_label[vl].get(name), by_label[dl].get(name)
            row += f"{ratio(v and v[0], d and d[0]):>8}"
        print(row)
    print(f"{'clocksource':<23}" + "".join(f"{c[2]:>{width}}"
                                           for c in columns))
    print("ratios Vesta/direct (above 1: slower under Vesta): "
          + ", ".join(f"{h} = {v} / {d}" for h, v, d in pairs), flush=True)


# ------------------------------------------------------------------ idle

def top_exits(session, since):
    """The exits/s of lx in the `top` output after line index `since`:
    (interval s, {class: per second}, CPU %)."""
    interval, cpu, exits = None, None, None
    in_lx = False
    for _, line in session.lines[since:]:
        m = TOP_RE.search(line)
        if m:
            interval = float(m.group(1))
        m = TOP_LX_RE.search(line)
        if m:
            cpu, in_lx = float(m.group(2)), True
        m = EXITS_RE.search(line)
        if m and in_lx:
            words = m.group(1).split()
            exits = {k: int(v) for k, v in zip(words[::2], words[1::2])}
            break
    return interval, exits, cpu


def idle_exits(session, idle_wait, top_interval):
    session.idle(idle_wait)
    session.send("top\r")
    session.idle(top_interval)
    mark = len(session.lines)
    session.send("top\r")
    session.idle(2)
    return top_exits(session, mark)


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--verbose", action="store_true",
                    help="the kernel's log on the console (no quiet)")
    ap.add_argument("--no-smp2", action="store_true",
                    help="skip the 2-vCPU domain")
    ap.add_argument("--no-bench", action="store_true")
    ap.add_argument("--bench-runs", type=int, default=2,
                    help="in-guest benchmark runs per configuration; the "
                    "best (lowest) figure is printed")
    ap.add_argument("--idle-wait", type=float, default=10.0)
    ap.add_argument("--top-interval", type=float, default=5.0)
    opts = ap.parse_args()
    for path in (VMLINUZ, INITRAMFS):
        if not path.exists():
            sys.exit(f"{path} is missing: run `make linux-image`")
    for path in (HV_ELF, MKBUNDLE):
        if not path.exists():
            sys.exit(f"{path} is missing: run `make`")
    version = (direct.LINUX / "kernel-version").read_text().strip()
    start = time.monotonic()
    boot_cmd = cmdline(opts.verbose)
    bench_cmd = cmdline(opts.verbose, "bench")
    smps = (1,) if opts.no_smp2 else (1, 2)

    print(f"Linux {version} (Debian, vmlinuz) as a Vesta domain against the "
          f"same kernel booted directly.\n"
          f"direct: {QEMU} -accel tcg -cpu EPYC -m 1G -smp 2 (and 1), pc "
          f"machine, -kernel vmlinuz\n"
          f"vesta:  {QEMU} -accel tcg -cpu EPYC -m 2G -smp 2 -kernel "
          f"vesta.elf, domain lx: memory = 512, vcpus = N\n"
          f"kernel command line: {boot_cmd} [vesta.run=bench]")
    print("start " + direct.load_line())
    print()

    with tempfile.TemporaryDirectory() as tmp:
        boot_bundles = {n: make_bundle(tmp, n, boot_cmd) for n in smps}
        bench_bundles = {n: make_bundle(tmp, n, bench_cmd) for n in smps}

        # 1. Boot to init, the configurations interleaved run by run (the
        # host's load drifts). The last 1-vCPU Vesta boot stays up for 3.
        print(f"1. Boot to the init marker: seconds from the start of QEMU, "
              f"median (min-max) of {opts.runs}")
        labels = ["direct -smp 2", "direct -smp 1"] + [
            f"vesta vcpus={n}" for n in smps]
        results = {label: [] for label in labels}
        idle = (None, None, None)
        for i in range(opts.runs):
            results["direct -smp 2"].append(boot_direct(boot_cmd, 2))
            results["direct -smp 1"].append(boot_direct(boot_cmd, 1))
            for n in smps:
                keep = n == 1 and i == opts.runs - 1
                r = boot_vesta(boot_bundles[n], keep)
                results[f"vesta vcpus={n}"].append(r)
                if keep and r["session"]:
                    try:
                        if r["init"]:
                            idle = idle_exits(r["session"], opts.idle_wait,
                                              opts.top_interval)
                    finally:
                        r["session"].close()
        print_boot([(label, results[label]) for label in labels])
        print("ready->init: from Vesta's `vesta ready` line to the domain's "
              "init marker (Linux's part).")
        print()

        # 2. The in-guest benchmark.
        if not opts.no_bench:
            print(f"2. In-guest benchmark (guests/linux/bench.c, "
                  f"vesta.run=bench): the best of {opts.bench_runs} runs,"
                  f" each run's figure\n   the median of 3 batches of "
                  f">= 0.2 s; the last run's exits below the table")
            columns, gones = [], []
            runs = {f"direct -smp {n}": [] for n in (2, 1)}
            runs.update({f"vesta vcpus={n}": [] for n in smps})
            for _ in range(opts.bench_runs):  # interleaved, like the boots
                for n in (2, 1):
                    runs[f"direct -smp {n}"].append(
                        bench_direct(bench_cmd, n))
                for n in smps:
                    runs[f"vesta vcpus={n}"].append(
                        bench_vesta(bench_bundles[n]))
            for label, results in runs.items():
                best = {}
                for figures, _, _ in results:
                    for name, (v, unit) in figures.items():
                        if name not in best or v < best[name][0]:
                            best[name] = (v, unit)
                cs = ",".join(sorted({r[1] for r in results}))
                columns.append((label, best, cs))
                if label.startswith("vesta"):
                    gones.append((label, results[-1][2]))
            print_bench(columns)
            for label, gone in gones:
                if gone:
                    ms, total = int(gone.group(1)), int(gone.group(3))
                    print(f"{label}, boot and bench: the domain "
                          f"lived {ms / 1000:.1f} s, {total} exits "
                          f"({total * 1000 / ms:.0f}/s): {gone.group(4)}")
            print()

    interval, exits, cpu = idle
    print(f"3. VM exits of an idle Linux domain (vcpus=1, at its shell, "
          f"{opts.idle_wait:g} s after init): Vesta's `top`")
    if exits is None:
        print("  no figures (no init marker or no top output)")
    else:
        total = sum(exits.values())
        print(f"  over {interval:.1f} s: {total} exits/s, domain CPU "
              f"{cpu if cpu is not None else '?'}% of one CPU")
        print("  " + "  ".join(f"{k} {v}" for k, v in exits.items()))
        print(f"  guest wake-ups from idle ~ hlt exits/s: {exits.get('hlt')}"
              f"  (reference: Debian's kernel idles at about "
              f"{IDLE_TICKS_REFERENCE} ticks/s)")
    print()
    print("end " + direct.load_line())
    print(f"total {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main()
