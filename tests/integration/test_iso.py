"""The GRUB rescue ISO (make iso): SeaBIOS, GRUB, Multiboot2 with the demo
bundle as module, console on COM1, to the same ready line."""

import pytest

import newc
from conftest import ANY_READY_RE, DEMO_BUNDLE, ISO


@pytest.mark.slow
def test_iso_boots_through_grub(vesta):
    q = vesta(cdrom=ISO, smp=2, mem="2G")
    m = q.wait_for(r"bundle: (\d+) entries", before=ANY_READY_RE)
    demo_entries = len(newc.parse(DEMO_BUNDLE.read_bytes())[0])
    assert int(m.group(1)) == demo_entries, "the bundle module was not passed"
    cpus, _ = q.wait_ready()
    assert cpus == 2
    assert not q.find_all(r"cmdline: unknown option"), \
        "GRUB's command line (loglevel=info) was not understood"
