"""Debian's own kernel, unmodified, as a Vesta domain: the bzImage through
the 64-bit boot protocol, with the busybox initramfs that
guests/linux/build-image.sh builds into cache/linux/."""

import functools

import pytest

from conftest import REPO, QemuError

LINUX = REPO / "cache" / "linux"
INIT_RE = r"\[{name}\] vesta-guest: init started .*clocksource=(\S+)"


def linux_config(name, memory=256, vcpus=1, extra="", cmdline="console=ttyS0",
                 kernel="vmlinuz"):
    return (f'name = "{name}"\nmemory = {memory}\nvcpus = {vcpus}\n'
            f'kernel = "linux/{kernel}"\nramdisk = "linux/initramfs.cpio"\n'
            f'extra = "{cmdline}"\n{extra}\n')


# An open bug (issue notes): rarely (about 1 run in 12 of the tests with two
# Linux domains), a Linux domain booting beside another triple-faults in its
# kernel's decompressor. Until it is found, such a test runs once more when
# that, and only that, happened; the first run's log keeps the crash.
EARLY_TRIPLE_FAULT_RE = r"domain \S+ \(id \d+\): crashed: triple fault"


def rerun_once_on_known_boot_crash(test):
    @functools.wraps(test)
    def run(vesta, linux_bundle):
        booted = []

        def boot(**kw):
            booted.append(vesta(**kw))
            return booted[-1]
        try:
            return test(boot, linux_bundle)
        except (QemuError, AssertionError):
            if not any(q.find_all(EARLY_TRIPLE_FAULT_RE) for q in booted):
                raise
            print("KNOWN BUG: a Linux domain triple-faulted while booting; "
                  "running the test once more")
        return test(vesta, linux_bundle)
    return run


@pytest.fixture
def linux_bundle(mkbundle):
    for f in ("vmlinuz", "initramfs.cpio"):
        if not (LINUX / f).exists():
            pytest.fail(f"cache/linux/{f} missing: run `make linux-image`")

    def make(with_vmlinux=False, **configs):
        files = {"linux/vmlinuz": (LINUX / "vmlinuz").read_bytes(),
                 "linux/initramfs.cpio": (LINUX / "initramfs.cpio").read_bytes()}
        if with_vmlinux:
            files["linux/vmlinux"] = (LINUX / "vmlinux").read_bytes()
        for name, text in configs.items():
            files[f"auto/{name}.cfg"] = text
        return mkbundle(files)[0]
    return make


@pytest.mark.parametrize("vcpus", [1, 2])
def test_linux_boots_to_its_shell_on_the_paravirtual_clock(vesta, linux_bundle,
                                                           vcpus):
    q = vesta(smp=2, mem="1G",
              initrd=linux_bundle(lx=linux_config("lx", vcpus=vcpus)))
    q.wait_ready()
    m = q.wait_for(INIT_RE.format(name="lx"), timeout=120)
    # kvm-clock is Linux's first clocksource and gives it the TSC rate (no
    # PIT calibration, which hangs here). With the invariant TSC shown, as
    # the issue asks, Linux 6.1 then moves to the TSC itself: kvmclock.c
    # lowers kvm-clock's rating to 299 when the TSC is invariant, below
    # the TSC's 300 (docs/architecture.md, "Time").
    assert m.group(1) == "tsc"
    assert q.find_all(r"\[lx\] .*clocksource: Switched to clocksource kvm-clock")
    assert q.find_all(r"\[lx\] .*tsc: Detected \d+\.\d+ MHz processor")
    assert not q.find_all(r"\[lx\] .*PIT")
    assert not q.find_all(r"\[lx\] .*Marking TSC unstable")
    assert q.find_all(rf"\[lx\] vesta-guest: init started .* cpus={vcpus} ")
    q.wait_for(r"\[lx\] vesta-guest: shell on ttyS0", timeout=60)
    # kvm-clock stays there to switch back to.
    q.send("console lx\r")
    q.wait_for(r"vesta-guest: shell on ttyS0")
    cs = "/sys/devices/system/clocksource/clocksource0/current_clocksource"
    q.send(f"echo kvm-clock > {cs}; sleep 1; sed s/^/now-/ {cs}\r")
    q.wait_for(r"now-kvm-clock", timeout=30)
    assert not q.find_all(r"Kernel panic|domain lx .*crashed")


def test_a_command_typed_at_the_domain_console_runs(vesta, linux_bundle):
    q = vesta(smp=2, mem="1G", initrd=linux_bundle(lx=linux_config("lx")))
    q.wait_ready()
    q.wait_for(r"\[lx\] vesta-guest: shell on ttyS0", timeout=120)
    q.send("console lx\r")
    q.wait_for(r"vesta-guest: shell on ttyS0")  # the ring, replayed
    q.send("echo vesta-$((6*7))\r")
    q.wait_for(r"vesta-42", timeout=60)
    q.send("\x1d")
    q.wait_for(r"back to the shell")


def test_poweroff_in_the_guest_ends_the_domain(vesta, linux_bundle):
    q = vesta(smp=2, mem="1G", initrd=linux_bundle(
        lx=linux_config("lx", cmdline='console=ttyS0 vesta.run=true')))
    q.wait_ready()
    q.wait_for(r"domain lx: powered off", timeout=120)
    q.wait_for(r"domain lx: destroyed")


def test_vmlinux_boots_through_its_pvh_entry(vesta, linux_bundle):
    q = vesta(smp=2, mem="1G", initrd=linux_bundle(
        with_vmlinux=True, pv=linux_config("pv", vcpus=2, kernel="vmlinux")))
    q.wait_for(r"domain pv: Linux by its PVH entry", before=r"vesta ready")
    q.wait_ready()
    q.wait_for(r"\[pv\] vesta-guest: init started .* cpus=2 ", timeout=120)


def test_four_vcpus_show_and_all_run(vesta, linux_bundle):
    # Field 39 of /proc/self/stat is the CPU the reading process runs on:
    # pinned to each CPU in turn, awk reports where it really ran.
    run = ("console=ttyS0 vesta.run=\\\"for c in 0 1 2 3; do echo ran-on-cpu"
           "$(taskset -c $c awk '{print $39}' /proc/self/stat); done\\\"")
    q = vesta(smp=2, mem="1G", initrd=linux_bundle(
        four=linux_config("four", vcpus=4, cmdline=run)))
    q.wait_ready()
    q.wait_for(r"\[four\] vesta-guest: init started .* cpus=4 ", timeout=120)
    assert q.find_all(r"\[four\] .*smp: Brought up 1 node, 4 CPUs")
    q.wait_for(r"\[four\] vesta-guest: run exit=0", timeout=60)
    ran = [int(m.group(1)) for m in q.find_all(r"\[four\] ran-on-cpu(\d+)")]
    assert ran == [0, 1, 2, 3]


@rerun_once_on_known_boot_crash
def test_three_linux_domains_all_reach_their_shell(vesta, linux_bundle):
    # As `make run` does: different sizes and vCPU counts, on two CPUs.
    q = vesta(smp=2, mem="1G", initrd=linux_bundle(
        alpha=linux_config("alpha", memory=160),
        beta=linux_config("beta", memory=256, vcpus=2),
        gamma=linux_config("gamma", memory=192)))
    q.wait_ready()
    for name in ("alpha", "beta", "gamma"):   # in whatever order they come
        if not q.find_all(rf"\[{name}\] vesta-guest: shell on ttyS0"):
            q.wait_for(rf"\[{name}\] vesta-guest: shell on ttyS0", timeout=180)
    q.send("list\r")
    for name, mib, vcpus in (("alpha", 160, 1), ("beta", 256, 2),
                             ("gamma", 192, 1)):
        q.wait_for(rf"{name}\s+\d+\s+{mib}\s+{vcpus}\s+\S+")
    assert not q.find_all(r"Kernel panic|crashed")


def test_a_kernel_that_does_not_fit_is_a_clear_error(vesta, linux_bundle):
    q = vesta(smp=1, mem="1G", initrd=linux_bundle(
        small=linux_config("small", memory=48)))
    q.wait_for(r"domain small: error: kernel 'linux/vmlinuz': .*needs \d+ MiB",
               before=r"vesta ready")
    q.wait_for(r"vesta ready: .* domains=0$")


def test_date_in_the_guest_is_right(vesta, linux_bundle):
    import datetime
    q = vesta(smp=1, mem="1G", initrd=linux_bundle(
        d=linux_config("d", cmdline="console=ttyS0 vesta.run=\\\"date -u +%s\\\"")))
    q.wait_ready()
    m = q.wait_for(r"\[d\] (\d{9,})\s*$", timeout=120)
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    assert abs(int(m.group(1)) - now) < 300, m.string


def test_reboot_in_the_guest_follows_on_reboot(vesta, linux_bundle):
    q = vesta(smp=2, mem="1G", initrd=linux_bundle(r=linux_config(
        "r", cmdline='console=ttyS0 vesta.run=\\"reboot -f\\"',
        extra='on_reboot = "restart"')))
    q.wait_ready()
    q.wait_for(r"domain r: rebooted", timeout=120)
    q.wait_for(r"domain r: created, id 2")
    q.wait_for(r"\[r\] vesta-guest: init started", timeout=120)


@rerun_once_on_known_boot_crash
def test_root_writing_every_io_port_and_msr_disturbs_no_one_else(vesta,
                                                                 linux_bundle):
    # dd through /dev/port: a zero byte to each of the 65536 ports, then a
    # read of each; then msr-sweep (guests/linux/msr_sweep.c) reads, writes
    # back and writes hostile values to 25344 MSRs. The attacker's
    # neighbour must boot and run undisturbed, and the host go on.
    attack = ('console=ttyS0 vesta.run=\\"dd if=/dev/zero of=/dev/port bs=1 '
              'count=65536; dd if=/dev/port of=/dev/null bs=1 count=65536; '
              'msr-sweep 0\\"')
    q = vesta(smp=2, mem="1G", initrd=linux_bundle(
        attacker=linux_config("attacker", cmdline=attack),
        victim=linux_config("victim")))
    q.wait_ready()
    m = q.wait_for(r"\[attacker\] msr-sweep: cpu 0: tried (\d+), readable "
                   r"(\d+), written back (\d+), hostile writes taken (\d+)",
                   timeout=240)
    tried, readable, written_back, _ = map(int, m.groups())
    assert tried == 25344 and 0 < written_back <= readable < tried
    q.wait_for(r"\[attacker\] vesta-guest: run exit=", timeout=60)
    if not q.find_all(r"\[victim\] vesta-guest: shell on ttyS0"):
        q.wait_for(r"\[victim\] vesta-guest: shell on ttyS0", timeout=60)
    q.send("list\r")
    q.wait_for(r"victim\s+\d+\s+256\s+1\s+\S+")
    assert not q.find_all(r"domain victim .*crashed|PANIC")


@rerun_once_on_known_boot_crash
def test_a_crash_in_the_guest_follows_on_crash(vesta, linux_bundle):
    # sysrq-c panics the guest kernel; its pvpanic driver (ACPI QEMU0001,
    # port 0x505) tells Vesta, which applies on_crash.
    q = vesta(smp=2, mem="1G", initrd=linux_bundle(
        c=linux_config("c", cmdline='console=ttyS0 vesta.run=\\"echo c > '
                       '/proc/sysrq-trigger\\"', extra='on_crash = "restart"'),
        other=linux_config("other")))
    q.wait_ready()
    q.wait_for(r"domain c \(id \d+\): crashed: its kernel panicked \(pvpanic\)",
               timeout=120)
    q.wait_for(r"domain c: created, id \d+")
    assert not q.find_all(r"domain other .*crashed")


@rerun_once_on_known_boot_crash
def test_oversubscribed_guests_see_stolen_time(vesta, linux_bundle):
    # Two Linux domains booting on one CPU wait for each other: that wait
    # is the KVM steal time Vesta reports, /proc/stat's eighth cpu field.
    q = vesta(smp=1, mem="1G", initrd=linux_bundle(
        s=linux_config("s", cmdline='console=ttyS0 vesta.run=\\"head -1 '
                       '/proc/stat\\"'),
        t=linux_config("t")))
    q.wait_ready()
    m = q.wait_for(r"\[s\] cpu\s+((?:\d+\s*){8,})", timeout=180)
    fields = [int(x) for x in m.group(1).split()]
    assert fields[7] > 0, f"no steal time in {m.string!r}"
