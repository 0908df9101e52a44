#!/usr/bin/python3
"""Picks kernel modules and everything they need out of an unpacked Debian
kernel package, for an initramfs.

    kmods.py ROOT KVER DEST MODULE...

ROOT is where the linux-image .deb was unpacked (ROOT/lib/modules/KVER/).
The package ships no modules.dep (its postinst runs depmod), so the
dependencies come from each module's own .modinfo section: `depends=`
(hard dependencies, by module name) and `softdep=pre: ... post: ...`
(by module name or by alias, e.g. ext4's `crypto-crc32c`). Modules built
into the kernel (modules.builtin) are left out.

Into DEST/lib/modules/KVER/ it writes:
  - each module, decompressed if the package compressed it (.ko.xz,
    .ko.zst, .ko.gz: busybox's insmod wants a plain .ko), at its usual
    path under kernel/;
  - modules.dep for those modules (so busybox's modprobe works in the
    guest), and modules.builtin;
  - load.list: one module a line in load order (dependencies first),
    `NAME PATH` or `NAME PATH optional`. Optional modules are the extra
    providers of a soft dependency (crc32c-intel next to crc32c_generic):
    a guest whose CPU lacks their instructions refuses them, and that is
    no error.
It prints load.list on stdout.
"""

import lzma
import os
import struct
import subprocess
import sys
import zlib

SUFFIXES = (".ko.xz", ".ko.zst", ".ko.gz", ".ko")


def module_name(filename):
    for suf in SUFFIXES:
        if filename.endswith(suf):
            return filename[:-len(suf)].replace("-", "_")
    return None


def plain_relpath(relpath):
    for suf in SUFFIXES:
        if relpath.endswith(suf):
            return relpath[:-len(suf)] + ".ko"
    return relpath


def read_module(path):
    data = open(path, "rb").read()
    if path.endswith(".ko.xz"):
        return lzma.decompress(data)
    if path.endswith(".ko.gz"):
        return zlib.decompress(data, 16 + zlib.MAX_WBITS)
    if path.endswith(".ko.zst"):
        return subprocess.run(["zstd", "-q", "-d", "-c", path],
                              stdout=subprocess.PIPE, check=True).stdout
    return data


def modinfo(data):
    """{key: [values]} from the .modinfo section of a relocatable ELF64."""
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise ValueError("not an ELF64 module")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def section(i):
        name, _t, _f, _a, off, size = struct.unpack_from(
            "<IIQQQQ", data, shoff + i * shentsize)
        return name, off, size

    _, stroff, _ = section(shstrndx)
    info = {}
    for i in range(shnum):
        name, off, size = section(i)
        end = data.index(b"\0", stroff + name)
        if data[stroff + name:end] != b".modinfo":
            continue
        for entry in data[off:off + size].split(b"\0"):
            key, sep, value = entry.decode("utf-8", "replace").partition("=")
            if sep:
                info.setdefault(key, []).append(value)
    return info


def softdeps(info):
    """(pre, post) module names or aliases of the softdep= lines."""
    pre, post = [], []
    for line in info.get("softdep", []):
        target = None
        for word in line.split():
            if word == "pre:":
                target = pre
            elif word == "post:":
                target = post
            elif target is not None:
                target.append(word)
    return pre, post


class Tree:
    def __init__(self, root, kver):
        self.base = os.path.join(root, "lib", "modules", kver)
        if not os.path.isdir(self.base):
            raise SystemExit(f"kmods.py: no {self.base}")
        self.paths = {}  # name: path relative to self.base
        for dirpath, _dirs, files in os.walk(os.path.join(self.base,
                                                          "kernel")):
            for f in files:
                name = module_name(f)
                if name:
                    self.paths[name] = os.path.relpath(
                        os.path.join(dirpath, f), self.base)
        self.builtin = set()
        try:
            with open(os.path.join(self.base, "modules.builtin")) as f:
                for line in f:
                    name = module_name(os.path.basename(line.strip()))
                    if name:
                        self.builtin.add(name)
        except FileNotFoundError:
            pass
        self._info = {}
        self._aliases = None

    def info(self, name):
        if name not in self._info:
            self._info[name] = modinfo(read_module(
                os.path.join(self.base, self.paths[name])))
        return self._info[name]

    def providers(self, wanted):
        """Module names that are, or have the alias, `wanted`."""
        n = wanted.replace("-", "_")
        if n in self.paths or n in self.builtin:
            return [n]
        if self._aliases is None:  # read every module once, on demand
            self._aliases = {}
            for name in sorted(self.paths):
                for alias in self.info(name).get("alias", []):
                    self._aliases.setdefault(alias, []).append(name)
        return self._aliases.get(wanted, [])

    def resolve(self, wanted):
        """[(name, optional)] in load order."""
        order, state = [], {}

        def visit(name, optional, chain):
            if name in self.builtin:
                return
            if name not in self.paths:
                raise SystemExit(f"kmods.py: no module {name} (needed by "
                                 f"{' <- '.join(chain) or 'the list'})")
            if state.get(name) == "done":
                return
            if state.get(name) == "visiting":
                return  # a softdep cycle; depends= cycles cannot load
            state[name] = "visiting"
            info = self.info(name)
            pre, post = softdeps(info)
            for dep in ",".join(info.get("depends", [])).split(","):
                if dep:
                    visit(dep.replace("-", "_"), optional, chain + [name])
            for soft in pre:
                self.visit_soft(soft, visit, chain + [name])
            order.append((name, optional))
            state[name] = "done"
            for soft in post:
                self.visit_soft(soft, visit, chain + [name])

        for w in wanted:
            n = w.replace("-", "_")
            if n not in self.paths and n not in self.builtin:
                provs = self.providers(w)
                if not provs:
                    raise SystemExit(f"kmods.py: no module or alias {w}")
                n = provs[0]
            visit(n, False, [])
        # A module first pulled in as optional but also needed for real
        # keeps its first place; mark it required.
        required = {n for n, opt in order if not opt}
        return [(n, opt and n not in required) for n, opt in order]

    def visit_soft(self, soft, visit, chain):
        provs = self.providers(soft)
        if not provs:
            print(f"kmods.py: warning: soft dependency {soft} of "
                  f"{chain[-1]} not found", file=sys.stderr)
            return
        if any(p in self.builtin for p in provs):
            return
        # The generic provider (the one every CPU can load) first.
        provs = sorted(provs, key=lambda p: (not p.endswith("_generic"), p))
        visit(provs[0], False, chain)
        for p in provs[1:]:
            visit(p, True, chain)


def install(tree, order, dest, kver):
    out = os.path.join(dest, "lib", "modules", kver)
    os.makedirs(out, exist_ok=True)
    lines, dep_lines = [], []
    rel = {n: plain_relpath(tree.paths[n]) for n, _ in order}
    position = {n: i for i, (n, _) in enumerate(order)}
    for name, optional in order:
        path = os.path.join(out, rel[name])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(read_module(os.path.join(tree.base, tree.paths[name])))
        lines.append(f"{name} {rel[name]}" + (" optional" if optional
                                              else ""))
        # modules.dep lists every module a module needs, transitively,
        # the one loaded last first (as depmod writes it).
        needs, stack = set(), [name]
        while stack:
            for d in ",".join(tree.info(stack.pop()).get(
                    "depends", [])).split(","):
                d = d.replace("-", "_")
                if d and d in rel and d not in needs:
                    needs.add(d)
                    stack.append(d)
        deps = sorted(needs, key=lambda d: -position[d])
        dep_lines.append(f"{rel[name]}: " + " ".join(rel[d] for d in deps))
    with open(os.path.join(out, "modules.dep"), "w") as f:
        f.write("\n".join(dep_lines) + "\n")
    builtin = os.path.join(tree.base, "modules.builtin")
    if os.path.exists(builtin):
        with open(builtin) as src, \
                open(os.path.join(out, "modules.builtin"), "w") as dst:
            dst.write(src.read())
    with open(os.path.join(out, "load.list"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return lines


def main(argv):
    if len(argv) < 5:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    root, kver, dest, wanted = argv[1], argv[2], argv[3], argv[4:]
    tree = Tree(root, kver)
    order = tree.resolve(wanted)
    for line in install(tree, order, dest, kver):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
