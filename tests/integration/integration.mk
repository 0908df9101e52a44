# Integration tests: boot build/vesta.elf (and build/vesta.iso) in QEMU and
# check the serial log; tools/mkbundle against GNU cpio. pytest, with
# Debian's python3 (no PyPI here). PYTEST_ARGS passes extra options, e.g.
#   make integration-test PYTEST_ARGS="-k panic"
#   make integration-test PYTEST_ARGS="-m 'not slow'"
# Each QEMU log is kept in build/test-logs/integration/.

INTEGRATION_PKGS := qemu-system-x86 python3-pytest cpio acpica-tools
PYTEST_ARGS ?=

integration-test: all $(ISO)
	cd tests/integration && /usr/bin/python3 -m pytest -q -ra $(PYTEST_ARGS)

# The Linux domain tests boot Debian's kernel from cache/linux/.
integration-test: linux-image
