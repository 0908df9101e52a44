"""Boot to the ready line: `vesta ready: cpus=N memory=MMiB`, printed once,
with every CPU up and the RAM left for guests within 64 MiB of QEMU's -m."""

import pytest

from conftest import ANY_READY_RE

# The hypervisor may keep this much of the machine's RAM for itself (image,
# page tables, heap, per-CPU stacks) and for the holes firmware leaves.
MEMORY_MARGIN_MIB = 64


@pytest.mark.parametrize("smp", [
    1, 2, pytest.param(4, marks=pytest.mark.slow)])
def test_every_cpu_comes_up(vesta, smp):
    q = vesta(smp=smp, mem="2G")
    cpus, _ = q.wait_ready()
    assert cpus == smp


@pytest.mark.parametrize("mem_mib", [
    512, 2048,
    # 4 GiB on QEMU's pc machine puts 1 GiB above 4 GiB (the PCI hole
    # is below it): the memory map has two RAM ranges.
    pytest.param(4096, marks=pytest.mark.slow)])
def test_memory_for_guests_is_within_margin(vesta, mkbundle, mem_mib):
    # A bundle without domains: the demo bundle's would take their RAM.
    empty, _ = mkbundle({"README": "no domains\n"})
    q = vesta(smp=1, mem=f"{mem_mib}M", initrd=empty)
    _, memory = q.wait_ready()
    assert mem_mib - MEMORY_MARGIN_MIB <= memory <= mem_mib, (
        f"memory={memory}MiB with -m {mem_mib}M")


@pytest.mark.slow
def test_ready_line_appears_exactly_once(vesta):
    q = vesta(smp=2, mem="2G")
    q.wait_ready()
    q.settle(3)
    ready = q.find_all(ANY_READY_RE)
    assert len(ready) == 1, [m.string for m in ready]


def test_unknown_option_is_reported_and_boot_goes_on(vesta):
    q = vesta(cmdline="loglevel=info frobnicate=yes nosuchflag")
    q.wait_for(r"cmdline: unknown option 'frobnicate'", before=ANY_READY_RE)
    q.wait_ready()
    # Reported wherever it comes on the line; check the whole log.
    assert q.find_all(r"cmdline: unknown option 'nosuchflag'")
    # Known options are not reported.
    assert not q.find_all(r"cmdline: unknown option 'loglevel'")


def test_missing_acpi_is_a_clear_error_and_the_boot_cpu_goes_on(vesta):
    # Without ACPI there is no MADT to name the other CPUs: Vesta says so
    # and runs on the boot CPU rather than guessing.
    q = vesta(smp=2, mem="1G", extra=("-machine", "pc,acpi=off"))
    q.wait_for(r"acpi: error: no RSDP", before=ANY_READY_RE)
    cpus, _ = q.wait_ready()
    assert cpus == 1
