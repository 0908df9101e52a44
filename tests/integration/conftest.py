"""Integration tests: boot Vesta in QEMU (TCG, emulated AMD EPYC with AMD-V)
and check what it prints on COM1.

The `vesta` fixture starts QEMU and returns a `Qemu` handle; a test waits
for regular expressions in the serial output. Every QEMU a test started is
killed when the test ends, and its whole log (serial output, then QEMU's
stderr) is printed, which pytest shows for failed tests, and saved under
build/test-logs/integration/.

Environment: QEMU (binary, default qemu-system-x86_64), VESTA_TEST_TIMEOUT
(seconds per wait, default 60), VESTA_ELF and VESTA_ISO (other images than
build/vesta.elf and build/vesta.iso).
"""

import os
import re
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "build"
HV_ELF = Path(os.environ.get("VESTA_ELF", BUILD / "vesta.elf"))
ISO = Path(os.environ.get("VESTA_ISO", BUILD / "vesta.iso"))
DEMO_BUNDLE = BUILD / "bundle.cpio"
MKBUNDLE = BUILD / "tools" / "mkbundle"
LOG_DIR = BUILD / "test-logs" / "integration"

QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
TIMEOUT = float(os.environ.get("VESTA_TEST_TIMEOUT", "60"))

# The contract of the boot log (see the tests for what each one means).
READY_RE = r"vesta ready: cpus=(\d+) memory=(\d+)MiB(?=\s|$)"
ANY_READY_RE = r"vesta ready"
PANIC_END_RE = r"^PANIC: all CPUs stopped"

# Serial output carries \r and, through GRUB, terminal escape sequences.
_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]")

DEFAULT = object()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: boots that take longer (run by default; "
        "deselect with -m 'not slow')")


class QemuError(AssertionError):
    pass


class Qemu:
    """One QEMU process whose serial port is its stdout."""

    def __init__(self, args, name, log_path):
        self.args = args
        self.name = name
        self.log_path = log_path
        self.lines = []          # complete serial lines, cleaned
        self.line_times = []     # time.monotonic() when each line completed
        self._partial = b""
        self._cursor = 0         # wait_for() searches lines from here
        self.match_index = None  # index in self.lines of the last match
        self._eof = False
        self._cond = threading.Condition()
        self.returncode = None
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._stderr = open(log_path.with_suffix(".stderr"), "w+b")
        self.start_time = time.monotonic()
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr, cwd=REPO)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # ---------------------------------------------------------- reading
    @staticmethod
    def _clean(raw):
        text = raw.decode("utf-8", errors="replace")
        return _ANSI_RE.sub("", text).replace("\r", "")

    def _read(self):
        fd = self.proc.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            with self._cond:
                if not chunk:
                    if self._partial:
                        self._add_line(self._partial)
                        self._partial = b""
                    self._eof = True
                    self._cond.notify_all()
                    return
                data = self._partial + chunk
                *complete, self._partial = data.split(b"\n")
                for raw in complete:
                    self._add_line(raw)
                self._cond.notify_all()

    def _add_line(self, raw):
        self.lines.append(self._clean(raw))
        self.line_times.append(time.monotonic())

    # ---------------------------------------------------------- waiting
    def wait_for(self, pattern, timeout=None, flags=0, before=None):
        """Waits for a line (after the last one matched) in which the regex
        is found; returns the match (m.string is the line, self.match_index
        its index). Fails on timeout, if QEMU exits first, or at once if a
        line matching `before` or the end of a panic report comes first (so
        that a test does not sit out the timeout)."""
        __tracebackhide__ = True
        regex = re.compile(pattern, flags)
        stop = re.compile(PANIC_END_RE + (f"|{before}" if before else ""))
        timeout = TIMEOUT if timeout is None else timeout
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                while self._cursor < len(self.lines):
                    line = self.lines[self._cursor]
                    self._cursor += 1
                    m = regex.search(line)
                    if m:
                        self.match_index = self._cursor - 1
                        return m
                    if stop.search(line):
                        raise QemuError(
                            f"{self.name}: {line!r} came before a line "
                            f"matching /{pattern}/")
                if self._eof:
                    self.proc.wait()
                    raise QemuError(
                        f"{self.name}: QEMU exited (status "
                        f"{self.proc.returncode}) before a line matching "
                        f"/{pattern}/ appeared")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise QemuError(
                        f"{self.name}: no line matching /{pattern}/ within "
                        f"{timeout:g} s")
                self._cond.wait(left)

    def settle(self, seconds):
        """Lets QEMU run for `seconds` more (or until it exits)."""
        deadline = time.monotonic() + seconds
        with self._cond:
            while not self._eof:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)

    def find_all(self, pattern, flags=0):
        """Every match in the lines received so far."""
        regex = re.compile(pattern, flags)
        with self._cond:
            return [m for m in map(regex.search, self.lines) if m]

    def lines_between(self, start, end):
        with self._cond:
            return list(self.lines[start:end])

    def wait_ready(self, timeout=None):
        """Waits for the ready line; returns (cpus, memory in MiB)."""
        __tracebackhide__ = True
        m = self.wait_for(READY_RE, timeout)
        return int(m.group(1)), int(m.group(2))

    def send(self, text):
        """Writes to the serial port (the hypervisor's console input)."""
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    # ---------------------------------------------------------- ending
    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.returncode = self.proc.returncode
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self._reader.join(timeout=5)
        self.proc.stdout.close()

    def log(self):
        with self._cond:
            serial = "\n".join(self.lines)
            if self._partial:
                serial += "\n" + self._clean(self._partial)
        self._stderr.seek(0)
        stderr = self._stderr.read().decode("utf-8", errors="replace")
        # QEMU repeats one warning per unsupported EPYC feature per CPU.
        stderr = "\n".join(l for l in stderr.splitlines()
                           if "TCG doesn't support requested feature" not in l)
        return (f"$ {' '.join(self.args)}\n"
                f"--- serial ({len(self.lines)} lines) ---\n{serial}\n"
                f"--- qemu stderr (exit status {self.returncode}) ---\n"
                f"{stderr}\n")

    def close(self):
        self.kill()
        text = self.log()
        self._stderr.close()
        os.unlink(self._stderr.name)
        self.log_path.write_text(text)
        return text


def qemu_args(*, smp=1, mem="512M", cmdline="loglevel=info", initrd=DEFAULT,
              cdrom=None, extra=()):
    """The QEMU command line the tests use; `initrd=None` passes no
    module, the default passes the demo bundle, `cdrom` boots an ISO."""
    args = [QEMU, "-accel", "tcg", "-cpu", "EPYC", "-smp", str(smp),
            "-m", str(mem), "-display", "none", "-serial", "stdio",
            "-monitor", "none", "-no-reboot"]
    if cdrom is not None:
        args += ["-cdrom", str(cdrom)]
    else:
        args += ["-kernel", str(HV_ELF)]
        if initrd is DEFAULT:
            initrd = DEMO_BUNDLE
        if initrd is not None:
            args += ["-initrd", str(initrd)]
        args += ["-append", cmdline]
    return args + list(extra)


def _require(path, how):
    if not path.exists():
        pytest.fail(f"{path} is missing: run `{how}` first", pytrace=False)


@pytest.fixture
def vesta(request):
    """vesta(smp=, mem=, cmdline=, initrd=, cdrom=, extra=) boots QEMU and
    returns its Qemu handle."""
    machines = []
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)

    def boot(**kw):
        if kw.get("cdrom") is not None:
            _require(Path(kw["cdrom"]), "make iso")
        else:
            _require(HV_ELF, "make hv")
            if kw.get("initrd", DEFAULT) is DEFAULT:
                _require(DEMO_BUNDLE, "make bundle")
        n = len(machines)
        log_path = LOG_DIR / (f"{safe}.log" if n == 0 else f"{safe}.{n}.log")
        q = Qemu(qemu_args(**kw), safe, log_path)
        machines.append(q)
        return q

    yield boot
    for q in machines:
        print(q.close())


@pytest.fixture
def mkbundle(tmp_path):
    """mkbundle(files) writes files ({relative path: bytes or str}) under a
    fresh directory, runs tools/mkbundle on it, and returns (archive path,
    number of entries: files plus directories)."""
    _require(MKBUNDLE, "make tools")
    counter = [0]

    def make(files):
        counter[0] += 1
        root = tmp_path / f"bundle{counter[0]}"
        root.mkdir()
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                content = content.encode()
            path.write_bytes(content)
        out = tmp_path / f"bundle{counter[0]}.cpio"
        subprocess.run([str(MKBUNDLE), "-o", str(out), str(root)],
                       check=True)
        entries = sum(len(dirs) + len(names)
                      for _, dirs, names in os.walk(root))
        return out, entries

    return make


def elf_load_segments(path):
    """(vaddr, memsz, flags) of each PT_LOAD in a 64-bit little-endian ELF."""
    data = Path(path).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError(f"{path}: not a 64-bit little-endian ELF")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    segs = []
    for i in range(phnum):
        p_type, p_flags, _off, p_vaddr, _paddr, _filesz, p_memsz = \
            struct.unpack_from("<IIQQQQQ", data, phoff + i * phentsize)
        if p_type == 1:
            segs.append((p_vaddr, p_memsz, p_flags))
    return segs
