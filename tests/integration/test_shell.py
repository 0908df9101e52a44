"""The shell on COM1 (hv/core/shell.c over hv/core/mgmt.c): xl's verbs,
typed into QEMU's stdin. Each test builds its own bundle from the test
guests in build/guests (guests/tests/*.c): `auto/*.cfg` start at boot,
`conf/*.cfg` are there for `create`.

The prompt has no newline, so whatever is printed next (often a domain's
line) shares its line: domains' lines are searched for anywhere in a line.
A command's output is collected by sending an unknown verb after it as a
marker: the shell handles lines in order, so everything the command printed
comes before the marker's error line. Domains' console lines (`[NAME] ...`)
can come at any time and are left out of that output."""

import re
import time

import pytest

from conftest import BUILD, READY_RE

GUESTS = BUILD / "guests"
READY_DOMAINS_RE = READY_RE + r" domains=(\d+)"
DOMAIN_LINE_RE = re.compile(r"^\[[A-Za-z0-9_.-]+\] ")
LIST_HEADER_RE = r"^Name\s+ID\s+Mem\s+VCPUs\s+State\s+Time\(s\)$"
CTRL_RBRACKET = "\x1d"

# A progress guest that goes on for long enough (absolute deadlines: after
# a pause it catches up, which is fine here).
PROGRESS_EXTRA = "period_ms=100 count=100000 max_late_ms=1000000"


def config(name, guest, extra=None):
    text = (f'name = "{name}"\nmemory = 16\n'
            f'kernel = "guests/{guest}.elf"\n')
    if extra:
        text += f'extra = "{extra}"\n'
    return text


def guest_files(*guests):
    files = {}
    for guest in guests:
        elf = GUESTS / f"{guest}.elf"
        if not elf.exists():
            pytest.fail(f"{elf} is missing: run `make guests` first",
                        pytrace=False)
        files[f"guests/{guest}.elf"] = elf.read_bytes()
    return files


class Shell:
    """Types commands and collects what each printed."""

    def __init__(self, q):
        self.q = q
        self.markers = 0
        self.sent_at = 0  # index in q.lines when the last command was sent

    def run(self, command, timeout=None):
        """Sends `command`; returns the lines it printed (log lines
        included, domains' console lines left out)."""
        self.markers += 1
        marker = f"sync-marker-{self.markers}"
        start = self.sent_at = len(self.q.lines)
        self.q.send(f"{command}\n{marker}\n")
        self.q.wait_for(rf"shell: error: unknown command '{marker}'",
                        timeout)
        lines = self.q.lines_between(start, self.q.match_index)
        return [l for l in lines if not DOMAIN_LINE_RE.match(l)]

    def expect(self, pattern, timeout=None):
        """Waits for a line matching `pattern` printed since the last
        command was sent (it may have come before that command's marker,
        which wait_for would not look at again)."""
        for line in self.q.lines_between(self.sent_at, None):
            if re.search(pattern, line):
                return line
        return self.q.wait_for(pattern, timeout).string

    def list(self):
        """{name: (id, mem, vcpus, state)} from `list`."""
        lines = self.run("list")
        at = next(i for i, l in enumerate(lines)
                  if re.search(LIST_HEADER_RE, l))
        rows = {}
        for line in lines[at + 1:]:
            m = re.match(r"^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+[\d.]+$",
                         line)
            if m:
                rows[m.group(1)] = (int(m.group(2)), int(m.group(3)),
                                    int(m.group(4)), m.group(5))
        return rows


def boot(vesta, mkbundle, files=None, smp=2):
    path, _ = mkbundle(files or {"empty": ""})
    q = vesta(smp=smp, mem="512M", initrd=path)
    sh = Shell(q)
    m = q.wait_for(READY_DOMAINS_RE)
    return sh, int(m.group(1)), int(m.group(3))


def find(lines, pattern):
    return [l for l in lines if re.search(pattern, l)]


# ------------------------------------------------------ without guests


def test_help_info_list_and_errors_without_domains(vesta, mkbundle):
    sh, cpus, domains = boot(vesta, mkbundle)
    assert domains == 0

    out = sh.run("help")
    for verb in ("list", "create FILE", "destroy DOM", "shutdown DOM",
                 "reboot DOM", "pause DOM", "unpause DOM", "console DOM",
                 "info", "top", "dmesg", r"vcpu-list \[DOM\]"):
        assert find(out, rf"^  {verb}\s"), f"help lacks {verb}: {out}"
    assert find(out, r"^vesta> help$"), "no prompt with the echoed command"

    out = sh.run("info")
    assert find(out, rf"^cpus\s+: {cpus}$"), out
    assert find(out, r"^domains\s+: 0$"), out
    assert find(out, r"^memory_free\s+: \d+ MiB$"), out
    assert find(out, r"^virtualization\s+: \S"), out
    assert find(out, r"^uptime\s+: \d+\.\d{3} s$"), out

    assert sh.list() == {}
    out = sh.run("list")
    assert find(out, LIST_HEADER_RE), out

    out = sh.run("frobnicate now")
    assert find(out, r"^shell: error: unknown command 'frobnicate'"), out
    out = sh.run("destroy")
    assert find(out, r"^shell: error: destroy: wrong arguments; "
                     r"usage: destroy DOM$"), out
    out = sh.run("pause a b")
    assert find(out, r"^shell: error: pause: wrong arguments"), out
    out = sh.run("destroy nosuch")
    assert find(out, r"^shell: error: destroy nosuch: no such domain$"), out
    out = sh.run("console 42")
    assert find(out, r"^shell: error: console 42: no such domain$"), out
    out = sh.run("create conf/missing.cfg")
    assert find(out, r"config: error: conf/missing.cfg: not in the bundle")
    assert find(out, r"^shell: error: create conf/missing.cfg: "), out


def test_line_editing(vesta, mkbundle):
    sh, _, _ = boot(vesta, mkbundle)
    # Backspace (DEL and BS), an arrow key's escape sequence, CR LF, and
    # an empty line in between: all give the plain `info`.
    out = sh.run("\r\nlixx\x7f\x08st\x1b[A\r")
    assert find(out, LIST_HEADER_RE), out
    assert not find(out, r"shell: error: unknown command '(?!sync)"), out
    # A line longer than the limit is cut, not overflowed.
    out = sh.run("x" * 300)
    assert find(out, r"^shell: error: unknown command 'x{100,127}'"), out


def test_dmesg_shows_the_log_but_not_the_shell(vesta, mkbundle):
    sh, _, _ = boot(vesta, mkbundle)
    out = sh.run("dmesg")
    assert find(out, r"^Vesta hypervisor starting"), out
    assert find(out, r"^vesta ready: cpus="), out
    assert not find(out, r"^shell: error"), "shell output in the log ring"


# ---------------------------------------------------------- with guests


def test_list_shows_the_auto_domains(vesta, mkbundle):
    files = guest_files("spin_irq_off", "progress")
    files["auto/spin.cfg"] = config("spin", "spin_irq_off")
    files["auto/prog.cfg"] = config("prog", "progress", PROGRESS_EXTRA)
    sh, _, domains = boot(vesta, mkbundle, files)
    assert domains == 2
    sh.q.wait_for(r"\[prog\] progress 1 ")
    rows = sh.list()
    assert set(rows) == {"spin", "prog"}, rows
    assert rows["spin"][1:3] == (16, 1)
    assert rows["spin"][3] == "running"
    assert rows["prog"][3] in ("blocked", "running")
    out = sh.run("info")
    assert find(out, r"^domains\s+: 2$"), out

    out = sh.run("vcpu-list spin")
    assert find(out, r"^spin\s+\d+\s+0\s+\d+\s+(running|runnable)\s"), out
    out = sh.run("vcpu-list")
    assert find(out, r"^prog\s+\d+\s+0\s"), out


def test_create_starts_a_domain(vesta, mkbundle):
    files = guest_files("hello", "progress")
    files["conf/hello.cfg"] = config("hello", "hello")
    files["conf/prog.cfg"] = config("prog", "progress", PROGRESS_EXTRA)
    sh, _, domains = boot(vesta, mkbundle, files)
    assert domains == 0

    out = sh.run("create conf/prog.cfg")
    assert find(out, r"domain prog: created, id \d+"), out
    assert not find(out, r"shell: error: (?!unknown command 'sync)"), out
    sh.expect(r"\[prog\] progress 2 ")
    assert "prog" in sh.list()

    # hello prints its checks and powers off: on_poweroff destroys it.
    sh.run("create conf/hello.cfg")
    sh.expect(r"\[hello\] RESULT: passed=\d+ failed=0")
    sh.expect(r"domain hello: destroyed")
    assert set(sh.list()) == {"prog"}

    out = sh.run("create conf/prog.cfg")  # the name is taken
    assert find(out, r"^shell: error: create conf/prog.cfg: "), out


def progress_numbers(q, start, end=None):
    return [int(m.group(1)) for m in
            map(re.compile(r"\[prog\] progress (\d+) ").search,
                q.lines_between(start, end)) if m]


def test_pause_stops_a_domain_and_unpause_resumes_it(vesta, mkbundle):
    files = guest_files("progress")
    files["auto/prog.cfg"] = config("prog", "progress", PROGRESS_EXTRA)
    sh, _, _ = boot(vesta, mkbundle, files)
    sh.q.wait_for(r"\[prog\] progress 3 ")

    out = sh.run("pause prog")
    assert find(out, r"domain prog: paused"), out
    assert sh.list()["prog"][3] == "paused"
    out = sh.run("pause prog")
    assert find(out, r"^shell: error: pause prog: not possible"), out

    quiet_from = len(sh.q.lines)
    sh.q.settle(2)  # 20 periods of the guest
    silent = progress_numbers(sh.q, quiet_from)
    assert not silent, f"a paused domain printed {silent}"

    out = sh.run("unpause prog")
    assert find(out, r"domain prog: unpaused"), out
    sh.expect(r"\[prog\] progress \d+ ", timeout=10)
    assert sh.list()["prog"][3] in ("blocked", "running")
    out = sh.run("unpause prog")
    assert find(out, r"^shell: error: unpause prog: not possible"), out


def test_destroy_removes_the_domain(vesta, mkbundle):
    files = guest_files("spin_irq_off", "progress")
    files["auto/spin.cfg"] = config("spin", "spin_irq_off")
    files["auto/prog.cfg"] = config("prog", "progress", PROGRESS_EXTRA)
    sh, _, domains = boot(vesta, mkbundle, files)
    assert domains == 2
    sh.q.wait_for(r"\[prog\] progress 1 ")
    spin_id = sh.list()["spin"][0]

    out = sh.run(f"destroy {spin_id}")  # by id
    assert find(out, r"domain spin: destroyed"), out
    assert set(sh.list()) == {"prog"}
    out = sh.run("destroy prog")  # by name
    assert find(out, r"domain prog: destroyed"), out
    assert sh.list() == {}
    out = sh.run("destroy prog")
    assert find(out, r"^shell: error: destroy prog: no such domain$"), out


def test_shutdown_and_reboot_act_as_the_guest_would(vesta, mkbundle):
    files = guest_files("progress")
    files["auto/prog.cfg"] = config("prog", "progress", PROGRESS_EXTRA)
    sh, _, _ = boot(vesta, mkbundle, files)
    sh.q.wait_for(r"\[prog\] progress 1 ")
    first_id = sh.list()["prog"][0]

    # on_reboot defaults to restart: the same domain again, a new id.
    out = sh.run("reboot prog")
    assert find(out, r"domain prog: rebooted"), out
    sh.expect(r"domain prog: created, id \d+")
    sh.expect(r"\[prog\] guest progress: start")
    assert sh.list()["prog"][0] != first_id

    # on_poweroff defaults to destroy.
    out = sh.run("shutdown prog")
    assert find(out, r"domain prog: powered off"), out
    sh.expect(r"domain prog: destroyed")
    assert sh.list() == {}


def test_console_follows_a_domain_until_ctrl_rbracket(vesta, mkbundle):
    files = guest_files("progress")
    files["auto/prog.cfg"] = config("prog", "progress", PROGRESS_EXTRA)
    sh, _, _ = boot(vesta, mkbundle, files)
    q = sh.q
    q.wait_for(r"\[prog\] progress 3 ")

    q.send("console prog\n")
    q.wait_for(r"^\[console of prog \(id \d+\); Ctrl-\] returns")
    banner = q.match_index
    # What the ring holds first, from the guest's first line, unprefixed.
    q.wait_for(r"^guest progress: start", timeout=10)
    q.wait_for(r"^progress \d+ ", timeout=10)
    first = q.match_index
    q.settle(1)
    q.send(CTRL_RBRACKET)
    q.wait_for(r"^\[back to the shell\]")
    back = q.match_index
    attached = q.lines_between(first, back)
    assert len([l for l in attached if re.match(r"^progress \d+ ", l)]) >= 5
    # While attached, the domain's lines are not also printed prefixed.
    assert not progress_numbers(q, first, back), attached
    assert banner < first < back

    # Back in the shell: prefixed lines again, and commands work.
    q.wait_for(r"\[prog\] progress \d+ ", timeout=10)
    assert "prog" in sh.list()


def test_top_shows_cpu_share_and_exits(vesta, mkbundle):
    files = guest_files("spin_irq_off")
    files["auto/spin.cfg"] = config("spin", "spin_irq_off")
    sh, _, _ = boot(vesta, mkbundle, files)
    sh.q.wait_for(r"\[spin\] spinning")
    out = sh.run("top")
    assert find(out, r"^top: the last [\d.]+ s \(since the boot\)"), out
    sh.q.settle(2)
    out = sh.run("top")
    assert find(out, r"^top: the last [\d.]+ s \(since the previous top\)")
    row = find(out, r"^spin\s+\d+\s+all\s")
    assert row, out
    share = float(row[0].split()[-1])
    # It spins with interrupts off on one of two CPUs: most of one CPU.
    assert share > 50, out
    assert find(out, r"^\s+\d+\s+0\s+[\d.]+\s+[\d.]+$"), out  # its vCPU 0
    exits = find(out, r"^  exits/s: intr \d+ cpuid \d+ msr \d+ io \d+ "
                      r"hcall \d+ hlt \d+ npf \d+ other \d+$")
    assert exits, out


def test_console_shows_the_last_words_of_a_domain_that_ends(vesta, mkbundle):
    files = guest_files("progress")
    files["conf/short.cfg"] = config("short", "progress",
                                     "period_ms=200 count=10")
    sh, _, _ = boot(vesta, mkbundle, files)
    q = sh.q
    q.send("create conf/short.cfg\nconsole short\n")
    q.wait_for(r"^\[console of short \(id \d+\)")
    # It powers off after 2 s and is destroyed (on_poweroff); what it
    # printed last is still shown, then the shell comes back.
    q.wait_for(r"^RESULT: passed=1 failed=0", timeout=30)
    q.wait_for(r"^\[the domain is gone; back to the shell\]")
    assert not q.find_all(r"\[short\] progress"), "printed twice"
    assert sh.list() == {}
