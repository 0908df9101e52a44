/* The test-guest runtime: from entry.S to guest_main and back, checks and
 * their counts, domain facts, physical mappings, time, shutdown and
 * secondary vCPUs. */
#include "guest.h"

#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_PS 0x80ull
#define GIB (1ull << 30)
#define IDENTITY_MAPPED_END (4 * GIB)	/* entry.S maps 0..4 GiB */

/* The strong definition comes from the test (guest.h with GUEST_NAME). */
__attribute__((weak)) const char guest_name[] = "guest";

bool vesta_present;
const struct pvh_start_info *start_info;

#define CMDLINE_MAX 1024

/* A copy: tests may use all RAM outside the image, wherever the loader
 * put the original. */
static char cmdline[CMDLINE_MAX];
static uint32_t passed, failed;

extern uint64_t guest_pdpt[512], guest_pt0[512];
static uint64_t window_pd[512] __attribute__((aligned(4096)));
static unsigned window_slot;	/* PDPT index of the window, 0 = none */
static struct spinlock window_lock;

void guest_start(uint64_t start_info_addr);
void secondary_main(void *record);

static bool detect_vesta(void)
{
	uint32_t sig[3], max;

	cpuid(0x40000100, &max, &sig[0], &sig[1], &sig[2]);
	return memcmp(sig, "VestaVestaVe", 12) == 0;
}

static void map_page0(void)
{
	guest_pt0[0] = PTE_P | PTE_W;
	invlpg((void *)0);
}

void guest_start(uint64_t start_info_addr)
{
	trap_init();
	if (start_info_addr < 4096)
		map_page0();
	start_info = (const struct pvh_start_info *)start_info_addr;
	vesta_present = detect_vesta();

	bool info_ok = start_info_addr != 0 &&
		       start_info->magic == PVH_START_MAGIC;

	if (info_ok && start_info->cmdline_paddr != 0) {
		const volatile char *src = phys_map(start_info->cmdline_paddr);

		for (size_t i = 0; src != NULL && i < CMDLINE_MAX - 1 &&
				   src[i] != '\0'; i++)
			cmdline[i] = src[i];
	}
	printf("guest %s: start, cmdline \"%s\"%s\n", guest_name, cmdline,
	       vesta_present ? ""
			     : " (no Vesta signature in CPUID 0x40000100: "
			       "console on COM1, hypercalls fail)");
	if (!info_ok)
		fail("PVH start info at %p has magic %#x, want %#x",
		     (void *)start_info_addr,
		     start_info_addr ? start_info->magic : 0, PVH_START_MAGIC);
	guest_main(start_info);
	guest_finish();
}

const char *guest_cmdline(void)
{
	return cmdline;
}

/* ---------------------------------------------------------------- checks */

static void report(const char *tag, const char *fmt, va_list ap)
{
	char line[256];
	int n = fmt_snprintf(line, sizeof(line), "%s: ", tag);

	fmt_vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	printf("%s\n", line);
}

bool check(bool cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(cond ? "PASS" : "FAIL", fmt, ap);
	va_end(ap);
	__atomic_fetch_add(cond ? &passed : &failed, 1, __ATOMIC_RELAXED);
	return cond;
}

void pass(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("PASS", fmt, ap);
	va_end(ap);
	__atomic_fetch_add(&passed, 1, __ATOMIC_RELAXED);
}

void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("FAIL", fmt, ap);
	va_end(ap);
	count_failure();
}

void skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("SKIP", fmt, ap);
	va_end(ap);
}

void count_failure(void)
{
	__atomic_fetch_add(&failed, 1, __ATOMIC_RELAXED);
}

void print_result(void)
{
	printf("RESULT: passed=%u failed=%u\n",
	       __atomic_load_n(&passed, __ATOMIC_RELAXED),
	       __atomic_load_n(&failed, __ATOMIC_RELAXED));
}

void guest_finish(void)
{
	print_result();
	guest_shutdown(VESTA_SHUTDOWN_POWEROFF);
}

void guest_shutdown(unsigned reason)
{
	long r = hc_shutdown(reason);

	if (vesta_present) {
		printf("FAIL: VESTA_HC_SHUTDOWN(%u) returned %ld\n", reason, r);
	} else {
		/* Plain QEMU: isa-debug-exit if configured (exit status
		 * reason * 2 + 1), else ACPI S5 through PM1a_CNT at the
		 * addresses QEMU's firmware uses (q35/i440fx: 0x604; old
		 * i440fx: 0xb004). */
		outb(0xf4, (uint8_t)reason);
		outw(0x604, 0x2000);
		outw(0xb004, 0x2000);
	}
	for (;;)
		__asm__ volatile("cli\n\thlt" : : : "memory");
}

/* ------------------------------------------------------------ the domain */

bool domain_info(struct vesta_domain_info *info)
{
	memset(info, 0, sizeof(*info));
	return hc_domain_info((uint64_t)info, sizeof(*info)) == 0;
}

uint64_t guest_ram_bytes(void)
{
	static uint64_t cached;
	struct vesta_domain_info info;

	if (cached != 0)
		return cached;
	if (domain_info(&info) && info.memory_bytes != 0) {
		cached = info.memory_bytes;
		return cached;
	}
	if (start_info == NULL || start_info->magic != PVH_START_MAGIC ||
	    start_info->version < 1 || start_info->memmap_paddr == 0)
		return 0;

	const struct pvh_memmap_entry *map =
		(const void *)phys_map(start_info->memmap_paddr);
	uint64_t end = 0;

	for (uint32_t i = 0; map != NULL && i < start_info->memmap_entries; i++)
		if (map[i].type == 1 && map[i].addr + map[i].size > end)
			end = map[i].addr + map[i].size;
	cached = end;
	return end;
}

volatile void *phys_map(uint64_t pa)
{
	if (pa < 4096 && guest_pt0[0] == 0)
		map_page0();
	if (pa < IDENTITY_MAPPED_END)
		return (volatile void *)pa;

	unsigned slot = (unsigned)(pa / GIB);

	if (slot >= 512)
		return NULL;
	spin_lock(&window_lock);
	if (slot != window_slot) {
		if (window_slot != 0)
			guest_pdpt[window_slot] = 0;
		for (unsigned i = 0; i < 512; i++)
			window_pd[i] = ((uint64_t)slot * GIB +
					((uint64_t)i << 21)) |
				       PTE_P | PTE_W | PTE_PS;
		guest_pdpt[slot] = (uint64_t)window_pd | PTE_P | PTE_W;
		window_slot = slot;
		write_cr3(read_cr3());
	}
	spin_unlock(&window_lock);
	return (volatile void *)pa;
}

/* ------------------------------------------------------------------ time */

uint64_t time_now(void)
{
	if (!vesta_present)
		return rdtsc();

	long r = hc_time_now();

	return r < 0 ? 0 : (uint64_t)r;
}

void block_until(uint64_t deadline_ns)
{
	if (vesta_present) {
		hc_block_until(deadline_ns);
		return;
	}
	while (time_now() < deadline_ns)
		cpu_relax();
}

void sleep_ns(uint64_t ns)
{
	uint64_t deadline = time_now() + ns;

	while (time_now() < deadline)
		block_until(deadline);
}

/* ------------------------------------------------------------------- SMP */

struct vcpu_start_record {
	void (*fn)(void *arg);
	void *arg;
	uint32_t id;
};

extern const char secondary_entry[];
static struct vcpu_start_record start_records[GUEST_MAX_VCPUS];
static uint8_t vcpu_stacks[GUEST_MAX_VCPUS][GUEST_VCPU_STACK_SIZE]
	__attribute__((aligned(16)));

long vcpu_start(uint32_t id, void (*fn)(void *arg), void *arg)
{
	if (id == 0 || id >= GUEST_MAX_VCPUS)
		return -VESTA_EINVAL;

	struct vcpu_start_record *rec = &start_records[id];

	rec->fn = fn;
	rec->arg = arg;
	rec->id = id;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return hc_vcpu_up(id, (uint64_t)secondary_entry,
			  (uint64_t)&vcpu_stacks[id][GUEST_VCPU_STACK_SIZE],
			  (uint64_t)rec);
}

/* Called by secondary_entry (entry.S) on the new vCPU's stack. */
void secondary_main(void *record)
{
	struct vcpu_start_record *rec = record;

	trap_load();
	rec->fn(rec->arg);
	for (;;)
		block_until(time_now() + 3600 * NS_PER_S);
}
