"""The boot bundle: a good one is counted, a corrupt or missing one is
reported (a corrupt one with the offset of the failing header) and boot
still reaches the ready line."""

import re

import pytest

import newc
from conftest import ANY_READY_RE

FILES = {
    "hello.txt": "hello from the bundle\n",
    "data/blob.bin": bytes(range(256)) * 4,
    "data/notes.txt": "a second file in a directory\n",
    "empty": b"",
}
CORRUPT_RE = r"bundle: error: .*corrupt"


def test_good_bundle_is_counted(vesta, mkbundle):
    path, entries = mkbundle(FILES)
    assert entries == 5  # four files and data/
    q = vesta(initrd=path)
    m = q.wait_for(r"bundle: (\d+) entries", before=ANY_READY_RE)
    assert int(m.group(1)) == entries
    q.wait_ready()
    assert not q.find_all(r"bundle: error")


def bad_magic(buf, entries):
    buf[0:6] = b"070707"  # the old portable format's magic, not newc
    return buf, 0


def truncated_in_a_file(buf, entries):
    e = next(e for e in entries if e.name == "data/blob.bin")
    return buf[:e.data_offset + len(e.data) // 2], e.offset


def garbage_hex_field(buf, entries):
    e = next(e for e in entries if e.name == "data/notes.txt")
    at = e.offset + newc.field_offset("filesize")
    buf[at:at + 8] = b"0000x01G"
    return buf, e.offset


@pytest.mark.parametrize("corrupt", [bad_magic, truncated_in_a_file,
                                     garbage_hex_field],
                         ids=lambda f: f.__name__)
def test_corrupt_bundle_is_reported_and_boot_goes_on(vesta, mkbundle,
                                                     tmp_path, corrupt):
    good, _ = mkbundle(FILES)
    buf = bytearray(good.read_bytes())
    entries, _ = newc.parse(buf)
    bad, offset = corrupt(buf, entries)
    with pytest.raises(ValueError):
        newc.parse(bad)  # really corrupt
    path = tmp_path / "corrupt.cpio"
    path.write_bytes(bad)

    q = vesta(initrd=path)
    line = q.wait_for(CORRUPT_RE, before=ANY_READY_RE).string
    m = re.search(r"\bat offset (\d+)\b", line)
    assert m, f"no offset named: {line!r}"
    assert int(m.group(1)) == offset, (
        f"expected the offset of the failing header, {offset}: {line!r}")
    q.wait_ready()


def test_no_boot_module_is_reported_and_boot_goes_on(vesta):
    q = vesta(initrd=None)
    q.wait_for(r"bundle: error: no boot module", before=ANY_READY_RE)
    q.wait_ready()
