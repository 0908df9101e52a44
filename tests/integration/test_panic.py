"""The panic report: `debug.fault=KIND` (pf, gp, ud, de) makes a CPU
(`debug.fault_cpu=N`, default 0) fault on purpose at the end of boot. The
report names the CPU, the exception, its vector and error code, shows the
registers and a stack trace, stops every CPU, and no ready line follows."""

import re

import pytest

from conftest import ANY_READY_RE, HV_ELF, PANIC_END_RE, elf_load_segments

KINDS = {
    # kind: (vector, how the exception may be named)
    "pf": (14, r"#PF|page fault"),
    "gp": (13, r"#GP|general protection"),
    "ud": (6, r"#UD|invalid opcode|undefined opcode"),
    "de": (0, r"#DE|divide"),
}
PF_X = 1  # ELF segment flag: executable


def hex_value(text, reg):
    m = re.search(rf"\b{reg}=(?:0x)?([0-9a-fA-F]+)\b", text)
    assert m, f"no {reg}= value in the panic report"
    return int(m.group(1), 16)


def check_panic(q, kind, cpu):
    vector, name_re = KINDS[kind]
    m = q.wait_for(r"^PANIC: cpu (\d+):", before=ANY_READY_RE)
    head = m.string
    first = q.match_index
    assert int(m.group(1)) == cpu, f"wrong CPU: {head!r}"
    assert re.search(name_re, head, re.I), f"exception not named: {head!r}"
    assert re.search(rf"\bvector={vector}\b", head), head
    assert re.search(r"\berror=0x[0-9a-fA-F]+\b", head), head

    q.wait_for(PANIC_END_RE, before=ANY_READY_RE)
    last = q.match_index
    report = q.lines_between(first, last)
    text = "\n".join(report)

    regs = {reg: hex_value(text, reg) for reg in ("RIP", "RSP", "RAX", "CR2")}
    # The fault is the hypervisor's own: RIP is in its code.
    code = [(va, sz) for va, sz, fl in elf_load_segments(HV_ELF) if fl & PF_X]
    assert any(va <= regs["RIP"] < va + sz for va, sz in code), (
        f"RIP={regs['RIP']:#x} outside the image's code {code}")

    trace = [i for i, line in enumerate(report)
             if re.match(r"\s*stack trace:", line)]
    assert trace, "no 'stack trace:' line"
    frames = [l for l in report[trace[0] + 1:] if l.strip()]
    assert frames and re.search(r"[0-9a-fA-F]{6,}", frames[0]), (
        "no frame line after 'stack trace:'")

    # Nothing resumes: let QEMU run a moment longer and look at everything.
    q.settle(1)
    assert not q.find_all(ANY_READY_RE), "ready line despite the panic"
    return regs


@pytest.mark.parametrize("kind", list(KINDS))
def test_fault_on_bsp(vesta, kind):
    q = vesta(smp=1, cmdline=f"loglevel=info debug.fault={kind}")
    check_panic(q, kind, cpu=0)


def test_page_fault_on_an_ap(vesta):
    q = vesta(smp=2, cmdline="loglevel=info debug.fault=pf debug.fault_cpu=1")
    check_panic(q, "pf", cpu=1)
    assert not q.find_all(r"^PANIC: cpu [^1]"), "another CPU faulted as well"
