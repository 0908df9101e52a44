"""tools/mkbundle: a reproducible cpio newc archive of a directory tree that
GNU cpio reads back unchanged."""

import os
import stat
import subprocess

import pytest

import newc
from conftest import MKBUNDLE, REPO

FILES = {
    "README": "hello\n",
    "auto/a.cfg": 'name = "a"\nmemory = 64\n',
    "auto/b.cfg": 'name = "b"\n',
    "kernels/blob.bin": bytes(range(256)) * 7 + b"\x00\x01\x02",  # 1795 B
    "kernels/empty": b"",
    "one": b"1",
    "two": b"22",
    "three": b"333",
    "four": b"4444",
    "z/deep/er/still/file.txt": "deep\n",
    "Upper": "sorted before lowercase\n",
    "a-b": "sorts before a/ in byte order\n",
}
EXPECTED_PATHS = sorted(
    set(FILES) | {os.path.dirname(p) for p in FILES if "/" in p}
    | {"z/deep", "z/deep/er", "z"})


@pytest.fixture(autouse=True)
def _need_mkbundle():
    if not MKBUNDLE.exists():
        pytest.fail(f"{MKBUNDLE.relative_to(REPO)} is missing: run "
                    "`make tools` first", pytrace=False)


def write_tree(root, files):
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content.encode() if isinstance(content, str)
                      else content)


def run_mkbundle(*args):
    return subprocess.run([str(MKBUNDLE), *map(str, args)],
                          capture_output=True, text=True)


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    write_tree(root, FILES)
    return root


@pytest.fixture
def archive(tmp_path, tree):
    out = tmp_path / "out.cpio"
    r = run_mkbundle("-o", out, tree)
    assert r.returncode == 0, r.stderr
    return out


def test_cpio_lists_every_entry_sorted(archive):
    r = subprocess.run(["cpio", "-it", "--quiet"], stdin=open(archive, "rb"),
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    listed = r.stdout.splitlines()
    assert listed == EXPECTED_PATHS
    assert not any(p.startswith(("./", "/")) for p in listed)


def test_cpio_extracts_identical_contents(tmp_path, archive):
    dest = tmp_path / "extracted"
    dest.mkdir()
    r = subprocess.run(["cpio", "-id", "--quiet", "--no-absolute-filenames"],
                       stdin=open(archive, "rb"), cwd=dest,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for rel, content in FILES.items():
        want = content.encode() if isinstance(content, str) else content
        assert (dest / rel).read_bytes() == want, rel


def test_headers_are_normalised(archive, tree):
    buf = archive.read_bytes()
    entries, end = newc.parse(buf)
    assert end == len(buf), "bytes after the trailer"
    assert [e.name for e in entries] == EXPECTED_PATHS
    inos = [e.fields["ino"] for e in entries]
    assert len(set(inos)) == len(inos)
    for e in entries:
        f = e.fields
        assert e.offset % 4 == 0 and e.data_offset % 4 == 0
        assert (f["mtime"], f["uid"], f["gid"]) == (0, 0, 0), e.name
        assert f["check"] == 0 and f["namesize"] == len(e.name) + 1
        if e.name in FILES:
            assert stat.S_ISREG(e.mode), e.name
            assert e.data == (tree / e.name).read_bytes()
        else:
            assert stat.S_ISDIR(e.mode) and f["filesize"] == 0, e.name


def test_output_is_reproducible(tmp_path, tree):
    out1, out2 = tmp_path / "1.cpio", tmp_path / "2.cpio"
    assert run_mkbundle("-o", out1, tree).returncode == 0
    # Other times, another permission set, the same tree copied elsewhere.
    for p in tree.rglob("*"):
        os.utime(p, (1_000_000, 1_000_000))
    (tree / "one").chmod(0o600)
    copy = tmp_path / "elsewhere" / "tree"
    write_tree(copy, FILES)
    assert run_mkbundle("-o", out2, copy).returncode == 0
    assert out1.read_bytes() == out2.read_bytes()


def test_executable_bit_kept(tmp_path, tree):
    (tree / "one").chmod(0o700)
    out = tmp_path / "x.cpio"
    assert run_mkbundle("-o", out, tree).returncode == 0
    modes = {e.name: e.mode for e in newc.parse(out.read_bytes())[0]}
    assert modes["one"] == 0o100755
    assert modes["two"] == 0o100644
    assert modes["auto"] == 0o040755


def test_symlink_is_stored_as_link(tmp_path, tree):
    (tree / "link").symlink_to("auto/a.cfg")
    out = tmp_path / "l.cpio"
    r = run_mkbundle("-o", out, tree)
    assert r.returncode == 0, r.stderr
    e = {e.name: e for e in newc.parse(out.read_bytes())[0]}["link"]
    assert stat.S_ISLNK(e.mode) and e.data == b"auto/a.cfg"
    r = subprocess.run(["cpio", "-itv", "--quiet"], stdin=open(out, "rb"),
                       capture_output=True, text=True)
    assert r.returncode == 0 and "link -> auto/a.cfg" in r.stdout


def test_output_inside_the_directory_is_left_out(tree):
    out = tree / "self.cpio"
    for _ in range(2):  # the second time, the first run's output exists
        r = run_mkbundle("-o", out, tree)
        assert r.returncode == 0, r.stderr
        names = [e.name for e in newc.parse(out.read_bytes())[0]]
        assert names == EXPECTED_PATHS


def test_empty_directory_gives_only_the_trailer(tmp_path):
    (tmp_path / "empty").mkdir()
    out = tmp_path / "e.cpio"
    assert run_mkbundle("-o", out, tmp_path / "empty").returncode == 0
    buf = out.read_bytes()
    assert newc.parse(buf) == ([], len(buf))
    r = subprocess.run(["cpio", "-it", "--quiet"], stdin=open(out, "rb"),
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == ""


def test_missing_directory_is_named(tmp_path):
    missing = tmp_path / "no-such-dir"
    out = tmp_path / "m.cpio"
    r = run_mkbundle("-o", out, missing)
    assert r.returncode != 0
    assert str(missing) in r.stderr
    assert not out.exists()


def test_special_file_is_refused_and_named(tmp_path, tree):
    fifo = tree / "auto" / "fifo"
    os.mkfifo(fifo)
    out = tmp_path / "f.cpio"
    r = run_mkbundle("-o", out, tree)
    assert r.returncode != 0 and str(fifo) in r.stderr
    assert not out.exists()


def test_unwritable_output_is_named(tmp_path, tree):
    out = tmp_path / "no-such-dir" / "o.cpio"
    r = run_mkbundle("-o", out, tree)
    assert r.returncode != 0
    assert str(out) in r.stderr


def test_write_failure_is_reported(tmp_path, tree):
    # A full disk: RLIMIT_FSIZE makes writes past 1 KiB fail (EFBIG).
    out = tmp_path / "big.cpio"
    r = subprocess.run(
        ["bash", "-c", 'trap "" XFSZ; ulimit -f 1; exec "$@"', "-",
         str(MKBUNDLE), "-o", str(out), str(tree)],
        capture_output=True, text=True)
    assert r.returncode != 0
    assert "write failed" in r.stderr and str(out) in r.stderr
    assert not out.exists()
    assert not list(tmp_path.glob("big.cpio*")), "temporary file left behind"


def test_usage_errors(tmp_path, tree):
    assert run_mkbundle(tree).returncode == 2
    assert run_mkbundle("-o", tmp_path / "x.cpio").returncode == 2
    assert run_mkbundle("-o", tmp_path / "x.cpio", tree, tree).returncode == 2


def test_not_a_directory(tmp_path, tree):
    r = run_mkbundle("-o", tmp_path / "x.cpio", tree / "one")
    assert r.returncode != 0 and "not a directory" in r.stderr
