/* msr-sweep: root in a Linux guest attacks the monitor through MSRs
 * (issue 4: "a root process in one guest that writes to every I/O port and
 * MSR it can cannot disturb another guest or the host").
 *
 *   msr-sweep [CPU]      (default CPU 0; needs the msr module)
 *
 * For every MSR in the ranges below it reads the MSR through
 * /dev/cpu/CPU/msr, writes the value back, then writes hostile values
 * (0, all ones, alternating bits, a huge address) and restores what it
 * read. A few MSRs are only read and written back: changing them even for
 * a moment would kill this guest's own kernel (its system-call entry, its
 * per-CPU base, its interrupt controller) before the restore, and the
 * point is that the sweep finishes. The KVM MSRs get addresses outside the
 * guest's RAM, which the monitor must refuse or ignore without touching
 * anyone else's memory. Prints one summary line:
 *   msr-sweep: cpu 0: tried N, readable R, written back W, hostile writes
 *   taken H
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct msr_range {
	uint32_t first, last;
};

/* Architectural and AMD ranges, the hypervisor ranges (0x40000000 for
 * Hyper-V-style ids, 0x4b564d00 for KVM's), and AMD's SVM/northbridge
 * space. */
static const struct msr_range ranges[] = {
	{0x00000000, 0x00001fff},
	{0x40000000, 0x400001ff},
	{0x4b564d00, 0x4b564dff},
	{0xc0000000, 0xc0001fff},
	{0xc0010000, 0xc0011fff},
};

/* Never given a hostile value: the guest's own kernel depends on them
 * between the write and the restore. */
static int keeps_guest_alive(uint32_t msr)
{
	switch (msr) {
	case 0x10:		/* TSC: the clocksource would jump */
	case 0x1b:		/* APIC base */
	case 0x174: case 0x175: case 0x176:	/* SYSENTER */
	case 0x277:		/* PAT */
	case 0x6e0:		/* TSC deadline: the tick */
	case 0xc0000080:	/* EFER */
	case 0xc0000081: case 0xc0000082: case 0xc0000083: case 0xc0000084:
	case 0xc0000100: case 0xc0000101: case 0xc0000102:	/* FS/GS */
	case 0xc0000103:	/* TSC_AUX: the vDSO's CPU number */
		return 1;
	}
	/* x2APIC registers: an ICR write of all ones would INIT this
	 * guest's own CPUs. */
	return msr >= 0x800 && msr <= 0x8ff;
}

/* KVM's MSRs hold guest addresses: give them ones outside RAM. */
static int is_kvm_msr(uint32_t msr)
{
	return msr >= 0x4b564d00 && msr <= 0x4b564dff;
}

static const uint64_t hostile[] = {
	0, ~0ull, 0x5555555555555555ull, 0xaaaaaaaaaaaaaaaaull,
	0x000fffffffff0001ull,
};
static const uint64_t hostile_kvm[] = {
	0x000fffffffff0001ull, 0xfffff001ull, 0x7ffffffffffff001ull,
	0xfee00001ull,
};

static int msr_read(int fd, uint32_t msr, uint64_t *v)
{
	return pread(fd, v, 8, msr) == 8;
}

static int msr_write(int fd, uint32_t msr, uint64_t v)
{
	return pwrite(fd, &v, 8, msr) == 8;
}

int main(int argc, char **argv)
{
	int cpu = argc > 1 ? atoi(argv[1]) : 0;
	char path[64];
	unsigned long tried = 0, readable = 0, written_back = 0, taken = 0;

	snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
	int fd = open(path, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "msr-sweep: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		for (uint64_t msr = ranges[r].first; msr <= ranges[r].last; msr++) {
			uint64_t was = 0;
			int ok = msr_read(fd, (uint32_t)msr, &was);

			tried++;
			readable += ok;
			if (ok && msr_write(fd, (uint32_t)msr, was))
				written_back++;
			if (keeps_guest_alive((uint32_t)msr))
				continue;
			const uint64_t *vals = is_kvm_msr((uint32_t)msr) ? hostile_kvm : hostile;
			size_t n = is_kvm_msr((uint32_t)msr)
				? sizeof(hostile_kvm) / sizeof(hostile_kvm[0])
				: sizeof(hostile) / sizeof(hostile[0]);
			for (size_t i = 0; i < n; i++)
				taken += msr_write(fd, (uint32_t)msr, vals[i]);
			if (ok)
				msr_write(fd, (uint32_t)msr, was);
		}
	}
	printf("msr-sweep: cpu %d: tried %lu, readable %lu, written back %lu, "
	       "hostile writes taken %lu\n", cpu, tried, readable, written_back,
	       taken);
	close(fd);
	return 0;
}
