"""A guest's ACPI tables (lib/acpi_build.c) read by Debian's ACPICA tools
(package acpica-tools), the same ACPICA that Linux runs.

A small host program built from lib/acpi_build.c and lib/aml.c writes the
tables of a sample platform (4 vCPUs, COM1, two virtio-mmio devices) as the
hypervisor will place them at 0xe0000; this test follows the pointers from
the RSDP, saves each table as a .dat file, and then:

* `iasl -d` disassembles every table without a warning (iasl cannot read a
  bare RSDP, so the RSDP is checked here in Python);
* the DSDT shows the LNRO0005 devices with their Memory32Fixed and
  Interrupt, COM1 (PNP0501) and \\_S5, and its disassembly compiles again
  with `iasl` without errors, warnings or remarks;
* the FADT is hardware-reduced with the reset and sleep registers, the
  MADT has a Local APIC per vCPU (x2APIC past id 254) and the I/O APIC;
* `acpiexec` loads the tables, evaluates \\_S5 and a _CRS, and enters S5
  through the sleep control register (ACPICA's hardware-reduced path).

Needs no QEMU and no hypervisor build: only gcc and acpica-tools.
"""

import re
import shutil
import struct
import subprocess

import pytest

from conftest import REPO

BASE = 0xE0000
TOOLS = ("iasl", "acpiexec")

# The host program: the sample platform with N vCPUs, the whole region
# written to a file, one line with where it goes.
DUMPER_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/acpi_build.h"

int main(int argc, char **argv)
{
	static unsigned char buf[1 << 20];
	struct acpi_platform p;
	size_t used;
	uint64_t rsdp;
	enum acpi_build_status st;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: %s VCPUS OUT\n", argv[0]);
		return 2;
	}
	memset(&p, 0, sizeof(p));
	memcpy(p.oem_id, "VESTA", 5);
	p.vcpus = (unsigned)atoi(argv[1]);
	p.lapic_addr = 0xfee00000;
	p.ioapic.id = 4;
	p.ioapic.address = 0xfec00000;
	p.com1 = true;
	p.com1_gsi = 4;
	p.virtio_count = 2;
	p.virtio[0] = (struct acpi_virtio_mmio){0xd0000000, 0x200, 5};
	p.virtio[1] = (struct acpi_virtio_mmio){0xd0000200, 0x200, 6};
	p.reset_reg = (struct acpi_reg8){ACPI_GAS_SPACE_IO, 0x602};
	p.reset_value = 0x01;
	p.sleep_control = (struct acpi_reg8){ACPI_GAS_SPACE_IO, 0x600};
	p.sleep_status = (struct acpi_reg8){ACPI_GAS_SPACE_IO, 0x601};
	p.s5_sleep_type = 5;

	st = acpi_build(&p, BASE, buf, sizeof(buf), &used, &rsdp);
	if (st != ACPI_BUILD_OK) {
		fprintf(stderr, "acpi_build: %s\n", acpi_build_status_str(st));
		return 1;
	}
	f = fopen(argv[2], "wb");
	if (f == NULL || fwrite(buf, 1, used, f) != used || fclose(f) != 0) {
		perror(argv[2]);
		return 1;
	}
	printf("base=%#llx used=%zu rsdp=%#llx\n", (unsigned long long)BASE,
	       used, (unsigned long long)rsdp);
	return 0;
}
"""

# iasl and acpiexec report table problems on stderr or in the output
# ("Firmware Warning (ACPI): Incorrect checksum ...", "**** Invalid ...")
# and still exit 0, so their words are looked for.
TROUBLE_RE = re.compile(
    r"(?i)\b(error|warning|incorrect|invalid|unknown|exception|mismatch)"
    r"|\*\*\*\*")


def _no_trouble(text, what):
    bad = [line for line in text.splitlines() if TROUBLE_RE.search(line)]
    assert not bad, f"{what}:\n" + "\n".join(bad)


@pytest.fixture(scope="module")
def dumper(tmp_path_factory):
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: install the Debian "
                    "package acpica-tools (`make deps-test`)", pytrace=False)
    d = tmp_path_factory.mktemp("acpi-dumper")
    src = d / "dump_acpi.c"
    src.write_text(DUMPER_C)
    exe = d / "dump_acpi"
    subprocess.run(
        ["gcc", "-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-Werror",
         "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
         f"-DBASE={BASE:#x}", f"-I{REPO}", str(src), str(REPO / "lib" / "acpi_build.c"),
         str(REPO / "lib" / "aml.c"), "-o", str(exe)],
        check=True)
    return exe


class Tables:
    """The region the dumper wrote, followed from the RSDP like an OS:
    every pointer must land inside it, on a table whose checksum holds."""

    def __init__(self, region, base, rsdp_gpa, out_dir):
        self.region = region
        self.base = base
        self.dir = out_dir
        self.raw = {}           # signature -> bytes of the table
        self.dsl = {}           # signature -> iasl's disassembly
        self.stderr = {}

        rsdp = self._at(rsdp_gpa, 36)
        self.rsdp = rsdp
        xsdt = self._table(struct.unpack_from("<Q", rsdp, 24)[0], "XSDT")
        for i in range((len(xsdt) - 36) // 8):
            addr = struct.unpack_from("<Q", xsdt, 36 + 8 * i)[0]
            sig = self._at(addr, 4).decode()
            self._table(addr, sig)
        fadt = self.raw["FACP"]
        self._table(struct.unpack_from("<Q", fadt, 140)[0], "DSDT")

    def _at(self, gpa, length):
        off = gpa - self.base
        assert 0 <= off and off + length <= len(self.region), \
            f"{gpa:#x}+{length} is outside the tables"
        return self.region[off:off + length]

    def _table(self, gpa, sig):
        assert (gpa - self.base) % 16 == 0
        head = self._at(gpa, 36)
        assert head[:4] == sig.encode()
        length = struct.unpack_from("<I", head, 4)[0]
        table = self._at(gpa, length)
        assert sum(table) % 256 == 0, f"{sig} checksum"
        assert sig not in self.raw, f"{sig} twice"
        self.raw[sig] = table
        return table

    def disassemble(self):
        for sig, table in self.raw.items():
            dat = self.dir / f"{sig.lower()}.dat"
            dat.write_bytes(table)
            r = subprocess.run(["iasl", "-d", dat.name], cwd=self.dir,
                               capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stdout + r.stderr
            assert "Binary file appears to be a valid ACPI table" in r.stderr
            self.stderr[sig] = r.stderr
            self.dsl[sig] = dat.with_suffix(".dsl").read_text()


def build_tables(dumper, out_dir, vcpus):
    region_file = out_dir / "region.bin"
    r = subprocess.run([str(dumper), str(vcpus), str(region_file)],
                       capture_output=True, text=True, check=True)
    m = re.fullmatch(r"base=(0x[0-9a-f]+) used=(\d+) rsdp=(0x[0-9a-f]+)\n",
                     r.stdout)
    assert m, r.stdout
    region = region_file.read_bytes()
    assert len(region) == int(m.group(2))
    t = Tables(region, int(m.group(1), 16), int(m.group(3), 16), out_dir)
    t.disassemble()
    return t


@pytest.fixture(scope="module")
def tables(dumper, tmp_path_factory):
    return build_tables(dumper, tmp_path_factory.mktemp("acpi-4"), 4)


# ------------------------------------------------------------------ tests

def test_rsdp_points_to_xsdt(tables):
    rsdp = tables.rsdp
    assert rsdp[:8] == b"RSD PTR "
    assert sum(rsdp[:20]) % 256 == 0, "ACPI 1.0 checksum"
    assert sum(rsdp) % 256 == 0, "extended checksum"
    assert rsdp[15] == 2, "revision"
    assert struct.unpack_from("<I", rsdp, 16)[0] == 0, "no RSDT"
    assert struct.unpack_from("<I", rsdp, 20)[0] == 36, "length"
    assert rsdp[9:15] == b"VESTA "
    assert sorted(tables.raw) == ["APIC", "DSDT", "FACP", "XSDT"]
    assert len(tables.region) < 1024


@pytest.mark.parametrize("sig", ["XSDT", "FACP", "APIC", "DSDT"])
def test_iasl_reads_table_cleanly(tables, sig):
    _no_trouble(tables.stderr[sig], f"iasl -d {sig}: stderr")
    _no_trouble(tables.dsl[sig], f"iasl -d {sig}: disassembly")


def test_xsdt_lists_fadt_and_madt(tables):
    addrs = re.findall(r"ACPI Table Address\s+\d+ : ([0-9A-F]{16})",
                       tables.dsl["XSDT"])
    assert len(addrs) == 2
    sigs = [tables.region[int(a, 16) - BASE:][:4] for a in addrs]
    assert sigs == [b"FACP", b"APIC"]


def test_dsdt_devices(tables):
    dsl = _flat(tables.dsl["DSDT"])
    assert 'DefinitionBlock ("", "DSDT", 2, "VESTA ", "VSTADSDT",' in dsl

    # \_S5 first, at the root: sleep type 5.
    assert "Name (\\_S5, Package (0x04) { 0x05, Zero, Zero, Zero })" in dsl

    # COM1: the PC's first 16550, IO 0x3f8-0x3ff, IRQ 4 edge/high.
    com1 = _device(dsl, "COM1")
    assert 'Name (_HID, EisaId ("PNP0501")' in com1
    assert "IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08, )" in com1
    assert _interrupts(com1) == [4]

    # The two virtio-mmio transports, in order, with window and GSI.
    for i, (base, gsi) in enumerate([(0xD0000000, 5), (0xD0000200, 6)]):
        dev = _device(dsl, f"V00{i}")
        assert 'Name (_HID, "LNRO0005")' in dev
        assert f"Name (_UID, {['Zero', 'One'][i]})" in dev
        assert (f"Memory32Fixed (ReadWrite, 0x{base:08X}, 0x00000200, )"
                in dev), dev
        assert _interrupts(dev) == [gsi]
    assert dsl.count('"LNRO0005"') == 2
    assert dsl.count("Device (") == 3


def _flat(dsl):
    """A disassembly without comments, on one line, single spaces."""
    dsl = re.sub(r"/\*.*?\*/", " ", dsl, flags=re.S)
    dsl = re.sub(r"//[^\n]*", " ", dsl)
    return re.sub(r"\s+", " ", dsl)


def _device(dsl, name):
    """The text of Device (name) { ... } in a disassembly."""
    start = dsl.index(f"Device ({name})")
    depth = 0
    for i in range(dsl.index("{", start), len(dsl)):
        depth += {"{": 1, "}": -1}.get(dsl[i], 0)
        if depth == 0:
            return dsl[start:i + 1]
    raise AssertionError(f"Device ({name}) is not closed")


def _interrupts(dev):
    """The numbers of every Interrupt descriptor, which must all be
    edge-triggered, active-high and exclusive consumers."""
    found = re.findall(r"Interrupt \(([^)]*)\) \{ (0x[0-9A-F]+), \}", dev)
    for flags, _ in found:
        assert flags == "ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, "
    return [int(n, 16) for _, n in found]


def test_dsdt_disassembly_compiles_again(tables):
    dsl = tables.dir / "dsdt.dsl"
    r = subprocess.run(["iasl", "-p", "recompiled", dsl.name],
                       cwd=tables.dir, capture_output=True, text=True,
                       timeout=60)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "Compilation successful. 0 Errors, 0 Warnings, 0 Remarks" in out


def _field(dsl, name):
    m = re.search(rf"\] +{re.escape(name)} : ([^\n]*)", dsl)
    assert m, f"no field {name!r}"
    return m.group(1).strip()


def _gas(dsl, name):
    """Space ID, bit width, bit offset, access width, address of a GAS."""
    i = dsl.index(f"{name} : [Generic Address Structure]")
    block = dsl[i:].split("\n")[1:6]
    return [line.split(" : ", 1)[1].strip() for line in block]


def test_fadt_hardware_reduced_with_registers(tables):
    dsl = tables.dsl["FACP"]
    assert _field(dsl, "Revision") == "06"
    assert _field(dsl, "FADT Minor Revision") == "05"
    assert _field(dsl, "Table Length") == "00000114"
    assert re.search(r"Hardware Reduced \(V5\) : 1", dsl)
    assert re.search(r"Reset Register Supported \(V2\) : 1", dsl)
    assert re.search(r"8042 Present on ports 60/64 \(V2\) : 0", dsl)
    assert re.search(r"CMOS RTC Not Present \(V5\) : 1", dsl)
    assert re.search(r"Legacy Devices Supported \(V2\) : 0", dsl)
    assert _gas(dsl, "Reset Register") == [
        "01 [SystemIO]", "08", "00", "01 [Byte Access:8]",
        "0000000000000602"]
    assert _field(dsl, "Value to cause reset") == "01"
    assert _gas(dsl, "Sleep Control Register")[0] == "01 [SystemIO]"
    assert _gas(dsl, "Sleep Control Register")[4] == "0000000000000600"
    assert _gas(dsl, "Sleep Status Register")[4] == "0000000000000601"
    # The DSDT through X_DSDT only; no FACS, SCI or PM blocks.
    assert _field(dsl, "DSDT Address") == "00000000"
    dsdt = re.findall(r"DSDT Address : ([0-9A-F]+)", dsl)[1]
    assert tables.region[int(dsdt, 16) - BASE:][:4] == b"DSDT"
    assert _field(dsl, "FACS Address") == "00000000"
    assert _field(dsl, "SCI Interrupt") == "0000"
    assert _field(dsl, "PM1A Event Block Address") == "00000000"


def _madt_entries(dsl):
    return re.findall(r"Subtable Type : ([0-9A-F]{2}) \[([^\]]+)\]", dsl)


def test_madt_four_cpus_and_ioapic(tables):
    dsl = tables.dsl["APIC"]
    assert _field(dsl, "Local Apic Address") == "FEE00000"
    assert re.search(r"PC-AT Compatibility : 0", dsl)
    types = [name for _, name in _madt_entries(dsl)]
    assert types == ["Processor Local APIC"] * 4 + ["I/O APIC"]
    ids = re.findall(r"Local Apic ID : ([0-9A-F]{2})", dsl)
    assert ids == ["00", "01", "02", "03"]
    assert re.findall(r"Processor Enabled : 1", dsl) == [
        "Processor Enabled : 1"] * 4
    assert _field(dsl, "I/O Apic ID") == "04"
    assert re.search(r"\] +Address : FEC00000", dsl)


def test_madt_300_cpus_uses_x2apic(dumper, tmp_path):
    t = build_tables(dumper, tmp_path, 300)
    dsl = t.dsl["APIC"]
    _no_trouble(t.stderr["APIC"], "iasl -d APIC (300 vCPUs)")
    types = [name for _, name in _madt_entries(dsl)]
    assert types == (["Processor Local APIC"] * 255 +
                     ["Processor Local x2APIC"] * 45 + ["I/O APIC"])
    x2ids = re.findall(r"Processor x2Apic ID : ([0-9A-F]{8})", dsl)
    assert [int(i, 16) for i in x2ids] == list(range(255, 300))


def test_acpiexec_loads_and_powers_off(tables):
    """ACPICA as an OS runs it: the namespace loads, \\_S5 and a _CRS
    evaluate, and S5 goes through the hardware-reduced sleep registers."""
    r = subprocess.run(
        ["acpiexec", "-b",
         r"evaluate \_S5; evaluate \_SB.V001._CRS; evaluate \_SB.COM1._HID;"
         " sleep 5",
         "dsdt.dat", "facp.dat", "apic.dat"],
        cwd=tables.dir, capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    # acpiexec frames its own sleep messages with ****.
    _no_trouble(out.replace("****", ""), "acpiexec")
    assert re.search(r"Namespace contains \d+ .*objects", out), out
    s5 = out[out.index(r"Evaluating \_S5"):]
    assert re.search(r"\[Package\] Contains 4 Elements:\s*"
                     r"\[Integer\] = 0+5\s", s5), s5
    # Memory32Fixed 0xd0000200/0x200 and Interrupt {6} as bytes.
    assert "86 09 00 01 00 02 00 D0 00 02 00 00 89 06 00 03" in out, out
    assert "[Integer] = 000000000105D041" in out    # EisaId PNP0501
    assert "Register values for sleep state S5: Sleep-A: 05" in out
    assert "HwExtendedSleep" in out, out
