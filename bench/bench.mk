# Benchmarks print figures, never pass/fail.
#   boot_time.py: QEMU wall time to the ready line (-smp 1, 2, 4), against
#   the time to the first serial byte; image size.
#   domains.py: a guest's CPU loop against the bare monitor, idle exits,
#   CPU shares by weight and cap, domain creation time and overhead.
#   linux_vesta.py: Debian's kernel as a Vesta domain against QEMU booting
#   it directly: boot to init, the in-guest benchmark, idle exits.

bench: deps-run
	$(MAKE) all
	/usr/bin/python3 bench/boot_time.py
	/usr/bin/python3 bench/domains.py
	/usr/bin/python3 bench/linux_vesta.py
	/usr/bin/python3 bench/virtio.py
