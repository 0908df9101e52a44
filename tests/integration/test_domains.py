"""Domains on AMD-V: test guests (guests/tests/*.c) run from the bundle,
misbehave, and the host and the other domains go on."""

import re

import pytest

from conftest import ANY_READY_RE, BUILD

GUESTS = BUILD / "guests"
PASS_RE = r"\[{name}\] RESULT: passed=(\d+) failed=(\d+)"


def config(name, kernel, memory=16, vcpus=1, extra=""):
    return (f'name = "{name}"\nmemory = {memory}\nvcpus = {vcpus}\n'
            f'kernel = "guests/{kernel}.elf"\n{extra}\n')


@pytest.fixture
def guests(mkbundle):
    """guests(name=(kernel, {config keys})...) -> a bundle with every
    named domain under auto/ and the test guest ELFs it needs."""
    def make(**domains):
        files = {}
        for name, (kernel, keys) in domains.items():
            elf = GUESTS / f"{kernel}.elf"
            if not elf.exists():
                pytest.fail(f"{elf} missing: run `make guests`")
            files[f"guests/{kernel}.elf"] = elf.read_bytes()
            files[f"auto/{name}.cfg"] = config(name, kernel, **keys)
        return mkbundle(files)[0]
    return make


def wait_passed(q, name, timeout=None):
    m = q.wait_for(PASS_RE.format(name=name), timeout=timeout)
    assert int(m.group(2)) == 0, f"{name}: {m.string}"
    assert int(m.group(1)) > 0


def test_hello_guest_runs_and_powers_off(vesta, guests):
    q = vesta(smp=2, mem="1G", initrd=guests(hello=("hello", {})))
    q.wait_for(r"vesta ready: .* domains=1$")
    wait_passed(q, "hello")
    q.wait_for(r"domain hello: powered off")
    q.wait_for(r"domain hello: destroyed")


@pytest.mark.parametrize("kernel,keys", [
    ("hypercalls", {"vcpus": 2}),
    ("timer", {}),
    ("cpuid_msr", {}),
    ("io_ports", {}),
    ("smp", {"vcpus": 4}),
])
def test_guest_suite_passes(vesta, guests, kernel, keys):
    q = vesta(smp=2, mem="1G", initrd=guests(t=(kernel, keys)))
    q.wait_ready()
    wait_passed(q, "t")
    assert not q.find_all(r"crashed")


def test_access_outside_ram_crashes_only_that_domain(vesta, guests):
    q = vesta(smp=2, mem="1G", initrd=guests(
        bad=("memory_outside", {}), good=("progress", {})))
    q.wait_ready()
    m = q.wait_for(r"domain bad \(id \d+\): crashed: access to guest-physical "
                   r"(0x[0-9a-f]+) outside its RAM")
    assert int(m.group(1), 16) >= 16 << 20
    wait_passed(q, "good")
    assert not q.find_all(r"domain good .*crashed")


def test_triple_fault_crashes_the_domain(vesta, guests):
    q = vesta(smp=1, mem="512M", initrd=guests(tf=("triple_fault", {})))
    q.wait_ready()
    q.wait_for(r"domain tf \(id \d+\): crashed: triple fault")
    q.wait_for(r"domain tf: destroyed")
    assert not q.find_all(r"\[tf\] FAIL")


def test_on_crash_restart_builds_the_domain_again(vesta, guests):
    q = vesta(smp=1, mem="512M", initrd=guests(
        tf=("triple_fault", {"extra": 'on_crash = "restart"'})))
    q.wait_ready()
    q.wait_for(r"domain tf \(id 1\): crashed")
    q.wait_for(r"domain tf: created, id 2")
    q.wait_for(r"domain tf \(id 2\): crashed")


def test_spinning_guest_with_interrupts_off_cannot_starve_another(vesta,
                                                                  guests):
    # One CPU: the spinner never yields, never takes an interrupt.
    q = vesta(smp=1, mem="512M", initrd=guests(
        spin=("spin_irq_off", {}), prog=("progress", {})))
    q.wait_ready()
    q.wait_for(r"\[spin\] spinning with interrupts off")
    wait_passed(q, "prog", timeout=60)
    late = [int(m.group(1)) for m in
            q.find_all(r"\[prog\] progress \d+ .*?(\d+) us late")]
    assert late and max(late) < 50_000, late


def test_32_domains_on_2_cpus(vesta, guests):
    domains = {f"g{i}": ("hello", {"memory": 8}) for i in range(32)}
    q = vesta(smp=2, mem="1G", initrd=guests(**domains))
    q.wait_for(r"vesta ready: .* domains=32$", timeout=120)
    for i in range(32):
        q.wait_for(r"domain g\d+: destroyed", timeout=120)
    passed = q.find_all(r"\[g\d+\] RESULT: passed=\d+ failed=0")
    assert len(passed) == 32


def test_bad_config_names_file_line_and_key_and_others_start(vesta,
                                                             mkbundle):
    hello = (GUESTS / "hello.elf").read_bytes()
    bundle, _ = mkbundle({
        "guests/hello.elf": hello,
        "auto/bad.cfg": 'name = "bad"\nmemory = "lots"\nkernel = "x"\n',
        "auto/good.cfg": config("good", "hello"),
    })
    q = vesta(smp=1, mem="512M", initrd=bundle)
    q.wait_for(r'config: error: auto/bad\.cfg:2: memory: ', before=ANY_READY_RE)
    q.wait_for(r"vesta ready: .* domains=1$")
    wait_passed(q, "good")


def test_kernel_missing_from_bundle_is_reported(vesta, mkbundle):
    bundle, _ = mkbundle({"auto/x.cfg": config("x", "nonexistent")})
    q = vesta(smp=1, mem="512M", initrd=bundle)
    q.wait_for(r"domain x: error: kernel 'guests/nonexistent\.elf' is not in "
               r"the bundle", before=ANY_READY_RE)
    q.wait_for(r"vesta ready: .* domains=0$")


def test_without_nested_paging_no_domain_starts_and_shell_runs(vesta,
                                                               guests):
    q = vesta(smp=1, mem="512M", initrd=guests(hello=("hello", {})),
              extra=("-cpu", "qemu64"))
    q.wait_for(r"virt: error: cannot run guests: .*(AMD-V|nested paging)",
               before=ANY_READY_RE)
    q.wait_for(r"vesta ready: .* domains=0$")


def test_200_create_destroy_cycles_return_every_frame(vesta, guests):
    q = vesta(smp=2, mem="1G", cmdline="debug.churn=200",
              initrd=guests(c=("hello", {"vcpus": 2})))
    m = q.wait_for(r"debug: churn: (\d+) create/destroy cycles of .*: "
                   r"free frames before (\d+), after (\d+)", timeout=120)
    assert int(m.group(1)) == 200
    assert m.group(2) == m.group(3)


def burn_rate(q, name):
    """Iterations per ms of a `forever` cpu_burn guest over its reports."""
    reports = q.find_all(rf"\[{name}\] burn: (\d+) iterations at (\d+) ms")
    assert len(reports) >= 2, f"{name}: too few reports"
    (i0, t0), (i1, t1) = reports[0].groups(), reports[-1].groups()
    return (int(i1) - int(i0)) / (int(t1) - int(t0))


def test_weights_share_one_cpu_in_proportion(vesta, guests):
    pinned = {"extra": 'cpus = "1"\nextra = "forever"'}
    q = vesta(smp=2, mem="1G", initrd=guests(
        w256=("cpu_burn", {**pinned}),
        w512=("cpu_burn", {"extra": pinned["extra"] + "\ncpu_weight = 512"})))
    q.wait_ready()
    for _ in range(5):
        q.wait_for(r"\[w256\] burn: ")
    share = burn_rate(q, "w512") / (burn_rate(q, "w512") + burn_rate(q, "w256"))
    assert 0.55 <= share <= 0.80, f"weight 512 got {share:.1%} (ideal 66.7%)"


def test_cap_limits_a_domain_alone_on_its_cpu(vesta, guests):
    q = vesta(smp=2, mem="1G", initrd=guests(
        capped=("cpu_burn", {"extra": 'cpus = "1"\ncap = 50\nextra = "forever"'}),
        free=("cpu_burn", {"extra": 'cpus = "0"\nextra = "forever"'})))
    q.wait_ready()
    for _ in range(5):
        q.wait_for(r"\[capped\] burn: ")
    ratio = burn_rate(q, "capped") / burn_rate(q, "free")
    assert 0.25 <= ratio <= 0.65, f"cap=50 ran at {ratio:.0%} of a free spinner"


@pytest.mark.parametrize("mode", ["x2apic", "xapic"])
def test_virtual_lapic_ioapic_timer_and_ipis(vesta, guests, mode):
    # xapic: every APIC and I/O APIC access is an MMIO exit that the
    # monitor decodes (lib/x86_decode.c) and emulates.
    q = vesta(smp=2, mem="1G", initrd=guests(
        l=("lapic", {"vcpus": 2, "extra": f'extra = "{mode}"'})))
    q.wait_ready()
    wait_passed(q, "l")
    assert not q.find_all(r"\[l\] FAIL")


def test_kvmclock_backs_the_kvm_signature(vesta, guests):
    q = vesta(smp=1, mem="512M", initrd=guests(k=("kvmclock", {})))
    q.wait_ready()
    wait_passed(q, "k")


def test_platform_devices_and_reset_follow_on_reboot(vesta, guests):
    q = vesta(smp=1, mem="512M", initrd=guests(
        p=("platform", {"extra": 'on_reboot = "restart"'})))
    q.wait_ready()
    q.wait_for(r"\[p\] platform: this line came through COM1")
    wait_passed(q, "p")
    q.wait_for(r"domain p: rebooted")
    q.wait_for(r"domain p: created, id 2")


def test_acpi_sleep_control_powers_off(vesta, guests):
    q = vesta(smp=1, mem="512M", initrd=guests(
        p=("platform", {"extra": 'extra = "poweroff"'})))
    q.wait_ready()
    wait_passed(q, "p")
    q.wait_for(r"domain p: powered off")
    assert not q.find_all(r"\[p\] FAIL")
