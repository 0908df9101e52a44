#include "vdev/vlapic.h"
#include "lib/string.h"

/* Register offsets, Intel SDM vol. 3, table 11-1; x2APIC MSR = 0x800 +
 * offset / 16 (table 11-6). */
#define REG_ID 0x020
#define REG_VERSION 0x030
#define REG_TPR 0x080
#define REG_PPR 0x0a0
#define REG_EOI 0x0b0
#define REG_LDR 0x0d0
#define REG_DFR 0x0e0
#define REG_SVR 0x0f0
#define REG_ISR 0x100
#define REG_TMR 0x180
#define REG_IRR 0x200
#define REG_ESR 0x280
#define REG_ICR_LOW 0x300
#define REG_ICR_HIGH 0x310
#define REG_LVT_TIMER 0x320
#define REG_LVT_ERROR 0x370
#define REG_TIMER_INITIAL 0x380
#define REG_TIMER_CURRENT 0x390
#define REG_TIMER_DIVIDE 0x3e0
#define REG_SELF_IPI 0x3f0	/* x2APIC only */

#define LVT_TIMER 0
#define APIC_VERSION (0x14 | ((VLAPIC_LVT_COUNT - 1) << 16))
#define SVR_ENABLE (1u << 8)
#define LVT_MASK (1u << 16)
#define LVT_TIMER_MODE_SHIFT 17
#define LVT_TIMER_ONESHOT 0
#define LVT_TIMER_PERIODIC 1
#define LVT_TIMER_TSC_DEADLINE 2
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull
#define ICR_DELIVERY_SHIFT 8
#define ICR_DEST_LOGICAL (1u << 11)
#define ICR_SHORTHAND_SHIFT 18
/* The timer counts a 1 GHz bus clock divided by the divide register, as
 * KVM's does: a count of 1 is 1 ns at divide-by-1. */
#define TIMER_NS_PER_BUS_TICK 1

void vlapic_reset(struct vlapic *vl, uint32_t id, bool bsp)
{
	memset(vl, 0, sizeof(*vl));
	vl->id = id;
	vl->apic_base = VLAPIC_DEFAULT_BASE | APIC_BASE_ENABLE |
			(bsp ? APIC_BASE_BSP : 0);
	vl->svr = 0xff;
	vl->dfr = 0xffffffffu;
	for (unsigned i = 0; i < VLAPIC_LVT_COUNT; i++)
		vl->lvt[i] = LVT_MASK;
}

bool vlapic_x2apic_enabled(const struct vlapic *vl)
{
	return (vl->apic_base & (APIC_BASE_ENABLE | APIC_BASE_EXTD)) ==
	       (APIC_BASE_ENABLE | APIC_BASE_EXTD);
}

static bool vlapic_software_enabled(const struct vlapic *vl)
{
	return (vl->apic_base & APIC_BASE_ENABLE) && (vl->svr & SVR_ENABLE);
}

/* Highest set bit of a 256-bit map, or -1. */
static int highest_bit(const uint32_t map[8])
{
	for (int word = 7; word >= 0; word--)
		if (map[word])
			return word * 32 + 31 - __builtin_clz(map[word]);
	return -1;
}

static void bit_set(uint32_t map[8], uint8_t bit)
{
	map[bit / 32] |= 1u << (bit % 32);
}

static void bit_clear(uint32_t map[8], uint8_t bit)
{
	map[bit / 32] &= ~(1u << (bit % 32));
}

/* Processor priority, SDM 11.8.3.1: the higher of TPR and the in-service
 * priority class. */
static uint32_t vlapic_ppr(const struct vlapic *vl)
{
	int isr = highest_bit(vl->isr);
	uint32_t isr_class = isr < 0 ? 0 : (uint32_t)isr & 0xf0;

	return (vl->tpr & 0xf0) >= isr_class ? vl->tpr & 0xff : isr_class;
}

static uint64_t timer_divisor(const struct vlapic *vl)
{
	uint32_t v = (vl->timer_divide_config & 3) |
		     ((vl->timer_divide_config & 8) >> 1);

	return 1ull << ((v + 1) & 7);
}

static unsigned timer_mode(const struct vlapic *vl)
{
	return (vl->lvt[LVT_TIMER] >> LVT_TIMER_MODE_SHIFT) & 3;
}

/* The shortest period a periodic timer runs at, as KVM's
 * min_timer_period_us: faster, a guest would keep its CPU (and the
 * monitor delivering to it) doing nothing but take timer interrupts.
 * Linux never programs one this fast. The count the guest reads still
 * runs from its own initial count. */
#define TIMER_MIN_PERIODIC_NS 200000u

static uint64_t timer_period_ns(const struct vlapic *vl)
{
	uint64_t ns = (uint64_t)vl->timer_initial * timer_divisor(vl) *
		      TIMER_NS_PER_BUS_TICK;

	if (timer_mode(vl) == LVT_TIMER_PERIODIC && ns < TIMER_MIN_PERIODIC_NS)
		ns = TIMER_MIN_PERIODIC_NS;
	return ns;
}

static void timer_load(struct vlapic *vl, uint64_t now_ns)
{
	vl->timer_start_ns = now_ns;
	vl->timer_deadline_ns = vl->timer_initial ? now_ns + timer_period_ns(vl) : 0;
}

static uint32_t timer_current(const struct vlapic *vl, uint64_t now_ns)
{
	uint64_t deadline = vl->timer_deadline_ns;

	if (timer_mode(vl) == LVT_TIMER_TSC_DEADLINE || !deadline)
		return 0;
	if (now_ns >= deadline) {
		/* Periodic: the count reloaded, whether or not
		 * vlapic_timer_update has run yet. */
		if (timer_mode(vl) != LVT_TIMER_PERIODIC || !vl->timer_initial)
			return 0;
		uint64_t period = timer_period_ns(vl);
		deadline += ((now_ns - deadline) / period + 1) * period;
	}
	uint64_t count = (deadline - now_ns) /
			 (timer_divisor(vl) * TIMER_NS_PER_BUS_TICK);

	/* A stretched period (TIMER_MIN_PERIODIC_NS) still counts down from
	 * the initial count the guest wrote. */
	return count < vl->timer_initial ? (uint32_t)count : vl->timer_initial;
}

uint64_t vlapic_timer_update(struct vlapic *vl, uint64_t now_ns)
{
	spin_lock(&vl->lock);
	if (vl->timer_deadline_ns && now_ns >= vl->timer_deadline_ns) {
		uint32_t lvt = vl->lvt[LVT_TIMER];
		if (!(lvt & LVT_MASK) && vlapic_software_enabled(vl))
			bit_set(vl->irr, (uint8_t)lvt);
		if (timer_mode(vl) == LVT_TIMER_PERIODIC && vl->timer_initial) {
			uint64_t period = timer_period_ns(vl);
			/* Skip the periods missed while the vCPU was off. */
			uint64_t missed = (now_ns - vl->timer_deadline_ns) / period;
			vl->timer_deadline_ns += (missed + 1) * period;
		} else {
			vl->timer_deadline_ns = 0;
			/* SDM 11.5.4.1: firing clears IA32_TSC_DEADLINE. */
			if (timer_mode(vl) == LVT_TIMER_TSC_DEADLINE)
				vl->tsc_deadline = 0;
		}
	}
	uint64_t next = vl->timer_deadline_ns;
	spin_unlock(&vl->lock);
	return next;
}

void vlapic_set_tsc_deadline(struct vlapic *vl, uint64_t tsc, uint64_t deadline_ns)
{
	spin_lock(&vl->lock);
	vl->tsc_deadline = tsc;
	if (timer_mode(vl) == LVT_TIMER_TSC_DEADLINE)
		vl->timer_deadline_ns = tsc ? (deadline_ns ? deadline_ns : 1) : 0;
	spin_unlock(&vl->lock);
}

bool vlapic_raise(struct vlapic *vl, uint8_t vector)
{
	bool ok;

	spin_lock(&vl->lock);
	ok = vlapic_software_enabled(vl) && vector >= 16;
	if (ok)
		bit_set(vl->irr, vector);
	spin_unlock(&vl->lock);
	return ok;
}

int vlapic_pending(struct vlapic *vl)
{
	spin_lock(&vl->lock);
	int irr = highest_bit(vl->irr);
	if (irr >= 0 && ((uint32_t)irr & 0xf0) <= (vlapic_ppr(vl) & 0xf0))
		irr = -1;
	spin_unlock(&vl->lock);
	return irr;
}

void vlapic_accept(struct vlapic *vl, uint8_t vector)
{
	spin_lock(&vl->lock);
	bit_clear(vl->irr, vector);
	bit_set(vl->isr, vector);
	spin_unlock(&vl->lock);
}

static void vlapic_eoi(struct vlapic *vl)
{
	int isr = highest_bit(vl->isr);

	if (isr >= 0)
		bit_clear(vl->isr, (uint8_t)isr);
}

void vlapic_eoi_now(struct vlapic *vl)
{
	spin_lock(&vl->lock);
	vlapic_eoi(vl);
	spin_unlock(&vl->lock);
}

bool vlapic_any_requested(struct vlapic *vl)
{
	spin_lock(&vl->lock);
	bool any = highest_bit(vl->irr) >= 0;
	spin_unlock(&vl->lock);
	return any;
}

/* The ICR, SDM 11.6.1: turns a write into a request for core to deliver. */
static void icr_decode(uint32_t low, uint32_t dest, bool x2apic,
		       struct vlapic_ipi *ipi)
{
	static const enum vlapic_ipi_kind kinds[8] = {
		[0] = VLAPIC_IPI_FIXED, [1] = VLAPIC_IPI_FIXED, /* lowest priority */
		[4] = VLAPIC_IPI_NMI,	[5] = VLAPIC_IPI_INIT,
		[6] = VLAPIC_IPI_STARTUP,
	};
	static const enum vlapic_ipi_dest shorthands[4] = {
		VLAPIC_DEST_PHYSICAL, VLAPIC_DEST_SELF, VLAPIC_DEST_ALL,
		VLAPIC_DEST_ALL_BUT_SELF,
	};
	unsigned shorthand = (low >> ICR_SHORTHAND_SHIFT) & 3;

	ipi->kind = kinds[(low >> ICR_DELIVERY_SHIFT) & 7];
	ipi->vector = (uint8_t)low;
	ipi->dest = x2apic ? dest : dest >> 24;
	ipi->dest_mode = shorthands[shorthand];
	if (shorthand == 0 && (low & ICR_DEST_LOGICAL))
		ipi->dest_mode = VLAPIC_DEST_LOGICAL;
	/* An INIT level de-assert (level 0) is a no-op on modern CPUs. */
	if (ipi->kind == VLAPIC_IPI_INIT && !(low & (1u << 14)))
		ipi->kind = VLAPIC_IPI_NONE;
}

bool vlapic_ipi_targets(const struct vlapic *target, const struct vlapic *sender,
			const struct vlapic_ipi *ipi)
{
	switch (ipi->dest_mode) {
	case VLAPIC_DEST_SELF:
		return target == sender;
	case VLAPIC_DEST_ALL:
		return true;
	case VLAPIC_DEST_ALL_BUT_SELF:
		return target != sender;
	case VLAPIC_DEST_LOGICAL:
		if (vlapic_x2apic_enabled(target)) {
			/* x2APIC logical ids: cluster id << 16 | 1 << (id & 15);
			 * 0xffffffff is a broadcast (SDM 11.12.9). */
			return ipi->dest == 0xffffffffu ||
			       ((ipi->dest >> 16) == (target->id >> 4) &&
				(ipi->dest & (1u << (target->id & 15))));
		} else {
			/* xAPIC: the 8-bit MDA against the LDR, SDM 11.6.2.2. */
			uint32_t mda = ipi->dest & 0xff, ldr = target->ldr >> 24;

			if ((target->dfr >> 28) == 0xf)		/* flat */
				return (mda & ldr) != 0;
			return mda == 0xff ||			/* cluster */
			       ((mda >> 4) == (ldr >> 4) && (mda & ldr & 0xf));
		}
	case VLAPIC_DEST_PHYSICAL:
	default:
		return ipi->dest == target->id || ipi->dest == 0xffffffffu ||
		       (!vlapic_x2apic_enabled(sender) && ipi->dest == 0xff);
	}
}

static uint32_t read_map(const uint32_t map[8], uint32_t offset, uint32_t base)
{
	return map[(offset - base) / 16];
}

uint32_t vlapic_read_reg(struct vlapic *vl, uint32_t offset, uint64_t now_ns)
{
	uint32_t value = 0;

	spin_lock(&vl->lock);
	if (offset >= REG_ISR && offset < REG_ISR + 0x80)
		value = read_map(vl->isr, offset, REG_ISR);
	else if (offset >= REG_TMR && offset < REG_TMR + 0x80)
		value = read_map(vl->tmr, offset, REG_TMR);
	else if (offset >= REG_IRR && offset < REG_IRR + 0x80)
		value = read_map(vl->irr, offset, REG_IRR);
	else if (offset >= REG_LVT_TIMER && offset <= REG_LVT_ERROR)
		value = vl->lvt[(offset - REG_LVT_TIMER) / 16];
	else switch (offset) {
	case REG_ID:
		value = vlapic_x2apic_enabled(vl) ? vl->id : vl->id << 24;
		break;
	case REG_VERSION: value = APIC_VERSION; break;
	case REG_TPR: value = vl->tpr; break;
	case REG_PPR: value = vlapic_ppr(vl); break;
	case REG_LDR:
		value = vlapic_x2apic_enabled(vl)
				? ((vl->id >> 4) << 16) | (1u << (vl->id & 15))
				: vl->ldr;
		break;
	case REG_DFR: value = vl->dfr; break;
	case REG_SVR: value = vl->svr; break;
	case REG_ESR: value = vl->esr; break;
	case REG_ICR_LOW: value = vl->icr_low; break;
	case REG_ICR_HIGH: value = vl->icr_high; break;
	case REG_TIMER_INITIAL: value = vl->timer_initial; break;
	case REG_TIMER_CURRENT: value = timer_current(vl, now_ns); break;
	case REG_TIMER_DIVIDE: value = vl->timer_divide_config; break;
	}
	spin_unlock(&vl->lock);
	return value;
}

static void write_lvt(struct vlapic *vl, unsigned index, uint32_t value,
		      uint64_t now_ns)
{
	unsigned old_mode = timer_mode(vl);

	if (!(vl->svr & SVR_ENABLE))
		value |= LVT_MASK;	/* SDM 11.4.7.2: masked while disabled */
	vl->lvt[index] = value;
	if (index == LVT_TIMER && timer_mode(vl) != old_mode) {
		vl->timer_deadline_ns = 0;	/* a mode change disarms */
		(void)now_ns;
	}
}

void vlapic_write_reg(struct vlapic *vl, uint32_t offset, uint32_t value,
		      uint64_t now_ns, struct vlapic_ipi *ipi)
{
	ipi->kind = VLAPIC_IPI_NONE;
	spin_lock(&vl->lock);
	if (offset >= REG_LVT_TIMER && offset <= REG_LVT_ERROR) {
		write_lvt(vl, (offset - REG_LVT_TIMER) / 16, value, now_ns);
	} else switch (offset) {
	case REG_TPR: vl->tpr = value & 0xff; break;
	case REG_EOI: vlapic_eoi(vl); break;
	case REG_LDR: vl->ldr = value & 0xff000000u; break;
	case REG_DFR: vl->dfr = value | 0x0fffffffu; break;
	case REG_SVR:
		vl->svr = value & 0x3ff;
		if (!(value & SVR_ENABLE))
			for (unsigned i = 0; i < VLAPIC_LVT_COUNT; i++)
				vl->lvt[i] |= LVT_MASK;
		break;
	case REG_ESR: vl->esr = 0; break;
	case REG_ICR_HIGH: vl->icr_high = value; break;
	case REG_ICR_LOW:
		vl->icr_low = value & ~(1u << 12);	/* delivery status: idle */
		icr_decode(value, vl->icr_high, false, ipi);
		break;
	case REG_TIMER_INITIAL:
		if (timer_mode(vl) != LVT_TIMER_TSC_DEADLINE) {
			vl->timer_initial = value;
			timer_load(vl, now_ns);
		}
		break;
	case REG_TIMER_DIVIDE: vl->timer_divide_config = value & 0xb; break;
	case REG_SELF_IPI:
		if (vlapic_x2apic_enabled(vl) && (value & 0xff) >= 16)
			bit_set(vl->irr, (uint8_t)value);
		break;
	}
	spin_unlock(&vl->lock);
}

bool vlapic_apic_base_write(struct vlapic *vl, uint64_t value)
{
	uint64_t keep = vl->apic_base & APIC_BASE_BSP;

	/* The base address stays where the ACPI tables say; from x2APIC only
	 * a full disable leaves (SDM 11.12.5). */
	if ((value & APIC_BASE_ADDR_MASK) != VLAPIC_DEFAULT_BASE ||
	    (value & ~(APIC_BASE_ADDR_MASK | APIC_BASE_BSP | APIC_BASE_EXTD |
		       APIC_BASE_ENABLE)))
		return false;
	if ((value & APIC_BASE_EXTD) && !(value & APIC_BASE_ENABLE))
		return false;
	/* From disabled, only to xAPIC mode (SDM 11.12.5.1). */
	if (!(vl->apic_base & APIC_BASE_ENABLE) && (value & APIC_BASE_EXTD))
		return false;
	if (vlapic_x2apic_enabled(vl) && (value & APIC_BASE_ENABLE) &&
	    !(value & APIC_BASE_EXTD))
		return false;
	spin_lock(&vl->lock);
	vl->apic_base = (value & ~APIC_BASE_BSP) | keep;
	spin_unlock(&vl->lock);
	return true;
}

/* The registers of SDM table 11-6; other x2APIC MSRs are #GP. */
static bool x2apic_msr_exists(uint32_t offset)
{
	switch (offset) {
	case REG_ID: case REG_VERSION: case REG_TPR: case REG_PPR: case REG_EOI:
	case REG_LDR: case REG_SVR: case REG_ESR: case REG_ICR_LOW:
	case REG_TIMER_INITIAL: case REG_TIMER_CURRENT: case REG_TIMER_DIVIDE:
	case REG_SELF_IPI:
		return true;
	}
	return (offset >= REG_ISR && offset < REG_IRR + 0x80) ||
	       (offset >= REG_LVT_TIMER && offset <= REG_LVT_ERROR);
}

/* x2APIC registers that do not exist as MSRs or are write-only. */
static bool x2apic_msr_readable(uint32_t offset)
{
	return x2apic_msr_exists(offset) && offset != REG_EOI &&
	       offset != REG_SELF_IPI;
}

bool x2apic_msr_read(struct vlapic *vl, uint32_t msr, uint64_t now_ns,
		     uint64_t *value)
{
	uint32_t offset = (msr - VLAPIC_X2APIC_MSR_FIRST) << 4;

	if (!vlapic_x2apic_enabled(vl) || !x2apic_msr_readable(offset))
		return false;
	*value = vlapic_read_reg(vl, offset, now_ns);
	if (offset == REG_ICR_LOW)
		*value |= (uint64_t)vl->icr_high << 32;
	return true;
}

bool x2apic_msr_write(struct vlapic *vl, uint32_t msr, uint64_t value,
		      uint64_t now_ns, struct vlapic_ipi *ipi)
{
	uint32_t offset = (msr - VLAPIC_X2APIC_MSR_FIRST) << 4;

	ipi->kind = VLAPIC_IPI_NONE;
	if (!vlapic_x2apic_enabled(vl) || !x2apic_msr_exists(offset))
		return false;
	if (offset >= REG_ISR && offset < REG_IRR + 0x80)
		return false;	/* ISR, TMR, IRR: read-only */
	switch (offset) {
	case REG_ID: case REG_VERSION: case REG_PPR: case REG_LDR: case REG_DFR:
	case REG_ICR_HIGH: case REG_TIMER_CURRENT:
		return false;	/* read-only or absent in x2APIC mode */
	case REG_ICR_LOW:
		spin_lock(&vl->lock);
		vl->icr_low = (uint32_t)value & ~(1u << 12);
		vl->icr_high = (uint32_t)(value >> 32);
		spin_unlock(&vl->lock);
		icr_decode((uint32_t)value, (uint32_t)(value >> 32), true, ipi);
		return true;
	case REG_EOI:
		if (value)
			return false;	/* SDM 11.12.1.2: a non-zero EOI faults */
		break;
	}
	vlapic_write_reg(vl, offset, (uint32_t)value, now_ns, ipi);
	return true;
}
