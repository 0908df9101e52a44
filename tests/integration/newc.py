"""A small, independent reader of cpio "newc" archives for the tests.

It checks tools/mkbundle's output field by field and tells the tests where
each header starts, so that they can corrupt an archive at a known offset
and expect the hypervisor to name that offset.
"""

from dataclasses import dataclass

MAGIC = b"070701"
HEADER_SIZE = 110
TRAILER = "TRAILER!!!"
FIELDS = ("ino", "mode", "uid", "gid", "nlink", "mtime", "filesize",
          "devmajor", "devminor", "rdevmajor", "rdevminor", "namesize",
          "check")


def field_offset(name):
    """Offset of a header field from the start of its header."""
    return len(MAGIC) + 8 * FIELDS.index(name)


def align4(n):
    return (n + 3) & ~3


@dataclass
class Entry:
    offset: int          # of the header
    name: str
    fields: dict
    data_offset: int
    data: bytes

    @property
    def mode(self):
        return self.fields["mode"]


def parse(buf):
    """Returns the entries before the trailer, and the offset just past
    the trailer. Raises ValueError on anything malformed."""
    entries = []
    off = 0
    while True:
        if off + HEADER_SIZE > len(buf):
            raise ValueError(f"truncated header at offset {off}")
        if buf[off:off + 6] != MAGIC:
            raise ValueError(f"bad magic at offset {off}")
        fields = {}
        for i, name in enumerate(FIELDS):
            raw = buf[off + 6 + 8 * i:off + 14 + 8 * i]
            try:
                fields[name] = int(raw.decode("ascii"), 16)
            except ValueError:
                raise ValueError(f"bad field {name} at offset {off}") from None
        name_start = off + HEADER_SIZE
        name_end = name_start + fields["namesize"]
        if fields["namesize"] == 0 or name_end > len(buf) \
                or buf[name_end - 1] != 0:
            raise ValueError(f"bad name at offset {off}")
        name = buf[name_start:name_end - 1].decode()
        data_start = align4(name_end)
        data_end = data_start + fields["filesize"]
        if data_end > len(buf):
            raise ValueError(f"truncated data at offset {off}")
        if name == TRAILER:
            return entries, align4(data_end)
        entries.append(Entry(off, name, fields, data_start,
                             bytes(buf[data_start:data_end])))
        off = align4(data_end)
