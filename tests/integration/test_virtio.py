"""The virtio devices every Linux domain gets (docs/virtio.md): the
virtio-console (Linux's hvc0), the virtio-rng (/dev/hwrng), and a
virtio-net device (eth0, eth1, ...) per `vif` entry, each a port on the
virtual switch its bridge= names (docs/network.md).

Commands run in the guests through vesta.run= (guests/linux/init): init
runs it, prints `vesta-guest: run exit=N` and powers the domain off. In
the config's `extra` string the command is in double quotes, so the shell
code inside uses single quotes only (and the whole command stays under
the 511 characters of a config string). Two domains synchronise by
retrying: whoever needs the other up tries again until it answers; where
the test must act at a given point, the guest waits for a line typed at
its console (`read`: init's stdin is the kernel's console, ttyS0).

network-list (docs/shell.md, docs/network.md) gives each port's counters:
the tests check them against what the guests did."""

import re

from test_linux_domains import (  # noqa: F401 (linux_bundle: a fixture)
    linux_bundle, linux_config, rerun_once_on_known_boot_crash)

BOOT_TIMEOUT = 180      # two Linux domains booting on two emulated CPUs

NET_ROW_RE = (r"^(?P<bridge>\S+)\s+(?P<domain>\S+)\s+(?P<vif>\d+)\s+"
              r"(?P<mac>(?:[0-9a-f]{2}:){5}[0-9a-f]{2})\s+"
              r"(?P<tx_pkts>\d+)\s+(?P<tx_bytes>\d+)\s+(?P<rx_pkts>\d+)\s+"
              r"(?P<rx_bytes>\d+)\s+(?P<spoofed>\d+)\s+(?P<bad>\d+)\s+"
              r"(?P<nobuf>\d+)\s*$")
NET_HEADER_RE = r"^Bridge\s+Domain\s+Vif\s+MAC\s+TX pkts"


def run_cmdline(command):
    """The `extra` for a domain that runs `command` (no double quotes)."""
    assert '"' not in command and "\\" not in command, command
    assert len(command) < 480, f"{len(command)} characters: {command}"
    return f'console=ttyS0 vesta.run=\\"{command}\\"'


def vif(*specs):
    return "vif = [ " + ", ".join(f"'{s}'" for s in specs) + " ]"


def ip_up(addr, dev="eth0"):
    return f"ip addr add {addr}/24 dev {dev} && ip link set {dev} up"


def until_ping(addr):
    """Shell code: ping `addr` once a second until it answers."""
    return f"until ping -c1 -W1 {addr} >/dev/null; do sleep 1; done"


def ready(q, domains):
    """Waits for the ready line; every domain was created."""
    m = q.wait_for(r"vesta ready: .* domains=(\d+)")
    assert int(m.group(1)) == domains, q.find_all(r"config: error.*")


def wait_both(q, pattern_a, pattern_b, timeout=BOOT_TIMEOUT):
    """Waits for two lines that may come in either order."""
    for p in (pattern_a, pattern_b):
        if not q.find_all(p):
            q.wait_for(p, timeout=timeout)


def network_list(q, ports):
    """Runs network-list in the Vesta shell, which must list `ports`
    ports; their rows as dicts, keyed by (domain, vif)."""
    q.send("network-list\r")
    q.wait_for(NET_HEADER_RE)
    rows = {}
    for _ in range(ports):
        prev = q.match_index
        m = q.wait_for(NET_ROW_RE, timeout=10)
        assert q.match_index == prev + 1, \
            q.lines_between(prev, q.match_index + 1)
        row = m.groupdict()
        for k in ("vif", "tx_pkts", "tx_bytes", "rx_pkts", "rx_bytes",
                  "spoofed", "bad", "nobuf"):
            row[k] = int(row[k])
        rows[(row["domain"], row["vif"])] = row
    q.settle(0.5)
    more = q.lines_between(q.match_index + 1, q.match_index + 2)
    assert not (more and re.search(NET_ROW_RE, more[0])), more
    return rows


# ------------------------------------------------------------ virtio-console

def test_shell_on_hvc0_takes_typed_commands(vesta, linux_bundle):
    q = vesta(smp=2, mem="1G", initrd=linux_bundle(hv=linux_config(
        "hv", cmdline="console=ttyS0 vesta.console=hvc0")))
    ready(q, 1)
    q.wait_for(r"\[hv\] vesta-guest: shell on hvc0", timeout=120)
    q.send("console hv\r")
    q.wait_for(r"\[console of hv \(id \d+\); Ctrl-\] returns to the shell\]")
    # The shell input goes to both consoles, but only hvc0 has a shell:
    # the command runs once, and on hvc0.
    q.send("echo vesta-$((6*7)) on $(tty)\r")
    m = q.wait_for(r"vesta-42 on (\S+)", timeout=60)
    assert m.group(1) == "/dev/hvc0", m.string
    q.send("\x1d")
    q.wait_for(r"back to the shell")
    q.settle(1)
    assert len(q.find_all(r"vesta-42 on ")) == 1
    assert not q.find_all(r"vesta-guest: shell on ttyS0")
    q.send("list\r")
    q.wait_for(r"hv\s+\d+\s+256\s+1\s+\S+")


# ---------------------------------------------------------------- virtio-rng

def test_hwrng_gives_random_bytes(vesta, linux_bundle):
    run = ("sed s/^/rng-current-/ /sys/class/misc/hw_random/rng_current; "
           "head -c 64 /dev/hwrng | od -An -v -tx1 | sed s/^/rng-bytes/")
    q = vesta(smp=2, mem="1G", initrd=linux_bundle(
        rng=linux_config("rng", cmdline=run_cmdline(run))))
    ready(q, 1)
    m = q.wait_for(r"\[rng\] rng-current-(\S+)", timeout=120)
    assert m.group(1) == "virtio_rng.0"
    q.wait_for(r"\[rng\] vesta-guest: run exit=0", timeout=60)
    data = []
    for m in q.find_all(r"\[rng\] rng-bytes((?:\s+[0-9a-f]{2})+)\s*$"):
        data += [int(x, 16) for x in m.group(1).split()]
    assert len(data) == 64, data
    assert len(set(data)) > 1, data
    # 64 random bytes take at least 20 different values but for a chance
    # of about 1e-20.
    assert len(set(data)) >= 20, data


# ---------------------------------------------------------------- virtio-net

@rerun_once_on_known_boot_crash
def test_two_domains_on_one_bridge_ping_and_network_list_counts_it(
        vesta, linux_bundle):
    a_run = f"{ip_up('10.0.0.1')} && echo net-a-up && sleep 600"
    b_run = (f"{ip_up('10.0.0.2')} && {until_ping('10.0.0.1')}; "
             "ping -c 3 -W 2 10.0.0.1; echo net-b-done; sleep 600")
    q = vesta(smp=2, mem="1G", initrd=linux_bundle(
        a=linux_config("a", cmdline=run_cmdline(a_run),
                       extra=vif("mac=00:16:3e:00:00:01,bridge=xenbr0")),
        b=linux_config("b", cmdline=run_cmdline(b_run),
                       extra=vif("mac=00:16:3e:00:00:02,bridge=xenbr0"))))
    ready(q, 2)
    m = q.wait_for(r"\[b\] 3 packets transmitted, (\d+) packets received",
                   timeout=BOOT_TIMEOUT + 90)
    assert m.group(1) == "3", m.string
    q.wait_for(r"\[b\] net-b-done", timeout=30)
    assert q.find_all(r"\[a\] net-a-up")
    replies = q.find_all(r"\[b\] \d+ bytes from 10\.0\.0\.1: seq=\d+")
    assert len(replies) == 3

    rows = network_list(q, 2)
    assert sorted(rows) == [("a", 0), ("b", 0)], rows
    for name, mac in (("a", "00:16:3e:00:00:01"), ("b", "00:16:3e:00:00:02")):
        port = rows[(name, 0)]
        assert port["bridge"] == "xenbr0" and port["mac"] == mac, port
        # At least an ARP request or reply and four pings (one found the
        # other up, three counted) each way.
        assert port["tx_pkts"] >= 5 and port["rx_pkts"] >= 5, port
        assert port["tx_bytes"] >= 5 * 42 and port["rx_bytes"] >= 5 * 42, port
        assert port["spoofed"] == port["bad"] == 0, port
    # Every frame one sent went to the other: into its receive queue, or
    # dropped there for want of a buffer (IPv6 chatter sent before the
    # other's driver was up).
    for src, dst in (("a", "b"), ("b", "a")):
        s, d = rows[(src, 0)], rows[(dst, 0)]
        assert s["tx_pkts"] == d["rx_pkts"] + d["nobuf"], rows


@rerun_once_on_known_boot_crash
def test_a_port_on_another_bridge_reaches_no_one(vesta, linux_bundle):
    # b has a port on each switch: through xenbr0 it reaches a; with that
    # link down and the same subnet on its port on bridge "other", it
    # does not, and nothing it sends there arrives anywhere.
    b_run = (f"{ip_up('10.0.0.2')} && {until_ping('10.0.0.1')}; "
             "ping -c 2 -W 2 10.0.0.1; "
             "o=$(grep -l 00:16:3e:00:00:03 /sys/class/net/*/address "
             "| cut -d/ -f5); echo other-is-$o; "
             "ip link set eth0 down && "
             "ip addr add 10.0.0.3/24 dev $o && ip link set $o up && "
             "ping -c 3 -W 1 10.0.0.1; echo net-b-done; sleep 600")
    q = vesta(smp=2, mem="1G", initrd=linux_bundle(
        a=linux_config("a", cmdline=run_cmdline(
            f"{ip_up('10.0.0.1')} && sleep 600"),
            extra=vif("mac=00:16:3e:00:00:01,bridge=xenbr0")),
        b=linux_config("b", cmdline=run_cmdline(b_run), extra=vif(
            "mac=00:16:3e:00:00:02,bridge=xenbr0",
            "mac=00:16:3e:00:00:03,bridge=other"))))
    ready(q, 2)
    m = q.wait_for(r"\[b\] 2 packets transmitted, (\d+) packets received",
                   timeout=BOOT_TIMEOUT + 90)
    assert m.group(1) == "2", m.string
    m = q.wait_for(r"\[b\] other-is-(\S*)")
    assert m.group(1) not in ("", "eth0"), m.string
    m = q.wait_for(r"\[b\] 3 packets transmitted, (\d+) packets received",
                   timeout=60)
    assert m.group(1) == "0", m.string
    q.wait_for(r"\[b\] net-b-done", timeout=30)

    rows = network_list(q, 3)
    assert sorted(rows) == [("a", 0), ("b", 0), ("b", 1)], rows
    other = rows[("b", 1)]
    assert other["bridge"] == "other" and other["mac"] == "00:16:3e:00:00:03"
    assert rows[("b", 0)]["bridge"] == "xenbr0"
    # b asked for 10.0.0.1 on "other" (ARP requests, flooded to no one);
    # the switch took them and nobody answered.
    assert other["tx_pkts"] >= 2 and other["rx_pkts"] == 0, other
    assert other["spoofed"] == other["bad"] == other["nobuf"] == 0, other
    # a got only what b sent on xenbr0.
    a, b = rows[("a", 0)], rows[("b", 0)]
    assert a["rx_pkts"] + a["nobuf"] == b["tx_pkts"], rows


@rerun_once_on_known_boot_crash
def test_a_file_sent_over_tcp_arrives_whole(vesta, linux_bundle):
    size = 2 * 1024 * 1024
    recv_run = (f"{ip_up('10.0.0.1')} && echo tcp-listening && "
                "nc -l -p 5001 > /tmp/f; echo nc-exit=$?; "
                "md5sum /tmp/f | sed s/^/recv-md5-/; "
                "wc -c < /tmp/f | sed s/^/recv-size-/")
    send_run = (f"{ip_up('10.0.0.2')} && "
                f"head -c {size} /dev/urandom > /tmp/f && "
                "md5sum /tmp/f | sed s/^/send-md5-/ && "
                "i=0; until nc -w 2 10.0.0.1 5001 < /tmp/f; do "
                "i=$((i+1)); [ $i -ge 90 ] && exit 1; sleep 1; done; "
                "echo sent-after-$i-retries")
    q = vesta(smp=2, mem="1G", initrd=linux_bundle(
        recv=linux_config("recv", cmdline=run_cmdline(recv_run),
                          extra=vif("mac=00:16:3e:00:00:01")),
        send=linux_config("send", cmdline=run_cmdline(send_run),
                          extra=vif("mac=00:16:3e:00:00:02"))))
    ready(q, 2)
    wait_both(q, r"\[send\] send-md5-", r"\[recv\] tcp-listening")
    sent = q.find_all(r"\[send\] send-md5-([0-9a-f]{32}) ")
    assert len(sent) == 1
    got = q.wait_for(r"\[recv\] recv-md5-([0-9a-f]{32}) ", timeout=240)
    m = q.wait_for(r"\[recv\] recv-size-\s*(\d+)", timeout=30)
    assert int(m.group(1)) == size, m.string
    assert got.group(1) == sent[0].group(1)
    q.wait_for(r"\[recv\] vesta-guest: run exit=0", timeout=30)
    if not q.find_all(r"\[send\] vesta-guest: run exit="):
        q.wait_for(r"\[send\] vesta-guest: run exit=", timeout=60)
    assert q.find_all(r"\[send\] vesta-guest: run exit=0")
    assert q.find_all(r"\[recv\] nc-exit=0")


@rerun_once_on_known_boot_crash
def test_a_guest_cannot_send_with_another_mac(vesta, linux_bundle):
    # IPv4 only, so that nothing but ARP and the pings goes out. b reaches
    # a, then waits for a line on its console (the test takes the
    # counters meanwhile), then takes another MAC and tries again.
    ipv4_only = "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 && "
    b_run = (f"{ipv4_only}{ip_up('10.0.0.2')} && {until_ping('10.0.0.1')}; "
             "ping -c 2 -W 2 10.0.0.1; echo waiting-for-go; read go; "
             "ip link set eth0 down && "
             "ip link set eth0 address 00:16:3e:00:00:99 && "
             "ip link set eth0 up && sed s/^/mac-now-/ "
             "/sys/class/net/eth0/address && "
             "ping -c 3 -W 1 10.0.0.1; echo net-b-done; sleep 600")
    q = vesta(smp=2, mem="1G", initrd=linux_bundle(
        a=linux_config("a", cmdline=run_cmdline(
            f"{ipv4_only}{ip_up('10.0.0.1')} && sleep 600"),
            extra=vif("mac=00:16:3e:00:00:01,bridge=xenbr0")),
        b=linux_config("b", cmdline=run_cmdline(b_run),
                       extra=vif("mac=00:16:3e:00:00:02,bridge=xenbr0"))))
    ready(q, 2)
    # With its own MAC, b reaches a.
    m = q.wait_for(r"\[b\] 2 packets transmitted, (\d+) packets received",
                   timeout=BOOT_TIMEOUT + 90)
    assert m.group(1) == "2", m.string
    q.wait_for(r"\[b\] waiting-for-go", timeout=30)
    before = network_list(q, 2)
    assert before[("b", 0)]["spoofed"] == 0, before
    assert before[("b", 0)]["tx_pkts"] >= 3, before

    q.send("console b\r")
    q.wait_for(r"\[console of b \(id \d+\); Ctrl-\] returns")
    q.send("go\r")
    q.wait_for(r"mac-now-00:16:3e:00:00:99", timeout=30)
    q.send("\x1d")
    q.wait_for(r"back to the shell")
    m = q.wait_for(r"3 packets transmitted, (\d+) packets received",
                   timeout=60)
    assert m.group(1) == "0", m.string
    q.wait_for(r"net-b-done", timeout=30)

    after = network_list(q, 2)
    b, a = after[("b", 0)], after[("a", 0)]
    assert b["mac"] == "00:16:3e:00:00:02", b      # the port's, not the guest's
    # b's ARP requests as ...:99 were dropped and counted; nothing more
    # left its port, and a got nothing more.
    assert b["spoofed"] >= 2, b
    assert b["tx_pkts"] == before[("b", 0)]["tx_pkts"], (before, after)
    assert a["rx_pkts"] == before[("a", 0)]["rx_pkts"], (before, after)
