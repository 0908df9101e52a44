/* libFuzzer target: hv/vdev/vlapic.c, the virtual local APIC. The input is
 * a program: a header byte (one or two APICs, x2APIC mode, SVR enabled),
 * then up to MAX_OPS operations on either APIC, each an opcode byte and its
 * operands: x2APIC MSR reads and writes anywhere in 0x800-0x8ff, IA32_APIC_BASE
 * writes, xAPIC register reads and writes at any offset, raise, pending and
 * accept, EOI, timer updates with a clock that only goes forward, TSC-deadline
 * writes, and the IPIs the ICR asks for, delivered as core would. Missing
 * bytes read as 0. After every step the invariants below are checked on the
 * APIC it touched (on both after an IPI, and at the end); a violation traps.
 *
 * What is checked holds for vlapic.c as it is and as the SDM wants it, so a
 * fix of a known conformance bug (test_vlapic.c names them) does not trip
 * it: e.g. refusing more x2APIC MSRs or the disabled -> x2APIC transition. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vdev/vlapic.h"

#define CHECK(cond)                      \
	do {                             \
		if (!(cond))             \
			__builtin_trap(); \
	} while (0)

/* Bounded so that an input costs at most ~0.1 ms: `make fuzz-smoke` runs
 * 50000 of them, and the corpus only grows longer. */
#define MAX_OPS 64

#define R_ID 0x020
#define R_VERSION 0x030
#define R_TPR 0x080
#define R_PPR 0x0a0
#define R_EOI 0x0b0
#define R_LDR 0x0d0
#define R_DFR 0x0e0
#define R_SVR 0x0f0
#define R_ISR 0x100
#define R_IRR 0x200
#define R_ESR 0x280
#define R_ICR_LOW 0x300
#define R_ICR_HIGH 0x310
#define R_LVT_TIMER 0x320
#define R_TIMER_INITIAL 0x380
#define R_TIMER_CURRENT 0x390
#define R_TIMER_DIVIDE 0x3e0
#define R_SELF_IPI 0x3f0
#define MSR(offset) (VLAPIC_X2APIC_MSR_FIRST + (offset) / 16)

#define BASE_BSP (1ull << 8)
#define BASE_EXTD (1ull << 10)
#define BASE_EN (1ull << 11)
#define BASE_ADDR 0x000ffffffffff000ull
#define LVT_MASK (1u << 16)
#define SVR_ENABLE (1u << 8)
#define MODE_PERIODIC 1
#define MODE_TSC_DEADLINE 2
/* vlapic.c's TIMER_MIN_PERIODIC_NS: the floor under a periodic timer. */
#define MIN_PERIODIC_NS 200000u

/* Offsets the fuzzer picks by index, so that it reaches every register
 * without guessing 32-bit numbers. */
static const uint32_t offsets[] = {
	0x020, 0x030, 0x080, 0x090, 0x0a0, 0x0b0, 0x0c0, 0x0d0, 0x0e0, 0x0f0,
	0x100, 0x170, 0x180, 0x1f0, 0x200, 0x210, 0x270, 0x280, 0x2f0, 0x300,
	0x310, 0x320, 0x330, 0x340, 0x350, 0x360, 0x370, 0x380, 0x390, 0x3e0,
	0x3f0, 0x380, 0x320, 0x300, 0x0b0, 0x080,
};
#define NOFFSETS (sizeof(offsets) / sizeof(offsets[0]))

struct input {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct input *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++) {
		uint8_t b = 0;
		if (in->n) {
			b = *in->p++;
			in->n--;
		}
		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

/* What the harness knows of each APIC's timer, to check the deadline. */
struct shadow {
	uint32_t id;
	bool bsp;
	bool armed;		/* an initial-count write loaded the count */
	bool grid;		/* ... and the divide register is unchanged */
	uint64_t armed_at, period;
	uint32_t divide;
	struct vlapic_ipi ipi;	/* the last IPI this APIC asked for */
};

struct state {
	struct vlapic vl[2];
	struct shadow sh[2];
	unsigned count;
	uint64_t now;
};

static uint64_t divisor(uint32_t config)
{
	uint32_t v = (config & 3) | ((config & 8) >> 1);

	return 1ull << ((v + 1) & 7);
}

static unsigned timer_mode(const struct vlapic *vl)
{
	return (vl->lvt[0] >> 17) & 3;
}

/* What an initial count arms, on the 1 ns bus clock. */
static uint64_t timer_period(const struct vlapic *vl, uint32_t count,
			     uint32_t divide)
{
	uint64_t ns = count * divisor(divide);

	if (timer_mode(vl) == MODE_PERIODIC && ns < MIN_PERIODIC_NS)
		ns = MIN_PERIODIC_NS;
	return ns;
}

static int highest(const uint32_t map[8])
{
	for (int w = 7; w >= 0; w--)
		if (map[w])
			return w * 32 + 31 - __builtin_clz(map[w]);
	return -1;
}

static bool bit(const uint32_t map[8], unsigned v)
{
	return map[v / 32] & (1u << (v % 32));
}

static bool sw_enabled(const struct vlapic *vl)
{
	return (vl->apic_base & BASE_EN) && (vl->svr & SVR_ENABLE);
}

static void check_ipi(const struct state *s, unsigned who,
		      const struct vlapic_ipi *ipi, bool x2apic)
{
	CHECK(ipi->kind >= VLAPIC_IPI_NONE && ipi->kind <= VLAPIC_IPI_STARTUP);
	if (ipi->kind == VLAPIC_IPI_NONE)
		return;
	CHECK(ipi->dest_mode >= VLAPIC_DEST_PHYSICAL &&
	      ipi->dest_mode <= VLAPIC_DEST_ALL_BUT_SELF);
	if (!x2apic)
		CHECK(ipi->dest <= 0xff);
	/* Shorthands and broadcasts reach whom they say. */
	for (unsigned t = 0; t < s->count; t++) {
		bool hit = vlapic_ipi_targets(&s->vl[t], &s->vl[who], ipi);
		switch (ipi->dest_mode) {
		case VLAPIC_DEST_SELF: CHECK(hit == (t == who)); break;
		case VLAPIC_DEST_ALL: CHECK(hit); break;
		case VLAPIC_DEST_ALL_BUT_SELF: CHECK(hit == (t != who)); break;
		case VLAPIC_DEST_PHYSICAL:
			if (ipi->dest == s->vl[t].id || ipi->dest == 0xffffffffu)
				CHECK(hit);
			break;
		default:
			break;
		}
	}
}

static void check_apic(struct state *s, unsigned i)
{
	struct vlapic *vl = &s->vl[i];
	struct shadow *sh = &s->sh[i];
	uint64_t now = s->now;

	/* Every lock taken was released: no path returns holding it. */
	CHECK(vl->lock.next == vl->lock.serving);
	CHECK(vl->id == sh->id);

	/* IA32_APIC_BASE: never moved, no reserved bit, never EN=0 EXTD=1,
	 * BSP as at reset. */
	CHECK((vl->apic_base & BASE_ADDR) == VLAPIC_DEFAULT_BASE);
	CHECK((vl->apic_base & ~(BASE_ADDR | BASE_BSP | BASE_EXTD | BASE_EN)) == 0);
	CHECK(!(vl->apic_base & BASE_EXTD) || (vl->apic_base & BASE_EN));
	CHECK(!!(vl->apic_base & BASE_BSP) == sh->bsp);
	CHECK(vlapic_x2apic_enabled(vl) == !!(vl->apic_base & BASE_EXTD));

	/* Register widths. */
	CHECK(vl->tpr <= 0xff);
	CHECK(vl->svr <= 0x3ff);
	CHECK((vl->ldr & 0x00ffffffu) == 0);
	CHECK((vl->dfr & 0x0fffffffu) == 0x0fffffffu);
	CHECK((vl->timer_divide_config & ~0xbu) == 0);
	CHECK(vl->esr == 0);
	/* Software-disabled: every LVT masked (SDM 11.4.7.2). */
	if (!(vl->svr & SVR_ENABLE))
		for (unsigned l = 0; l < VLAPIC_LVT_COUNT; l++)
			CHECK(vl->lvt[l] & LVT_MASK);

	/* PPR, SDM 11.8.3.1. */
	int isr = highest(vl->isr);
	uint32_t isr_class = isr < 0 ? 0 : (uint32_t)isr & 0xf0;
	uint32_t ppr = (vl->tpr & 0xf0) >= isr_class ? vl->tpr : isr_class;
	CHECK(vlapic_read_reg(vl, R_PPR, now) == ppr);

	/* Pending: -1, or the highest IRR vector, 16-255, above the PPR. */
	int pending = vlapic_pending(vl);
	int irr = highest(vl->irr);
	if (pending < 0) {
		CHECK(pending == -1);
		CHECK(irr < 0 || ((uint32_t)irr & 0xf0) <= (ppr & 0xf0));
	} else {
		CHECK(pending >= 16 && pending <= 255);
		CHECK(pending == irr);
		CHECK(bit(vl->irr, (unsigned)pending));
		CHECK(((uint32_t)pending & 0xf0) > (ppr & 0xf0));
	}

	/* Id and logical id as each mode shows them. */
	uint64_t v;
	if (vlapic_x2apic_enabled(vl)) {
		CHECK(x2apic_msr_read(vl, MSR(R_ID), now, &v) && v == vl->id);
		CHECK(x2apic_msr_read(vl, MSR(R_LDR), now, &v));
		CHECK(v == (((vl->id >> 4) << 16) | (1u << (vl->id & 15))));
		CHECK(x2apic_msr_read(vl, MSR(R_PPR), now, &v) && v == ppr);
	} else {
		CHECK(!x2apic_msr_read(vl, MSR(R_ID), now, &v));
		CHECK(vlapic_read_reg(vl, R_ID, now) == vl->id << 24);
		CHECK(vlapic_read_reg(vl, R_LDR, now) == vl->ldr);
	}

	/* The timer. Outside TSC-deadline mode a deadline comes from an
	 * initial-count write: after it, on its period's grid. */
	uint32_t current = vlapic_read_reg(vl, R_TIMER_CURRENT, now);
	if (timer_mode(vl) == MODE_TSC_DEADLINE) {
		CHECK(current == 0);
	} else if (vl->timer_deadline_ns) {
		CHECK(sh->armed);
		CHECK(vl->timer_deadline_ns > sh->armed_at);
		if (sh->grid) {
			CHECK((vl->timer_deadline_ns - sh->armed_at) % sh->period == 0);
			CHECK(current <= vl->timer_initial);
		}
	} else {
		CHECK(current == 0);
	}
}

/* An x2APIC MSR write, with what must hold of its outcome. */
static void msr_write(struct state *s, unsigned i, uint32_t msr, uint64_t value)
{
	struct vlapic *vl = &s->vl[i];
	struct vlapic_ipi ipi;
	uint32_t offset = (msr - VLAPIC_X2APIC_MSR_FIRST) << 4;
	bool x2apic = vlapic_x2apic_enabled(vl);

	memset(&ipi, 0xa5, sizeof(ipi));
	bool ok = x2apic_msr_write(vl, msr, value, s->now, &ipi);
	if (!x2apic)
		CHECK(!ok);
	switch (offset) {
	case R_ID: case R_VERSION: case R_PPR: case R_LDR: case R_DFR:
	case R_ICR_HIGH: case R_TIMER_CURRENT:
		CHECK(!ok);
		break;
	case R_EOI:
		if (value)
			CHECK(!ok);
		break;
	}
	if (offset != R_ICR_LOW || !ok)
		CHECK(ipi.kind == VLAPIC_IPI_NONE);
	if (ok && offset == R_ICR_LOW) {
		CHECK(ipi.kind == VLAPIC_IPI_NONE || ipi.vector == (uint8_t)value);
		check_ipi(s, i, &ipi, true);
		s->sh[i].ipi = ipi;
	}
	if (ok && offset == R_TIMER_INITIAL && timer_mode(vl) != MODE_TSC_DEADLINE) {
		struct shadow *sh = &s->sh[i];
		sh->armed = (uint32_t)value != 0;
		sh->grid = true;
		sh->armed_at = s->now;
		sh->divide = vl->timer_divide_config;
		sh->period = timer_period(vl, (uint32_t)value, sh->divide);
		CHECK(vl->timer_deadline_ns == (sh->armed ? s->now + sh->period : 0));
	}
}

static void msr_read(struct state *s, unsigned i, uint32_t msr)
{
	struct vlapic *vl = &s->vl[i];
	uint32_t offset = (msr - VLAPIC_X2APIC_MSR_FIRST) << 4;
	uint64_t v = 0x1234;
	bool ok = x2apic_msr_read(vl, msr, s->now, &v);

	if (!vlapic_x2apic_enabled(vl))
		CHECK(!ok);
	if (offset == R_EOI || offset == R_SELF_IPI || offset == R_DFR ||
	    offset == R_ICR_HIGH)
		CHECK(!ok);
	if (!ok)
		CHECK(v == 0x1234);
	else if (offset != R_ICR_LOW)
		CHECK(v <= 0xffffffffu);
	if (ok && offset == R_VERSION)
		CHECK(v == 0x00050014);
}

static void reg_write(struct state *s, unsigned i, uint32_t offset, uint32_t value)
{
	struct vlapic *vl = &s->vl[i];
	struct vlapic_ipi ipi;

	memset(&ipi, 0xa5, sizeof(ipi));
	vlapic_write_reg(vl, offset, value, s->now, &ipi);
	if (offset != R_ICR_LOW) {
		CHECK(ipi.kind == VLAPIC_IPI_NONE);
	} else {
		CHECK(ipi.kind == VLAPIC_IPI_NONE || ipi.vector == (uint8_t)value);
		check_ipi(s, i, &ipi, false);
		s->sh[i].ipi = ipi;
	}
	if (offset == R_TIMER_INITIAL && timer_mode(vl) != MODE_TSC_DEADLINE) {
		struct shadow *sh = &s->sh[i];
		sh->armed = value != 0;
		sh->grid = true;
		sh->armed_at = s->now;
		sh->divide = vl->timer_divide_config;
		sh->period = timer_period(vl, value, sh->divide);
		CHECK(vl->timer_deadline_ns == (sh->armed ? s->now + sh->period : 0));
	}
}

static uint32_t pick_offset(struct input *in)
{
	uint8_t sel = (uint8_t)take(in, 1);

	if (sel & 0x80)
		return offsets[sel % NOFFSETS];
	if (sel & 0x40)
		return (uint32_t)(sel & 0x3f) << 4;	/* 16-byte aligned, 0-0x3f0 */
	return (uint32_t)take(in, 4);		/* anywhere */
}

static uint64_t pick_value(struct input *in)
{
	uint8_t sel = (uint8_t)take(in, 1);

	switch (sel & 3) {
	case 0: return take(in, 1);
	case 1: return take(in, 4);
	case 2: return take(in, 8);
	default: /* an LVT or ICR-like value: vector, mode, bits 8-19 */
		return take(in, 1) | (take(in, 2) & 0xfff) << 8 |
		       (uint64_t)take(in, 4) << 32;
	}
}

static void apic_base_write(struct state *s, unsigned i, struct input *in)
{
	struct vlapic *vl = &s->vl[i];
	uint8_t f = (uint8_t)take(in, 1);
	uint64_t value = VLAPIC_DEFAULT_BASE;
	uint64_t old = vl->apic_base;

	if (f & 1) value |= BASE_EN;
	if (f & 2) value |= BASE_EXTD;
	if (f & 4) value |= BASE_BSP;
	if (f & 8) value ^= take(in, 8);	/* junk: address, reserved bits */
	bool ok = vlapic_apic_base_write(vl, value);
	bool valid = (value & BASE_ADDR) == VLAPIC_DEFAULT_BASE &&
		     !(value & ~(BASE_ADDR | BASE_BSP | BASE_EXTD | BASE_EN)) &&
		     (!(value & BASE_EXTD) || (value & BASE_EN));
	bool was_x2 = (old & (BASE_EN | BASE_EXTD)) == (BASE_EN | BASE_EXTD);
	bool was_on = old & BASE_EN;
	bool to_x2 = (value & (BASE_EN | BASE_EXTD)) == (BASE_EN | BASE_EXTD);
	bool to_x = (value & (BASE_EN | BASE_EXTD)) == BASE_EN;

	if (!valid || (was_x2 && to_x))
		CHECK(!ok);
	/* What the SDM allows is accepted (disabled -> x2APIC is not). */
	if (valid && !(was_x2 && to_x) && !(!was_on && to_x2))
		CHECK(ok);
	if (!ok)
		CHECK(vl->apic_base == old);
	else
		CHECK((vl->apic_base & ~BASE_BSP) == (value & ~BASE_BSP));
}

static void timer_update(struct state *s, unsigned i)
{
	struct vlapic *vl = &s->vl[i];
	uint64_t deadline = vl->timer_deadline_ns;
	uint32_t lvt = vl->lvt[0];
	bool fires = deadline && s->now >= deadline;
	bool raises = fires && !(lvt & LVT_MASK) && sw_enabled(vl);
	bool had = bit(vl->irr, (uint8_t)lvt);
	uint32_t irr[8];

	memcpy(irr, vl->irr, sizeof(irr));
	uint64_t next = vlapic_timer_update(vl, s->now);
	CHECK(next == vl->timer_deadline_ns);
	CHECK(next == 0 || next > s->now);
	if (!fires)
		CHECK(next == deadline);
	if (raises)
		CHECK(bit(vl->irr, (uint8_t)lvt));
	else
		CHECK(bit(vl->irr, (uint8_t)lvt) == had);
	/* Nothing but the timer's vector changes. */
	irr[(uint8_t)lvt / 32] &= ~(1u << ((uint8_t)lvt % 32));
	for (unsigned w = 0; w < 8; w++) {
		uint32_t now_w = vl->irr[w];
		if (w == (uint8_t)lvt / 32)
			now_w &= ~(1u << ((uint8_t)lvt % 32));
		CHECK(now_w == irr[w]);
	}
	if (fires && timer_mode(vl) == 1 && vl->timer_initial)
		CHECK(next > deadline);
	else if (fires)
		CHECK(next == 0);
}

/* Core's part: a fixed IPI raises its vector on every target. */
static void deliver(struct state *s, unsigned from)
{
	const struct vlapic_ipi *ipi = &s->sh[from].ipi;

	if (ipi->kind != VLAPIC_IPI_FIXED)
		return;
	for (unsigned t = 0; t < s->count; t++) {
		if (!vlapic_ipi_targets(&s->vl[t], &s->vl[from], ipi))
			continue;
		bool ok = vlapic_raise(&s->vl[t], ipi->vector);
		CHECK(ok == (sw_enabled(&s->vl[t]) && ipi->vector >= 16));
		if (ok)
			CHECK(bit(s->vl[t].irr, ipi->vector));
	}
}

static void reset(struct state *s, unsigned i)
{
	vlapic_reset(&s->vl[i], s->sh[i].id, s->sh[i].bsp);
	struct shadow *sh = &s->sh[i];
	sh->armed = sh->grid = false;
	sh->divide = 0;
	memset(&sh->ipi, 0, sizeof(sh->ipi));
	sh->ipi.kind = VLAPIC_IPI_NONE;
}

static void step(struct state *s, struct input *in)
{
	bool all = false;	/* the step may change the other APIC too */
	uint8_t op = (uint8_t)take(in, 1);
	unsigned i = (op >> 7) % s->count;
	struct vlapic *vl = &s->vl[i];

	switch (op & 0x1f) {
	case 0: case 1: {	/* any x2APIC MSR */
		uint32_t msr = VLAPIC_X2APIC_MSR_FIRST + (uint32_t)take(in, 1);
		msr_write(s, i, msr, pick_value(in));
		break;
	}
	case 2: {		/* a register's x2APIC MSR */
		uint32_t msr = MSR(offsets[take(in, 1) % NOFFSETS]);
		msr_write(s, i, msr, pick_value(in));
		break;
	}
	case 3: case 4:
		msr_read(s, i, VLAPIC_X2APIC_MSR_FIRST + (uint32_t)take(in, 1));
		break;
	case 5:
		apic_base_write(s, i, in);
		break;
	case 6: case 7: case 8: {
		uint32_t offset = pick_offset(in);
		reg_write(s, i, offset, (uint32_t)pick_value(in));
		break;
	}
	case 9: case 10: {
		uint32_t offset = pick_offset(in);
		uint32_t v = vlapic_read_reg(vl, offset, s->now);
		if (offset == R_VERSION)
			CHECK(v == 0x00050014);
		if (offset == R_TIMER_INITIAL)
			CHECK(v == vl->timer_initial);
		break;
	}
	case 11: case 12: {	/* an interrupt for this APIC */
		uint8_t vector = (uint8_t)take(in, 1);
		bool enabled = sw_enabled(vl);
		bool ok = vlapic_raise(vl, vector);
		CHECK(ok == (enabled && vector >= 16));
		if (ok)
			CHECK(bit(vl->irr, vector));
		break;
	}
	case 13: case 14: {	/* the CPU takes what is pending */
		int v = vlapic_pending(vl);
		if (v >= 0) {
			vlapic_accept(vl, (uint8_t)v);
			CHECK(!bit(vl->irr, (unsigned)v));
			CHECK(bit(vl->isr, (unsigned)v));
			CHECK(highest(vl->isr) == v);
		}
		break;
	}
	case 15: {		/* EOI, either way */
		uint32_t isr[8];
		int top = highest(vl->isr);
		memcpy(isr, vl->isr, sizeof(isr));
		if (vlapic_x2apic_enabled(vl))
			msr_write(s, i, MSR(R_EOI), 0);
		else
			reg_write(s, i, R_EOI, (uint32_t)take(in, 4));
		if (top >= 0)
			isr[top / 32] &= ~(1u << (top % 32));
		CHECK(memcmp(isr, vl->isr, sizeof(isr)) == 0);
		break;
	}
	case 16: case 17:
		s->now += take(in, 2);
		timer_update(s, i);
		break;
	case 18:
		s->now += take(in, 4);
		timer_update(s, i);
		break;
	case 19: {		/* IA32_TSC_DEADLINE */
		uint8_t f = (uint8_t)take(in, 1);
		uint64_t tsc = f & 1 ? 0 : take(in, 8);
		uint64_t ns = f & 2 ? 0 : s->now + take(in, 2) - (f & 4 ? 0x8000 : 0);
		uint64_t before = vl->timer_deadline_ns;
		vlapic_set_tsc_deadline(vl, tsc, ns);
		CHECK(vl->tsc_deadline == tsc);
		if (timer_mode(vl) == MODE_TSC_DEADLINE)
			CHECK(vl->timer_deadline_ns == (tsc ? (ns ? ns : 1) : 0));
		else
			CHECK(vl->timer_deadline_ns == before);
		break;
	}
	case 20: {		/* the LVT timer: mode, mask, vector */
		uint8_t f = (uint8_t)take(in, 1);
		uint32_t lvt = (uint32_t)take(in, 1) | (f & 3u) << 17 |
			       (f & 4 ? LVT_MASK : 0);
		unsigned old_mode = timer_mode(vl);
		uint64_t before = vl->timer_deadline_ns;
		if (vlapic_x2apic_enabled(vl))
			msr_write(s, i, MSR(R_LVT_TIMER), lvt);
		else
			reg_write(s, i, R_LVT_TIMER, lvt);
		if (timer_mode(vl) != old_mode)
			CHECK(vl->timer_deadline_ns == 0);
		else
			CHECK(vl->timer_deadline_ns == before);
		break;
	}
	case 21: {		/* divide, then initial count */
		uint32_t divide = (uint32_t)take(in, 1);
		uint32_t count = (uint32_t)take(in, 2);
		if (vlapic_x2apic_enabled(vl)) {
			msr_write(s, i, MSR(R_TIMER_DIVIDE), divide);
			msr_write(s, i, MSR(R_TIMER_INITIAL), count);
		} else {
			reg_write(s, i, R_TIMER_DIVIDE, divide);
			reg_write(s, i, R_TIMER_INITIAL, count);
		}
		break;
	}
	case 22: {		/* the SVR */
		uint32_t svr = (uint32_t)take(in, 2);
		if (vlapic_x2apic_enabled(vl))
			msr_write(s, i, MSR(R_SVR), svr);
		else
			reg_write(s, i, R_SVR, svr);
		break;
	}
	case 23: case 24:	/* the IPI asked for last, delivered */
		deliver(s, i);
		all = true;
		break;
	case 25: {		/* an ICR write, either way */
		uint32_t low = (uint32_t)take(in, 4);
		uint32_t dest = (uint32_t)take(in, 1);
		if (take(in, 1) & 1)
			dest = 0xffffffffu;
		if (vlapic_x2apic_enabled(vl)) {
			msr_write(s, i, MSR(R_ICR_LOW), (uint64_t)dest << 32 | low);
		} else {
			reg_write(s, i, R_ICR_HIGH, dest << 24);
			reg_write(s, i, R_ICR_LOW, low);
		}
		deliver(s, i);
		all = true;
		break;
	}
	case 26:
		if (take(in, 1) == 0x5a)
			reset(s, i);
		break;
	default:		/* time passes */
		s->now += take(in, 1);
		break;
	}

	/* The divide register changed since the count was loaded: the
	 * deadline leaves the old grid. */
	for (unsigned k = 0; k < s->count; k++)
		if (s->vl[k].timer_divide_config != s->sh[k].divide) {
			s->sh[k].divide = s->vl[k].timer_divide_config;
			s->sh[k].grid = false;
		}
	for (unsigned k = 0; k < s->count; k++)
		if (all || k == i)
			check_apic(s, k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct state s;
	struct input in = {data, size};
	uint8_t header = (uint8_t)take(&in, 1);

	memset(&s, 0, sizeof(s));
	s.count = header & 1 ? 2 : 1;
	s.now = take(&in, 2);
	s.sh[0].id = 0;
	s.sh[0].bsp = true;
	s.sh[1].id = header & 0x10 ? (uint32_t)take(&in, 4) : 1 + (header >> 5);
	if (s.sh[1].id == 0)
		s.sh[1].id = 1;
	for (unsigned i = 0; i < s.count; i++) {
		reset(&s, i);
		if (header & 4)
			reg_write(&s, i, R_SVR, 0x1ff);
		if (header & 2)
			CHECK(vlapic_apic_base_write(&s.vl[i], VLAPIC_DEFAULT_BASE |
								      BASE_EN | BASE_EXTD));
		check_apic(&s, i);
	}
	for (unsigned n = 0; n < MAX_OPS && in.n; n++)
		step(&s, &in);
	for (unsigned i = 0; i < s.count; i++)
		check_apic(&s, i);
	return 0;
}
