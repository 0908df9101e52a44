#!/usr/bin/python3
"""Writes a directory as a cpio "newc" archive for an initramfs.

    mkcpio.py [--node PATH:c|b:MAJOR:MINOR]... DIR OUT

Every entry belongs to root (uid and gid 0) and has mtime 0, in sorted
order, so the same tree gives the same bytes. --node adds a device node
that DIR cannot hold without root (the kernel opens /dev/console for
init before /init could mount devtmpfs). Regular files keep their
permission bits; symbolic links, directories and files are the only
kinds read from DIR. The archive is written to OUT.tmp, then renamed.
"""

import os
import stat
import sys


def header(ino, mode, nlink, size, name, rdev=(0, 0)):
    fields = (ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev[0], rdev[1],
              len(name) + 1, 0)
    return (b"070701" + b"".join(b"%08X" % f for f in fields)
            + name.encode() + b"\0")


def pad(n):
    return b"\0" * (-n % 4)


def entries(root, nodes):
    """(name, mode, data, rdev) in sorted order, parents before children."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = (stat.S_IFLNK | 0o777,
                            os.readlink(path).encode(), (0, 0))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = (stat.S_IFDIR | 0o755, b"", (0, 0))
            elif stat.S_ISREG(st.st_mode):
                with open(path, "rb") as f:
                    out[rel] = (stat.S_IFREG | stat.S_IMODE(st.st_mode),
                                f.read(), (0, 0))
            else:
                raise SystemExit(f"mkcpio.py: {path}: not a file, "
                                 "directory or symbolic link")
    for spec in nodes:
        rel, kind, major, minor = spec.split(":")
        kind_bit = {"c": stat.S_IFCHR, "b": stat.S_IFBLK}[kind]
        parent = os.path.dirname(rel)
        while parent and parent not in out:
            out[parent] = (stat.S_IFDIR | 0o755, b"", (0, 0))
            parent = os.path.dirname(parent)
        out[rel] = (kind_bit | 0o600, b"", (int(major), int(minor)))
    for rel in sorted(out):  # "a" < "a/b": parents come first
        mode, data, rdev = out[rel]
        yield rel, mode, data, rdev


def write(root, out, nodes=()):
    tmp = out + ".tmp"
    count = 0
    with open(tmp, "wb") as f:
        ino = 1
        for rel, mode, data, rdev in entries(root, nodes):
            nlink = 2 if stat.S_ISDIR(mode) else 1
            h = header(ino, mode, nlink, len(data), rel, rdev)
            f.write(h + pad(len(h)) + data + pad(len(data)))
            ino += 1
            count += 1
        h = header(0, 0, 1, 0, "TRAILER!!!")
        f.write(h + pad(len(h)))
        # The kernel reads past the trailer in 512-byte blocks.
        f.write(b"\0" * (-f.tell() % 512))
    os.replace(tmp, out)
    return count


def main(argv):
    nodes, args = [], argv[1:]
    while args and args[0] == "--node":
        nodes.append(args[1])
        args = args[2:]
    if len(args) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    count = write(args[0], args[1], nodes)
    print(f"{args[1]}: {count} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
