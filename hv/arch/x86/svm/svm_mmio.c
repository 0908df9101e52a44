/* A nested page fault on a device region: fetch the faulting instruction
 * (the VMCB's bytes with decode assists, else through the guest's page
 * tables), decode it (lib/x86_decode.c), carry it out against the device
 * (lib/x86_emulate.c) and step past it. docs/mmio-decoding.md. */
#include "arch/x86/guest_policy.h"
#include "arch/x86/svm/svm.h"
#include "arch/x86/svm/svm_vcpu.h"
#include "arch/x86/svm/vmcb.h"
#include "core/domain.h"
#include "core/guest_memory.h"
#include "lib/x86_emulate.h"
#include "lib/x86_pagewalk.h"

#define SEG_ATTR_L (1u << 9)	/* CS.L, in the VMCB's attribute format */
#define SEG_ATTR_DB (1u << 10)	/* CS.D */
#define CPUID_ADDRESS_SIZES 0x80000008

struct mmio_access {
	struct vcpu *v;
	const struct mmio_region *region;
	uint64_t gpa;
};

static bool read_guest_phys(void *d, uint64_t gpa, void *buf, size_t len)
{
	return copy_from_guest(d, buf, gpa, len);
}

static enum x86_cpu_mode guest_mode(const struct vmcb *vmcb)
{
	if ((vmcb->save.efer & (1ull << 10)) && (vmcb->save.cs.attrib & SEG_ATTR_L))
		return X86_MODE_64;
	return (vmcb->save.cs.attrib & SEG_ATTR_DB) ? X86_MODE_32 : X86_MODE_16;
}

static size_t fetch_instruction(struct vcpu *v, enum x86_cpu_mode mode,
				uint8_t bytes[X86_MAX_INSN_LEN])
{
	const struct vmcb *vmcb = v->arch.vmcb;
	struct x86_paging paging = {
		.cr0 = vmcb->save.cr0, .cr3 = vmcb->save.cr3,
		.cr4 = vmcb->save.cr4, .efer = vmcb->save.efer,
		.maxphyaddr = cpuid_for_guest(v, CPUID_ADDRESS_SIZES, 0).eax & 0xff,
	};

	if (svm_features.decode_assists && vmcb->control.insn_len) {
		size_t n = vmcb->control.insn_len;
		for (size_t i = 0; i < n && i < X86_MAX_INSN_LEN; i++)
			bytes[i] = vmcb->control.insn_bytes[i];
		return n;
	}
	return x86_fetch_insn(&paging, mode, vmcb->save.cs.base, vmcb->save.rip,
			      bytes, read_guest_phys, v->domain, NULL);
}

static bool access_read(void *ctx, unsigned size, uint64_t *value)
{
	struct mmio_access *a = ctx;

	return a->region->read(a->region->opaque, a->v, a->gpa - a->region->base,
			       size, value);
}

static bool access_write(void *ctx, unsigned size, uint64_t value)
{
	struct mmio_access *a = ctx;

	return a->region->write(a->region->opaque, a->v, a->gpa - a->region->base,
				size, value);
}

/* The guest's sixteen general registers, in the encoding's order. */
static void gprs_load(const struct vcpu *v, uint64_t g[16])
{
	const struct guest_regs *r = &v->arch.regs;

	g[0] = v->arch.vmcb->save.rax; g[1] = r->rcx; g[2] = r->rdx; g[3] = r->rbx;
	g[4] = v->arch.vmcb->save.rsp; g[5] = r->rbp; g[6] = r->rsi; g[7] = r->rdi;
	g[8] = r->r8; g[9] = r->r9; g[10] = r->r10; g[11] = r->r11;
	g[12] = r->r12; g[13] = r->r13; g[14] = r->r14; g[15] = r->r15;
}

static void gprs_store(struct vcpu *v, const uint64_t g[16])
{
	struct guest_regs *r = &v->arch.regs;

	v->arch.vmcb->save.rax = g[0]; r->rcx = g[1]; r->rdx = g[2]; r->rbx = g[3];
	v->arch.vmcb->save.rsp = g[4]; r->rbp = g[5]; r->rsi = g[6]; r->rdi = g[7];
	r->r8 = g[8]; r->r9 = g[9]; r->r10 = g[10]; r->r11 = g[11];
	r->r12 = g[12]; r->r13 = g[13]; r->r14 = g[14]; r->r15 = g[15];
}

bool svm_emulate_mmio(struct vcpu *v, uint64_t gpa)
{
	struct vmcb *vmcb = v->arch.vmcb;
	const struct mmio_region *region = mmio_bus_find(&v->domain->mmio, gpa);
	uint8_t bytes[X86_MAX_INSN_LEN];
	struct x86_insn insn;
	uint64_t gprs[16];

	if (!region)
		return false;
	enum x86_cpu_mode mode = guest_mode(vmcb);
	size_t n = fetch_instruction(v, mode, bytes);
	enum x86_decode_status ds = x86_decode(bytes, n, mode, &insn);
	if (ds != X86_DECODE_OK) {
		domain_crash(v->domain, "%s access at %#lx by an instruction Vesta cannot emulate (decode status %d, rip %#lx)",
			     region->name, gpa, (int)ds, vmcb->save.rip);
		return true;
	}
	struct mmio_access access = {.v = v, .region = region, .gpa = gpa};
	static const struct x86_mmio_ops ops = {access_read, access_write};
	uint64_t rflags = vmcb->save.rflags;
	gprs_load(v, gprs);
	enum x86_emulate_status es =
		x86_mmio_emulate(&insn, gprs, &rflags, &ops, &access);
	if (es != X86_EMULATE_OK) {
		domain_crash(v->domain, "bad %u-byte %s access at %#lx (%s, rip %#lx)",
			     insn.size, region->name, gpa, x86_emulate_status_str(es),
			     vmcb->save.rip);
		return true;
	}
	gprs_store(v, gprs);
	vmcb->save.rflags = rflags;
	vmcb->save.rip += insn.len;
	vmcb->control.interrupt_shadow = 0;
	return true;
}
