/* Every hypercall with good and bad arguments (include/vesta/hypercall.h):
 * unknown numbers, guest buffers outside RAM, straddling its end or
 * wrapping around the address space, sizes over the limits, bad vCPU ids,
 * bad shutdown reasons, and the registers a hypercall must preserve.
 * "Outside RAM" comes from DOMAIN_INFO's memory size. */
#include "guest.h"

#define ABI_VERSION (VESTA_ABI_MAJOR << 16 | VESTA_ABI_MINOR)

static uint64_t ram;
static struct vesta_domain_info info;
static char big[2 * VESTA_CONSOLE_WRITE_MAX];
static uint8_t page[4096] __attribute__((aligned(4096)));
static uint8_t rogue_stack[4096] __attribute__((aligned(16)));
static volatile uint32_t vcpu1_ran;

/* hc_regs_probe(nr, in, out): RAX = nr and every other general register
 * but RSP from in[1..14] (order: rax rbx rcx rdx rsi rdi rbp r8..r15),
 * VMMCALL, then all of them into out[0..14]; returns RAX. */
long hc_regs_probe(uint64_t nr, const uint64_t *in, uint64_t *out);
__asm__(
	"	.text\n"
	"	.globl hc_regs_probe\n"
	"hc_regs_probe:\n"
	"	pushq %rbx\n"
	"	pushq %rbp\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	pushq %rdx\n"
	"	movq %rdi, %rax\n"
	"	movq 8(%rsi), %rbx\n"
	"	movq 16(%rsi), %rcx\n"
	"	movq 24(%rsi), %rdx\n"
	"	movq 40(%rsi), %rdi\n"
	"	movq 48(%rsi), %rbp\n"
	"	movq 56(%rsi), %r8\n"
	"	movq 64(%rsi), %r9\n"
	"	movq 72(%rsi), %r10\n"
	"	movq 80(%rsi), %r11\n"
	"	movq 88(%rsi), %r12\n"
	"	movq 96(%rsi), %r13\n"
	"	movq 104(%rsi), %r14\n"
	"	movq 112(%rsi), %r15\n"
	"	movq 32(%rsi), %rsi\n"
	"1:	vmmcall\n"
	"2:	pushq %rsi\n"
	"	movq 8(%rsp), %rsi\n"
	"	movq %rax, 0(%rsi)\n"
	"	movq %rbx, 8(%rsi)\n"
	"	movq %rcx, 16(%rsi)\n"
	"	movq %rdx, 24(%rsi)\n"
	"	movq %rdi, 40(%rsi)\n"
	"	movq %rbp, 48(%rsi)\n"
	"	movq %r8, 56(%rsi)\n"
	"	movq %r9, 64(%rsi)\n"
	"	movq %r10, 72(%rsi)\n"
	"	movq %r11, 80(%rsi)\n"
	"	movq %r12, 88(%rsi)\n"
	"	movq %r13, 96(%rsi)\n"
	"	movq %r14, 104(%rsi)\n"
	"	movq %r15, 112(%rsi)\n"
	"	popq %rax\n"
	"	movq %rax, 32(%rsi)\n"
	"	movq 0(%rsi), %rax\n"
	"	addq $8, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbp\n"
	"	popq %rbx\n"
	"	ret\n"
	ASM_EXTABLE(1b, 2b)
	/* Where a vCPU started with a bad id would land: UD2 makes it
	 * visible (an unexpected #UD, or a triple fault). */
	"	.globl rogue_vcpu_entry\n"
	"rogue_vcpu_entry:\n"
	"	ud2\n"
	"	jmp rogue_vcpu_entry\n");

extern const char rogue_vcpu_entry[];

static const char *const reg_names[15] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8",
	"r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static void test_registers(void)
{
	uint64_t in[15], out[15];
	unsigned bad = 0;

	for (unsigned i = 1; i < 15; i++)
		in[i] = 0x5665737461000000ull | i << 8 | i;	/* "Vesta" */
	long r = hc_regs_probe(VESTA_HC_VERSION, in, out);

	check(r == ABI_VERSION, "VERSION through the register probe = %#lx",
	      r);
	for (unsigned i = 1; i < 15; i++) {
		if (out[i] != in[i]) {
			fail("VMMCALL changed %s: %#lx -> %#lx", reg_names[i],
			     in[i], out[i]);
			bad++;
		}
	}
	if (bad == 0)
		pass("VMMCALL preserves every register but RAX");
}

static void test_unknown(void)
{
	static const uint64_t numbers[] = {
		VESTA_HC_BASE - 1, VESTA_HC_BASE + 0xffff, 0x12345678,
		/* RAX is 64 bits: must not alias VESTA_HC_VERSION */
		(1ull << 32) | VESTA_HC_VERSION, ~0ull,
	};

	for (unsigned i = 0; i < ARRAY_SIZE(numbers); i++) {
		long r = hypercall5(numbers[i], 1, 2, 3, 4, 5);

		check(r == -VESTA_ENOSYS, "hypercall %#lx -> %ld, want -ENOSYS",
		      numbers[i], r);
	}
}

static void test_console(void)
{
	static const char msg[] = "hypercalls: CONSOLE_WRITE of a good buffer\n";
	long r;

	r = hc_console_write((uint64_t)msg, sizeof(msg) - 1);
	check(r == (long)sizeof(msg) - 1, "CONSOLE_WRITE good buffer -> %ld",
	      r);
	r = hc_console_write((uint64_t)msg, 0);
	check(r == 0, "CONSOLE_WRITE len 0 -> %ld", r);

	r = hc_console_write(ram + 16 * MIB, 8);
	check(r == -VESTA_EFAULT, "CONSOLE_WRITE at RAM end + 16 MiB -> %ld, "
	      "want -EFAULT", r);
	r = hc_console_write(ram, 1);
	check(r == -VESTA_EFAULT, "CONSOLE_WRITE at RAM end -> %ld, want -EFAULT",
	      r);
	r = hc_console_write(ram - 8, 16);
	check(r == -VESTA_EFAULT, "CONSOLE_WRITE straddling RAM end -> %ld, "
	      "want -EFAULT", r);
	r = hc_console_write(~0ull - 7, 16);
	check(r == -VESTA_EFAULT, "CONSOLE_WRITE wrapping past 2^64 -> %ld, "
	      "want -EFAULT", r);
	r = hc_console_write(0x8000000000000000ull, 16);
	check(r == -VESTA_EFAULT, "CONSOLE_WRITE at 2^63 -> %ld, want -EFAULT",
	      r);

	/* A buffer that ends exactly at the end of RAM is good. */
	static const char tail[] = "hypercalls: CONSOLE_WRITE ending at RAM end\n";
	volatile char *end = phys_map(ram - 64);

	if (end != NULL) {
		char *dst = (char *)end + 64 - (sizeof(tail) - 1);

		memcpy(dst, tail, sizeof(tail) - 1);
		r = hc_console_write((uint64_t)dst, sizeof(tail) - 1);
		check(r == (long)sizeof(tail) - 1,
		      "CONSOLE_WRITE ending exactly at RAM end -> %ld", r);
	}

	r = hc_console_write((uint64_t)big, VESTA_CONSOLE_WRITE_MAX + 1);
	check(r == -VESTA_EINVAL, "CONSOLE_WRITE len max+1 -> %ld, want -EINVAL",
	      r);
	r = hc_console_write((uint64_t)big, ~0ull);
	check(r == -VESTA_EINVAL || r == -VESTA_EFAULT,
	      "CONSOLE_WRITE len 2^64-1 -> %ld, want -EINVAL or -EFAULT", r);

	/* Exactly the maximum: 32 lines of 128 bytes. */
	for (unsigned line = 0; line < 32; line++) {
		char *p = big + line * 128;

		memset(p, '.', 127);
		fmt_snprintf(p, 64, "hypercalls: max-size write, line %02u/32 ",
			     line + 1);
		p[strlen(p)] = '.';
		p[127] = '\n';
	}
	r = hc_console_write((uint64_t)big, VESTA_CONSOLE_WRITE_MAX);
	check(r == VESTA_CONSOLE_WRITE_MAX, "CONSOLE_WRITE len max -> %ld", r);
}

static void test_domain_info(void)
{
	struct vesta_domain_info *p = (void *)page;
	long r;

	memset(page, 0xa5, sizeof(page));
	r = hc_domain_info((uint64_t)page, sizeof(page));
	check(r == 0 && p->domid == info.domid,
	      "DOMAIN_INFO with a 4096-byte size -> %ld", r);
	r = hc_domain_info((uint64_t)page, sizeof(*p) - 1);
	check(r == -VESTA_EINVAL, "DOMAIN_INFO size %zu -> %ld, want -EINVAL",
	      sizeof(*p) - 1, r);
	r = hc_domain_info((uint64_t)page, 0);
	check(r == -VESTA_EINVAL, "DOMAIN_INFO size 0 -> %ld, want -EINVAL", r);
	r = hc_domain_info(ram + 16 * MIB, sizeof(*p));
	check(r == -VESTA_EFAULT, "DOMAIN_INFO at RAM end + 16 MiB -> %ld, "
	      "want -EFAULT", r);
	r = hc_domain_info(~0ull - 7, sizeof(*p));
	check(r == -VESTA_EFAULT, "DOMAIN_INFO wrapping past 2^64 -> %ld, "
	      "want -EFAULT", r);

	volatile uint8_t *end = phys_map(ram - 64);

	if (end == NULL)
		return;
	/* Straddling the end: nothing of it may be written. */
	for (unsigned i = 0; i < 64; i++)
		end[i] = 0x5a;
	r = hc_domain_info(ram - 8, sizeof(*p));
	bool untouched = true;

	for (unsigned i = 0; i < 64; i++)
		untouched = untouched && end[i] == 0x5a;
	check(r == -VESTA_EFAULT && untouched,
	      "DOMAIN_INFO straddling RAM end -> %ld, want -EFAULT, %s", r,
	      untouched ? "RAM untouched" : "RAM below the end written");

	r = hc_domain_info(ram - sizeof(*p), sizeof(*p));
	const struct vesta_domain_info *at_end =
		(const void *)(end + 64 - sizeof(*p));

	check(r == 0 && at_end->domid == info.domid &&
		      at_end->memory_bytes == ram,
	      "DOMAIN_INFO ending exactly at RAM end -> %ld", r);
}

static void vcpu1_main(void *arg)
{
	(void)arg;
	__atomic_store_n(&vcpu1_ran, 1, __ATOMIC_RELEASE);
}

static void test_vcpus(void)
{
	uint64_t rip = (uint64_t)rogue_vcpu_entry;
	uint64_t rsp = (uint64_t)(rogue_stack + sizeof(rogue_stack));
	const uint64_t bad_ids[] = {
		info.vcpu_count, info.vcpu_count + 1, 4096, ~0ull,
		/* must not be truncated to vCPU 0 */
		1ull << 32,
	};
	long r;

	for (unsigned i = 0; i < ARRAY_SIZE(bad_ids); i++) {
		r = hc_vcpu_up(bad_ids[i], rip, rsp, 0);
		check(r == -VESTA_EINVAL, "VCPU_UP(%#lx) of %u vCPUs -> %ld, "
		      "want -EINVAL", bad_ids[i], info.vcpu_count, r);
	}
	r = hc_vcpu_up(info.vcpu_id, rip, rsp, 0);
	check(r == -VESTA_EBUSY, "VCPU_UP(own id %u) -> %ld, want -EBUSY",
	      info.vcpu_id, r);

	for (unsigned i = 0; i < ARRAY_SIZE(bad_ids); i++) {
		r = hc_vcpu_wake(bad_ids[i]);
		check(r == -VESTA_EINVAL, "VCPU_WAKE(%#lx) -> %ld, want -EINVAL",
		      bad_ids[i], r);
	}
	r = hc_vcpu_wake(info.vcpu_id);
	check(r == 0, "VCPU_WAKE(own id, running) -> %ld", r);

	if (info.vcpu_count < 2) {
		skip("VCPU_UP of a started vCPU: the domain has one vCPU");
		return;
	}
	r = vcpu_start(1, vcpu1_main, NULL);
	check(r == 0, "VCPU_UP(1) -> %ld", r);
	uint64_t deadline = time_now() + 5 * NS_PER_S;

	while (r == 0 && !__atomic_load_n(&vcpu1_ran, __ATOMIC_ACQUIRE) &&
	       time_now() < deadline)
		block_until(time_now() + NS_PER_MS);
	check(vcpu1_ran, "vCPU 1 ran");
	r = hc_vcpu_up(1, rip, rsp, 0);
	check(r == -VESTA_EBUSY, "VCPU_UP(1) again -> %ld, want -EBUSY", r);
}

static void test_time(void)
{
	long first = hc_time_now(), prev = first, r;
	unsigned backwards = 0;

	check(first > 0, "TIME_NOW -> %ld (ns since the domain was created)",
	      first);
	for (unsigned i = 0; i < 1000; i++) {
		long t = hc_time_now();

		if (t < prev)
			backwards++;
		prev = t;
	}
	check(first > 0 && backwards == 0, "TIME_NOW is monotonic over 1000 calls "
	      "(%u went backwards, %ld ns in all)", backwards, prev - first);

	static const struct {
		const char *what;
		uint64_t delta;	/* subtracted from now */
	} past[] = {
		{"0", 0}, {"now - 1 ns", 1}, {"now - 1 s", NS_PER_S},
	};

	for (unsigned i = 0; i < ARRAY_SIZE(past); i++) {
		long t0 = hc_time_now();
		uint64_t deadline = 0;

		if (past[i].delta != 0 && (uint64_t)t0 > past[i].delta)
			deadline = (uint64_t)t0 - past[i].delta;
		r = hc_block_until(deadline);
		long t1 = hc_time_now();

		check(r == 0 && t1 - t0 < (long)(20 * NS_PER_MS),
		      "BLOCK_UNTIL(%s) -> %ld after %ld us", past[i].what, r,
		      (t1 - t0) / 1000);
	}

	r = hc_yield();
	check(r == 0, "YIELD -> %ld", r);
}

static void test_shutdown(void)
{
	static const uint64_t reasons[] = {3, 0xff, ~0ull};
	long r;

	for (unsigned i = 0; i < ARRAY_SIZE(reasons); i++) {
		r = hc_shutdown(reasons[i]);
		check(r == -VESTA_EINVAL, "SHUTDOWN(%#lx) -> %ld, want -EINVAL",
		      reasons[i], r);
	}
	printf("next: SHUTDOWN(1 << 32); a hypervisor that truncates the "
	       "reason to 32 bits powers the domain off here\n");
	r = hc_shutdown(1ull << 32);
	check(r == -VESTA_EINVAL, "SHUTDOWN(1 << 32) -> %ld, want -EINVAL", r);
}

void guest_main(const struct pvh_start_info *si)
{
	(void)si;
	check(hc_version() == ABI_VERSION, "VERSION -> %#lx", hc_version());
	check(domain_info(&info), "DOMAIN_INFO");
	ram = guest_ram_bytes();
	if (!check(ram >= 2 * MIB && ram % 4096 == 0,
		   "RAM size %#lx known and page-aligned", ram))
		return;
	printf("domain %u: %u vCPUs, RAM [0, %#lx)\n", info.domid,
	       info.vcpu_count, ram);

	test_registers();
	test_unknown();
	test_console();
	test_domain_info();
	test_vcpus();
	test_time();
	test_shutdown();
}
