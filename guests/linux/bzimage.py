#!/usr/bin/python3
"""Unpacks a Linux bzImage into its uncompressed vmlinux (an ELF64), and
reads the ELF notes that say how a loader may enter it.

    bzimage.py extract VMLINUZ VMLINUX   writes VMLINUX (atomically)
    bzimage.py info FILE                 prints what FILE is: a bzImage's
                                         setup header, or an ELF's notes

The compressed kernel sits in the bzImage's protected-mode part, at
payload_offset with payload_length bytes (setup header fields at 0x248 and
0x24c, boot protocol 2.08 and later; Documentation/arch/x86/boot.rst). The
build appends the uncompressed size as 4 little-endian bytes. Should the
header not name a payload (an old protocol), the first known compression
magic in the image is used instead. xz and gzip are decompressed with
Python's standard library, zstd with the zstd program.
"""

import lzma
import os
import struct
import subprocess
import sys
import zlib

MAGICS = {  # compression format: its stream magic
    "xz": b"\xfd7zXZ\x00",
    "zstd": b"\x28\xb5\x2f\xfd",
    "gzip": b"\x1f\x8b\x08",
}

# Xen's ELF note types (xen/include/public/elfnote.h); Linux puts them in
# its "Xen" notes. PHYS32_ENTRY is the PVH entry point (32-bit, paging off,
# %ebx = physical address of struct hvm_start_info).
XEN_ELFNOTE_ENTRY = 1
XEN_ELFNOTE_PHYS32_ENTRY = 18


class FormatError(ValueError):
    pass


def setup_header(data):
    """The fields of a bzImage's setup header that matter here."""
    if len(data) < 0x260 or data[0x202:0x206] != b"HdrS":
        raise FormatError("not a bzImage (no 'HdrS' at 0x202)")
    version, = struct.unpack_from("<H", data, 0x206)
    setup_sects = data[0x1F1] or 4
    h = {
        "version": version,
        "setup_sects": setup_sects,
        "pm_offset": (setup_sects + 1) * 512,
        "payload_offset": None,
        "payload_length": None,
    }
    if version >= 0x208:
        h["payload_offset"], h["payload_length"] = \
            struct.unpack_from("<II", data, 0x248)
    return h


def payload(data):
    """(format, compressed bytes) of a bzImage's kernel."""
    h = setup_header(data)
    if h["payload_offset"] is not None and h["payload_length"]:
        start = h["pm_offset"] + h["payload_offset"]
        blob = data[start:start + h["payload_length"]]
        for fmt, magic in MAGICS.items():
            if blob.startswith(magic):
                return fmt, blob
        raise FormatError(f"payload at {start:#x} starts with "
                          f"{blob[:6].hex()}: no known compression")
    # No payload fields: take the earliest magic after the setup code.
    found = [(data.find(m, h["pm_offset"]), f) for f, m in MAGICS.items()]
    found = sorted((pos, f) for pos, f in found if pos >= 0)
    if not found:
        raise FormatError("no compressed payload found")
    pos, fmt = found[0]
    return fmt, data[pos:]


def decompress(fmt, blob):
    """The kernel ELF from a payload; checks the appended size when the
    payload has one."""
    trailer = None
    if fmt == "xz":
        d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
        out = d.decompress(blob)
        if not d.eof:
            raise FormatError("xz payload is truncated")
        trailer = d.unused_data
    elif fmt == "gzip":
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = d.decompress(blob) + d.flush()
        trailer = d.unused_data
    elif fmt == "zstd":
        # zstd refuses trailing bytes: drop the 4-byte size when present.
        body = blob[:-4] if len(blob) > 4 else blob
        proc = subprocess.run(["zstd", "-q", "-d", "-c"], input=body,
                              stdout=subprocess.PIPE, check=False)
        if proc.returncode != 0:
            proc = subprocess.run(["zstd", "-q", "-d", "-c"], input=blob,
                                  stdout=subprocess.PIPE, check=True)
        out = proc.stdout
        trailer = blob[-4:]
    else:
        raise FormatError(f"unknown format {fmt}")
    if trailer is not None and len(trailer) == 4:
        size, = struct.unpack("<I", trailer)
        if size != len(out):
            raise FormatError(f"decompressed {len(out)} bytes, the image "
                              f"says {size}")
    if out[:4] != b"\x7fELF":
        raise FormatError("decompressed kernel is not an ELF")
    return out


def elf_notes(data):
    """[(owner, type, desc bytes)] from every PT_NOTE of an ELF64 LE."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise FormatError("not a 64-bit little-endian ELF")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    notes = []
    for i in range(phnum):
        p_type, _f, p_offset, _v, _p, p_filesz = struct.unpack_from(
            "<IIQQQQ", data, phoff + i * phentsize)
        if p_type != 4:  # PT_NOTE
            continue
        pos, end = p_offset, p_offset + p_filesz
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
            pos += 12
            name = data[pos:pos + namesz].rstrip(b"\0").decode(
                "ascii", "replace")
            pos += (namesz + 3) & ~3
            desc = data[pos:pos + descsz]
            pos += (descsz + 3) & ~3
            notes.append((name, ntype, desc))
    return notes


def pvh_entry(data):
    """The PVH entry point (XEN_ELFNOTE_PHYS32_ENTRY), or None."""
    for name, ntype, desc in elf_notes(data):
        if name == "Xen" and ntype == XEN_ELFNOTE_PHYS32_ENTRY:
            return int.from_bytes(desc[:8], "little")  # 4 bytes in Linux
    return None


def extract(src, dst):
    data = open(src, "rb").read()
    fmt, blob = payload(data)
    out = decompress(fmt, blob)
    if pvh_entry(out) is None:
        raise FormatError("the kernel has no PVH entry note "
                          "(XEN_ELFNOTE_PHYS32_ENTRY); is CONFIG_PVH off?")
    tmp = f"{dst}.tmp"
    with open(tmp, "wb") as f:
        f.write(out)
    os.replace(tmp, dst)
    return fmt, len(blob), len(out)


def info(path):
    data = open(path, "rb").read()
    if data[:4] == b"\x7fELF":
        entry, = struct.unpack_from("<Q", data, 0x18)
        print(f"{path}: ELF64, entry {entry:#x}")
        pvh = pvh_entry(data)
        print(f"  PVH entry (XEN_ELFNOTE_PHYS32_ENTRY): "
              f"{'none' if pvh is None else hex(pvh)}")
        return
    h = setup_header(data)
    fmt, blob = payload(data)
    print(f"{path}: bzImage, boot protocol {h['version'] >> 8}."
          f"{h['version'] & 0xff:02d}, setup {h['setup_sects']} sectors, "
          f"{fmt} payload of {len(blob)} bytes")


def main(argv):
    if len(argv) == 4 and argv[1] == "extract":
        try:
            fmt, clen, ulen = extract(argv[2], argv[3])
        except (FormatError, OSError, lzma.LZMAError, zlib.error,
                subprocess.CalledProcessError) as e:
            print(f"bzimage.py: {argv[2]}: {e}", file=sys.stderr)
            return 1
        print(f"{argv[3]}: {ulen} bytes from a {clen}-byte {fmt} payload")
        return 0
    if len(argv) == 3 and argv[1] == "info":
        info(argv[2])
        return 0
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
