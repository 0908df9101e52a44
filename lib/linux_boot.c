/* Linux guests: the x86 boot protocol's bzImage header and boot_params
 * (Documentation/arch/x86/boot.rst, zero-page.rst), the placement of the
 * kernel, initrd and boot data in guest RAM, identity page tables, and
 * the PVH start info (Xen's public/arch-x86/hvm/start_info.h). Header
 * fields are read byte by byte as little-endian, each only after its
 * offset has been checked against the image size; "a + n <= limit" is
 * always written "n <= limit - a", which cannot wrap. docs/linux-boot.md
 * explains the choices. */
#include "lib/linux_boot.h"

#include "lib/format.h"
#include "lib/string.h"

#define PAGE UINT64_C(4096)
#define MIB UINT64_C(0x100000)
#define GIB UINT64_C(0x40000000)
#define FOUR_GIB (UINT64_C(4) * GIB)
/* Beyond any guest-physical address (52 bits, AMD64): sizes and
 * addresses below it cannot overflow when added. */
#define PHYS_LIMIT (UINT64_C(1) << 52)

/* Boot data goes in [LOW_START, LEGACY_HOLE_START): page 0 is left alone. */
#define LOW_START PAGE
/* Where a bzImage's protected-mode kernel goes when pref_address is 0. */
#define DEFAULT_LOAD_ADDRESS MIB

/* Setup header offsets in the file (boot.rst, "The Real-Mode Kernel
 * Header"); the same as in boot_params. */
#define H_SETUP_SECTS 0x1f1
#define H_SYSSIZE 0x1f4
#define H_BOOT_FLAG 0x1fe
#define H_JUMP 0x200
#define H_HEADER 0x202
#define H_VERSION 0x206
#define H_KERNEL_VERSION 0x20e
#define H_LOADFLAGS 0x211
#define H_INITRD_ADDR_MAX 0x22c
#define H_KERNEL_ALIGNMENT 0x230
#define H_RELOCATABLE 0x234
#define H_MIN_ALIGNMENT 0x235
#define H_XLOADFLAGS 0x236
#define H_CMDLINE_SIZE 0x238
#define H_PAYLOAD_OFFSET 0x248
#define H_PAYLOAD_LENGTH 0x24c
#define H_PREF_ADDRESS 0x258
#define H_INIT_SIZE 0x260
#define H_HANDOVER_OFFSET 0x264
#define H_KERNEL_INFO_OFFSET 0x268
/* Protocol 2.12's header runs through handover_offset; 2.15 adds
 * kernel_info_offset. */
#define HEADER_END_2_12 0x268
#define HEADER_END_2_15 0x26c

/* Page-table entry bits (AMD APM vol. 2, 5.3). */
#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_PS 0x80ull

static uint64_t read_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = bytes; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

static void write_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint8_t le8(const uint8_t *p) { return p[0]; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)read_le(p, 2); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)read_le(p, 4); }
static uint64_t le64(const uint8_t *p) { return read_le(p, 8); }

static bool range_inside(uint64_t offset, uint64_t len, uint64_t limit)
{
	return offset <= limit && len <= limit - offset;
}

static bool is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* Only for values below PHYS_LIMIT and alignments up to it. */
static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Bytes as MiB, rounded up, for messages. */
static unsigned long long mib_up(uint64_t bytes)
{
	return (unsigned long long)((bytes + MIB - 1) / MIB);
}

static unsigned long long mib_down(uint64_t bytes)
{
	return (unsigned long long)(bytes / MIB);
}

/* ============================================================== bzImage */

static enum linux_payload_format payload_format(const uint8_t *p, uint64_t len)
{
	if (len == 0)
		return LINUX_PAYLOAD_NONE;
	if (len < 2)
		return LINUX_PAYLOAD_UNKNOWN;
	/* The magic numbers boot.rst lists (payload_offset), and LZO's. */
	if (p[0] == 0x1f && (p[1] == 0x8b || p[1] == 0x9e))
		return LINUX_PAYLOAD_GZIP;
	if (p[0] == 0x42 && p[1] == 0x5a)
		return LINUX_PAYLOAD_BZIP2;
	if (p[0] == 0x5d && p[1] == 0x00)
		return LINUX_PAYLOAD_LZMA;
	if (p[0] == 0xfd && p[1] == 0x37)
		return LINUX_PAYLOAD_XZ;
	if (p[0] == 0x02 && p[1] == 0x21)
		return LINUX_PAYLOAD_LZ4;
	if (p[0] == 0x28 && p[1] == 0xb5)
		return LINUX_PAYLOAD_ZSTD;
	if (len >= 4 && memcmp(p, "\x89LZO", 4) == 0)
		return LINUX_PAYLOAD_LZO;
	if (len >= 4 && memcmp(p, "\x7f" "ELF", 4) == 0)
		return LINUX_PAYLOAD_ELF;
	return LINUX_PAYLOAD_UNKNOWN;
}

const char *linux_payload_name(enum linux_payload_format f)
{
	switch (f) {
	case LINUX_PAYLOAD_NONE: return "none";
	case LINUX_PAYLOAD_UNKNOWN: return "unknown";
	case LINUX_PAYLOAD_GZIP: return "gzip";
	case LINUX_PAYLOAD_BZIP2: return "bzip2";
	case LINUX_PAYLOAD_LZMA: return "lzma";
	case LINUX_PAYLOAD_XZ: return "xz";
	case LINUX_PAYLOAD_LZO: return "lzo";
	case LINUX_PAYLOAD_LZ4: return "lz4";
	case LINUX_PAYLOAD_ZSTD: return "zstd";
	case LINUX_PAYLOAD_ELF: return "elf";
	}
	return "unknown";
}

/* The kernel_version string: at kernel_version + 0x200 in the file, inside
 * the setup code; copied up to its NUL, the setup code's end or the
 * buffer's, non-printable bytes as '?'. */
static void read_version_string(const uint8_t *b, struct bzimage_info *out)
{
	uint64_t at = le16(b + H_KERNEL_VERSION);
	size_t n = 0;

	out->version_string[0] = '\0';
	if (at == 0)
		return;
	at += 0x200;
	while (at < out->kernel_offset && b[at] != '\0' &&
	       n < sizeof(out->version_string) - 1) {
		uint8_t c = b[at++];

		out->version_string[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out->version_string[n] = '\0';
}

/* Magic, version and the header's own length: what says "a bzImage with a
 * 2.12+ header of a sane length, all in the file". */
static enum linux_boot_status check_header(const uint8_t *b, size_t size,
					   struct bzimage_info *out)
{
	if (size < H_VERSION + 2)
		return LINUX_BOOT_ERR_TRUNCATED;
	if (le32(b + H_HEADER) != LINUX_HDRS_MAGIC)
		return LINUX_BOOT_ERR_MAGIC;
	if (le16(b + H_BOOT_FLAG) != LINUX_BOOT_FLAG_MAGIC)
		return LINUX_BOOT_ERR_BOOT_FLAG;
	out->version = le16(b + H_VERSION);
	if (out->version < LINUX_PROTOCOL_2_12)
		return LINUX_BOOT_ERR_VERSION;
	out->header_end = LINUX_HEADER_JUMP_BASE + (size_t)b[H_JUMP + 1];
	if (b[H_JUMP] != LINUX_JUMP_OPCODE ||
	    out->header_end < HEADER_END_2_12 ||
	    out->header_end > LINUX_SETUP_HEADER_MAX_END)
		return LINUX_BOOT_ERR_HEADER;
	if (size < out->header_end)
		return LINUX_BOOT_ERR_TRUNCATED;
	return LINUX_BOOT_OK;
}

static void read_fields(const uint8_t *b, struct bzimage_info *out)
{
	out->setup_sects = le8(b + H_SETUP_SECTS);
	out->syssize_bytes = (uint64_t)le32(b + H_SYSSIZE) * 16;
	out->loadflags = le8(b + H_LOADFLAGS);
	out->initrd_addr_max = le32(b + H_INITRD_ADDR_MAX);
	out->kernel_alignment = le32(b + H_KERNEL_ALIGNMENT);
	out->relocatable = le8(b + H_RELOCATABLE) != 0;
	out->min_alignment = le8(b + H_MIN_ALIGNMENT);
	out->xloadflags = le16(b + H_XLOADFLAGS);
	out->cmdline_size = le32(b + H_CMDLINE_SIZE);
	out->payload_offset = le32(b + H_PAYLOAD_OFFSET);
	out->payload_length = le32(b + H_PAYLOAD_LENGTH);
	out->pref_address = le64(b + H_PREF_ADDRESS);
	out->init_size = le32(b + H_INIT_SIZE);
	out->handover_offset = le32(b + H_HANDOVER_OFFSET);
	if (out->version >= LINUX_PROTOCOL_2_15 &&
	    out->header_end >= HEADER_END_2_15)
		out->kernel_info_offset = le32(b + H_KERNEL_INFO_OFFSET);
}

/* Where the kernel runs when loaded at its preferred address. */
static uint64_t run_address(const struct bzimage_info *k)
{
	return k->pref_address != 0 ? k->pref_address : DEFAULT_LOAD_ADDRESS;
}

/* The protected-mode kernel: where it is in the file, whether it is a
 * bzImage with a 64-bit entry, and whether it can run where it says. */
static enum linux_boot_status check_kernel(size_t size, struct bzimage_info *out)
{
	unsigned sects = out->setup_sects != 0 ? out->setup_sects
					       : LINUX_SETUP_SECTS_DEFAULT;

	out->kernel_offset = (uint64_t)(sects + 1) * LINUX_SECTOR_SIZE;
	if (size < out->kernel_offset)
		return LINUX_BOOT_ERR_TRUNCATED;
	out->kernel_size = size - out->kernel_offset;
	if (out->syssize_bytes > out->kernel_size)
		return LINUX_BOOT_ERR_TRUNCATED;
	if (!(out->loadflags & LINUX_LOADED_HIGH))
		return LINUX_BOOT_ERR_NOT_BZIMAGE;
	if (!(out->xloadflags & LINUX_XLF_KERNEL_64))
		return LINUX_BOOT_ERR_NOT_64BIT;
	if (out->kernel_size <= LINUX_ENTRY64_OFFSET)
		return LINUX_BOOT_ERR_NO_ENTRY;
	if (out->relocatable &&
	    (!is_pow2(out->kernel_alignment) || out->kernel_alignment < PAGE ||
	     out->kernel_alignment > GIB))
		return LINUX_BOOT_ERR_ALIGNMENT;
	if (out->pref_address % PAGE != 0 ||
	    !range_inside(run_address(out), out->init_size, FOUR_GIB))
		return LINUX_BOOT_ERR_PREF_ADDRESS;
	if (out->init_size < out->syssize_bytes ||
	    out->init_size <= LINUX_ENTRY64_OFFSET)
		return LINUX_BOOT_ERR_INIT_SIZE;
	if (out->payload_length != 0 &&
	    !range_inside(out->payload_offset, out->payload_length,
			  out->kernel_size))
		return LINUX_BOOT_ERR_PAYLOAD;
	return LINUX_BOOT_OK;
}

enum linux_boot_status bzimage_parse(const void *image, size_t size,
				     struct bzimage_info *out)
{
	const uint8_t *b = image;
	enum linux_boot_status s;

	memset(out, 0, sizeof(*out));
	if (image == NULL)
		return LINUX_BOOT_ERR_TRUNCATED;
	s = check_header(b, size, out);
	if (s != LINUX_BOOT_OK)
		return s;
	read_fields(b, out);
	s = check_kernel(size, out);
	if (s != LINUX_BOOT_OK)
		return s;
	if (out->payload_length != 0)
		out->payload_format = payload_format(
			b + out->kernel_offset + out->payload_offset,
			out->payload_length);
	read_version_string(b, out);
	out->image_size = size;
	return LINUX_BOOT_OK;
}

/* =============================================================== memory */

/* Checks the reserved ranges and sorts their indices by base. */
static enum linux_boot_status sort_reserved(const struct linux_guest_memory *mem,
					    uint8_t order[LINUX_MAX_RESERVED])
{
	const struct linux_mem_range *r = mem->reserved;
	size_t n = mem->reserved_count;

	if (mem->ram_size > PHYS_LIMIT)
		return LINUX_BOOT_ERR_ARGUMENT;
	if (n > LINUX_MAX_RESERVED || (n > 0 && r == NULL))
		return LINUX_BOOT_ERR_RESERVED;
	for (size_t i = 0; i < n; i++) {
		if (r[i].size == 0 || !range_inside(r[i].base, r[i].size, PHYS_LIMIT) ||
		    r[i].type == 0 || r[i].type == E820_TYPE_RAM)
			return LINUX_BOOT_ERR_RESERVED;
		/* Insertion sort: at most 32 entries. */
		size_t j = i;

		while (j > 0 && r[order[j - 1]].base > r[i].base) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = (uint8_t)i;
	}
	for (size_t i = 1; i < n; i++) {
		const struct linux_mem_range *a = &r[order[i - 1]], *b = &r[order[i]];

		if (b->base < a->base + a->size)
			return LINUX_BOOT_ERR_RESERVED;
	}
	return LINUX_BOOT_OK;
}

typedef bool (*emit_fn)(void *ctx, uint64_t addr, uint64_t size, uint32_t type);

/* The RAM pieces of [lo, hi): [0, 640 KiB) and [1 MiB, ram_size). */
static bool emit_ram_between(uint64_t lo, uint64_t hi, uint64_t ram_size,
			     emit_fn emit, void *ctx)
{
	const uint64_t segs[2][2] = {
		{0, min_u64(ram_size, LINUX_LEGACY_HOLE_START)},
		{LINUX_LEGACY_HOLE_END, ram_size},
	};

	for (int i = 0; i < 2; i++) {
		uint64_t a = max_u64(lo, segs[i][0]), b = min_u64(hi, segs[i][1]);

		if (a < b && !emit(ctx, a, b - a, E820_TYPE_RAM))
			return false;
	}
	return true;
}

/* Emits the memory map in address order: RAM less the reserved ranges,
 * and the reserved ranges themselves. */
static enum linux_boot_status e820_walk(const struct linux_guest_memory *mem,
					emit_fn emit, void *ctx)
{
	uint8_t order[LINUX_MAX_RESERVED];
	enum linux_boot_status s = sort_reserved(mem, order);
	uint64_t covered = 0;

	if (s != LINUX_BOOT_OK)
		return s;
	for (size_t i = 0; i < mem->reserved_count; i++) {
		const struct linux_mem_range *r = &mem->reserved[order[i]];

		if (!emit_ram_between(covered, r->base, mem->ram_size, emit, ctx) ||
		    !emit(ctx, r->base, r->size, r->type))
			return LINUX_BOOT_ERR_E820_FULL;
		covered = r->base + r->size;
	}
	if (!emit_ram_between(covered, PHYS_LIMIT, mem->ram_size, emit, ctx))
		return LINUX_BOOT_ERR_E820_FULL;
	return LINUX_BOOT_OK;
}

struct e820_out {
	struct boot_e820_entry *table;
	size_t max, count;
};

static bool emit_e820(void *ctx, uint64_t addr, uint64_t size, uint32_t type)
{
	struct e820_out *o = ctx;

	if (o->count == o->max)
		return false;
	o->table[o->count++] = (struct boot_e820_entry){
		.addr = addr, .size = size, .type = type};
	return true;
}

enum linux_boot_status linux_e820_build(const struct linux_guest_memory *mem,
					struct boot_e820_entry *out,
					size_t max, size_t *count)
{
	struct e820_out o = {.table = out, .max = max, .count = 0};
	enum linux_boot_status s = e820_walk(mem, emit_e820, &o);

	*count = s == LINUX_BOOT_OK ? o.count : 0;
	return s;
}

/* ============================================================= planning */

/* Ranges nothing may be placed in: page 0, the legacy window, the
 * reserved ranges (widened to pages) and what has been placed so far. */
#define MAX_OBSTACLES (LINUX_MAX_RESERVED + 16)
/* Their order: page 0, the legacy window, the reserved ranges as given. */
#define OBSTACLE_PAGE0 0
#define OBSTACLE_LEGACY 1
#define OBSTACLE_RESERVED 2

struct placer {
	uint64_t ram_size;
	size_t count;
	struct {
		uint64_t base, end;
	} obs[MAX_OBSTACLES];
};

static void add_obstacle(struct placer *pl, uint64_t base, uint64_t end)
{
	/* MAX_OBSTACLES leaves room for everything a plan places. */
	if (pl->count < MAX_OBSTACLES) {
		pl->obs[pl->count].base = base;
		pl->obs[pl->count].end = end;
		pl->count++;
	}
}

/* The first obstacle overlapping [base, end), or -1. */
static int conflict(const struct placer *pl, uint64_t base, uint64_t end)
{
	for (size_t i = 0; i < pl->count; i++) {
		if (pl->obs[i].base < end && base < pl->obs[i].end)
			return (int)i;
	}
	return -1;
}

static enum linux_boot_status placer_init(struct placer *pl,
					  const struct linux_guest_memory *mem)
{
	uint8_t order[LINUX_MAX_RESERVED];
	enum linux_boot_status s = sort_reserved(mem, order);

	if (s != LINUX_BOOT_OK)
		return s;
	pl->ram_size = align_down(mem->ram_size, PAGE);
	pl->count = 0;
	add_obstacle(pl, 0, LOW_START);
	add_obstacle(pl, LINUX_LEGACY_HOLE_START, LINUX_LEGACY_HOLE_END);
	for (size_t i = 0; i < mem->reserved_count; i++) {
		const struct linux_mem_range *r = &mem->reserved[i];

		add_obstacle(pl, align_down(r->base, PAGE),
			     align_up(r->base + r->size, PAGE));
	}
	return LINUX_BOOT_OK;
}

/* The lowest `align`-aligned base >= start for `size` bytes that end by
 * `limit` (and by the end of RAM) and meet no obstacle. Sizes, starts and
 * limits are below PHYS_LIMIT. */
static bool place_up(const struct placer *pl, uint64_t start, uint64_t size,
		     uint64_t align, uint64_t limit, uint64_t *out)
{
	uint64_t addr = align_up(start, align);

	limit = min_u64(limit, pl->ram_size);
	for (;;) {
		int c;

		if (!range_inside(addr, size, limit))
			return false;
		c = conflict(pl, addr, addr + size);
		if (c < 0)
			break;
		addr = align_up(pl->obs[c].end, align);
	}
	*out = addr;
	return true;
}

/* The highest page-aligned base >= floor for `size` bytes ending by `top`
 * (and by the end of RAM) that meets no obstacle. */
static bool place_down(const struct placer *pl, uint64_t size, uint64_t floor,
		       uint64_t top, uint64_t *out)
{
	uint64_t addr;

	top = min_u64(top, pl->ram_size);
	if (top < floor || size > top - floor)
		return false;
	addr = align_down(top - size, PAGE);
	for (;;) {
		int c;

		if (addr < floor)
			return false;
		c = conflict(pl, addr, addr + size);
		if (c < 0)
			break;
		if (pl->obs[c].base < floor || pl->obs[c].base - floor < size)
			return false;
		addr = align_down(pl->obs[c].base - size, PAGE);
	}
	*out = addr;
	return true;
}

__attribute__((format(printf, 2, 3)))
static void say(struct linux_boot_plan *plan, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(plan->message, sizeof(plan->message), fmt, ap);
	va_end(ap);
}

/* Obstacle c, as the guest memory description names it. */
static void describe_obstacle(const struct placer *pl, int c,
			      const struct linux_guest_memory *mem,
			      char *buf, size_t size)
{
	if (c == OBSTACLE_PAGE0) {
		fmt_snprintf(buf, size, "page 0");
	} else if (c == OBSTACLE_LEGACY) {
		fmt_snprintf(buf, size, "the legacy window %#llx-%#llx",
			     (unsigned long long)LINUX_LEGACY_HOLE_START,
			     (unsigned long long)LINUX_LEGACY_HOLE_END);
	} else if (c >= OBSTACLE_RESERVED &&
		   (size_t)(c - OBSTACLE_RESERVED) < mem->reserved_count) {
		const struct linux_mem_range *r = &mem->reserved[c - OBSTACLE_RESERVED];

		fmt_snprintf(buf, size, "reserved range %#llx-%#llx",
			     (unsigned long long)r->base,
			     (unsigned long long)(r->base + r->size));
	} else {
		fmt_snprintf(buf, size, "%#llx-%#llx",
			     (unsigned long long)pl->obs[c].base,
			     (unsigned long long)pl->obs[c].end);
	}
}

static enum linux_boot_status place_bzimage_kernel(struct placer *pl,
						   const struct bzimage_info *k,
						   const struct linux_boot_request *req,
						   struct linux_boot_plan *plan)
{
	uint64_t need = align_up(max_u64(k->init_size, k->kernel_size), PAGE);
	uint64_t align = k->relocatable ? k->kernel_alignment : PAGE;
	uint64_t start = align_up(run_address(k), align);
	uint64_t ram = req->mem.ram_size;
	uint64_t limit = min_u64(pl->ram_size, FOUR_GIB);
	int c;

	if (!range_inside(start, need, limit)) {
		if (start + need > FOUR_GIB)
			say(plan, "the kernel needs %llu MiB from %llu MiB (init_size), above 4 GiB",
			    mib_up(need), mib_down(start));
		else
			say(plan, "the kernel needs %llu MiB of RAM (init_size %llu MiB from %llu MiB), the domain has %llu MiB",
			    mib_up(start + need), mib_up(need), mib_down(start),
			    mib_down(ram));
		return LINUX_BOOT_ERR_KERNEL_ROOM;
	}
	if (!k->relocatable) {
		/* It moves itself to pref_address whatever we do. */
		c = conflict(pl, start, start + need);
		if (c >= 0) {
			char what[64];

			describe_obstacle(pl, c, &req->mem, what, sizeof(what));
			say(plan, "the kernel is not relocatable and must run at %#llx-%#llx, which overlaps %s",
			    (unsigned long long)start,
			    (unsigned long long)(start + need), what);
			return LINUX_BOOT_ERR_KERNEL_ROOM;
		}
		plan->kernel_addr = start;
	} else if (!place_up(pl, start, need, align, limit, &plan->kernel_addr)) {
		say(plan, "no room for the kernel's %llu MiB (init_size) at a %llu KiB-aligned address from %llu MiB below %llu MiB: reserved ranges are in the way",
		    mib_up(need), (unsigned long long)(align >> 10),
		    mib_down(start), mib_down(limit));
		return LINUX_BOOT_ERR_KERNEL_ROOM;
	}
	plan->kernel_end = plan->kernel_addr + need;
	plan->kernel_load_size = k->kernel_size;
	plan->entry = plan->kernel_addr + LINUX_ENTRY64_OFFSET;
	add_obstacle(pl, plan->kernel_addr, plan->kernel_end);
	return LINUX_BOOT_OK;
}

/* The initrd as high as `top` (one past its last allowed byte) allows,
 * above 1 MiB, page-aligned. */
static enum linux_boot_status place_initrd(struct placer *pl, uint64_t top,
					  const struct linux_boot_request *req,
					  struct linux_boot_plan *plan)
{
	uint64_t size;

	plan->initrd_addr = 0;
	plan->initrd_size = req->initrd_size;
	if (req->initrd_size == 0)
		return LINUX_BOOT_OK;
	if (req->initrd_size > FOUR_GIB) {
		say(plan, "the initrd is %llu MiB, more than 4 GiB",
		    mib_up(req->initrd_size));
		return LINUX_BOOT_ERR_INITRD_ROOM;
	}
	size = align_up(req->initrd_size, PAGE);
	top = min_u64(top, FOUR_GIB);
	if (place_down(pl, size, LINUX_LEGACY_HOLE_END, top, &plan->initrd_addr)) {
		add_obstacle(pl, plan->initrd_addr, plan->initrd_addr + size);
		return LINUX_BOOT_OK;
	}
	if (plan->kernel_end + size <= top)
		say(plan, "the initrd (%llu MiB) does not fit beside the kernel (%llu-%llu MiB): the domain needs at least %llu MiB, it has %llu MiB",
		    mib_up(size), mib_down(plan->kernel_addr),
		    mib_up(plan->kernel_end), mib_up(plan->kernel_end + size),
		    mib_down(req->mem.ram_size));
	else
		say(plan, "the initrd (%llu MiB) does not fit below its limit of %llu MiB beside the kernel (%llu-%llu MiB)",
		    mib_up(size), mib_down(top), mib_down(plan->kernel_addr),
		    mib_up(plan->kernel_end));
	return LINUX_BOOT_ERR_INITRD_ROOM;
}

/* One region of boot data below 640 KiB, as low as it goes. */
static bool place_low(struct placer *pl, uint64_t size, uint64_t *out,
		      struct linux_boot_plan *plan, const char *what)
{
	if (!place_up(pl, LOW_START, size, PAGE, LINUX_LEGACY_HOLE_START, out)) {
		say(plan, "no room below 640 KiB for the %s (%llu KiB): reserved ranges are in the way",
		    what, (unsigned long long)(size >> 10));
		return false;
	}
	add_obstacle(pl, *out, *out + size);
	return true;
}

static enum linux_boot_status check_cmdline(const struct linux_boot_request *req,
					    uint32_t max,
					    struct linux_boot_plan *plan)
{
	plan->cmdline_max = max;
	plan->cmdline_len = req->cmdline_len;
	if (req->cmdline_len > max) {
		say(plan, "the command line is %zu bytes, the kernel takes at most %u",
		    req->cmdline_len, max);
		return LINUX_BOOT_ERR_CMDLINE;
	}
	return LINUX_BOOT_OK;
}

/* The start info or zero page, and the command line. */
static enum linux_boot_status place_boot_page_and_cmdline(struct placer *pl,
							  struct linux_boot_plan *plan)
{
	if (!place_low(pl, PAGE, &plan->boot_params_addr, plan,
		       plan->mode == LINUX_BOOT_PVH ? "start info" : "boot_params") ||
	    !place_low(pl, align_up(plan->cmdline_len + 1, PAGE),
		       &plan->cmdline_addr, plan, "command line"))
		return LINUX_BOOT_ERR_LOW_ROOM;
	return LINUX_BOOT_OK;
}

/* The 64-bit entry's decompressor borrows two pages of low RAM for a
 * trampoline (arch/x86/boot/compressed/pgtable_64.c,
 * find_trampoline_placement) while it still runs on our page tables:
 * the highest 8 KiB that fit in an E820 RAM entry below the BIOS area,
 * which the BIOS data area (guest page 0: zeros) leaves at 0x9f000. Boot
 * data must stay out of them. */
#define TRAMPOLINE_BIOS_START UINT64_C(0x9f000)
#define TRAMPOLINE_SIZE (2 * PAGE)

static bool find_trampoline(void *ctx, uint64_t addr, uint64_t size,
			    uint32_t type)
{
	uint64_t *at = ctx;
	uint64_t top;

	if (type != E820_TYPE_RAM || addr >= TRAMPOLINE_BIOS_START)
		return true;
	top = align_down(min_u64(addr + size, TRAMPOLINE_BIOS_START), PAGE);
	if (top >= TRAMPOLINE_SIZE && top - TRAMPOLINE_SIZE >= addr)
		*at = top - TRAMPOLINE_SIZE;	/* entries come in address order */
	return true;
}

static void avoid_trampoline(struct placer *pl,
			     const struct linux_guest_memory *mem)
{
	/* Where Linux puts it when no RAM entry fits: just below 0x9f000. */
	uint64_t at = TRAMPOLINE_BIOS_START - TRAMPOLINE_SIZE;

	/* The map was checked by placer_init. */
	e820_walk(mem, find_trampoline, &at);
	add_obstacle(pl, at, at + TRAMPOLINE_SIZE);
}

size_t linux_identity_map_size(uint64_t gib, bool gib_pages)
{
	if (gib == 0 || gib > 512)
		return 0;
	return (size_t)((2 + (gib_pages ? 0 : gib)) * PAGE);
}

enum linux_boot_status linux_plan_bzimage(const struct bzimage_info *k,
					  const struct linux_boot_request *req,
					  struct linux_boot_plan *plan)
{
	struct placer pl;
	enum linux_boot_status s;
	uint64_t initrd_top, top;

	memset(plan, 0, sizeof(*plan));
	plan->mode = LINUX_BOOT_64BIT;
	plan->gib_pages = req->gib_pages;
	s = placer_init(&pl, &req->mem);
	if (s != LINUX_BOOT_OK) {
		say(plan, "bad guest memory description: %s",
		    linux_boot_status_str(s));
		return s;
	}
	s = check_cmdline(req, k->cmdline_size, plan);
	if (s == LINUX_BOOT_OK)
		s = place_bzimage_kernel(&pl, k, req, plan);
	/* boot.rst: initrd_addr_max is the highest byte the initrd may use;
	 * XLF_CAN_BE_LOADED_ABOVE_4G lifts it, but we keep to 4 GiB. */
	initrd_top = (k->xloadflags & LINUX_XLF_CAN_BE_LOADED_ABOVE_4G)
		? FOUR_GIB : (uint64_t)k->initrd_addr_max + 1;
	if (s == LINUX_BOOT_OK)
		s = place_initrd(&pl, initrd_top, req, plan);
	avoid_trampoline(&pl, &req->mem);
	if (s == LINUX_BOOT_OK)
		s = place_boot_page_and_cmdline(&pl, plan);
	if (s != LINUX_BOOT_OK)
		return s;
	/* The identity map covers everything placed, in whole GiB. */
	top = max_u64(plan->kernel_end, plan->initrd_addr + plan->initrd_size);
	plan->identity_map_bytes = align_up(max_u64(top, 1), GIB);
	plan->page_tables_size = linux_identity_map_size(
		plan->identity_map_bytes / GIB, plan->gib_pages);
	if (!place_low(&pl, PAGE, &plan->gdt_addr, plan, "GDT") ||
	    !place_low(&pl, PAGE, &plan->stack_top, plan, "boot stack") ||
	    !place_low(&pl, plan->page_tables_size, &plan->page_tables_addr,
		       plan, "page tables"))
		return LINUX_BOOT_ERR_LOW_ROOM;
	plan->stack_top += PAGE;
	return LINUX_BOOT_OK;
}

enum linux_boot_status linux_plan_pvh(const struct elf_image *k,
				      const struct linux_boot_request *req,
				      struct linux_boot_plan *plan)
{
	struct placer pl;
	enum linux_boot_status s;
	uint64_t base, end;
	int c;

	memset(plan, 0, sizeof(*plan));
	plan->mode = LINUX_BOOT_PVH;
	s = placer_init(&pl, &req->mem);
	if (s != LINUX_BOOT_OK) {
		say(plan, "bad guest memory description: %s",
		    linux_boot_status_str(s));
		return s;
	}
	if (!k->has_pvh_entry) {
		say(plan, "the kernel has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)");
		return LINUX_BOOT_ERR_NO_PVH_ENTRY;
	}
	s = check_cmdline(req, LINUX_PVH_CMDLINE_MAX, plan);
	if (s != LINUX_BOOT_OK)
		return s;
	if (k->segment_count == 0 || k->paddr_end > FOUR_GIB ||
	    k->paddr_low >= k->paddr_end) {
		say(plan, "the kernel's segments are not below 4 GiB");
		return LINUX_BOOT_ERR_KERNEL_ROOM;
	}
	base = align_down(k->paddr_low, PAGE);
	end = align_up(k->paddr_end, PAGE);
	if (end > pl.ram_size) {
		say(plan, "the kernel needs %llu MiB of RAM (its segments end at %#llx), the domain has %llu MiB",
		    mib_up(end), (unsigned long long)k->paddr_end,
		    mib_down(req->mem.ram_size));
		return LINUX_BOOT_ERR_KERNEL_ROOM;
	}
	c = conflict(&pl, base, end);
	if (c >= 0) {
		char what[64];

		describe_obstacle(&pl, c, &req->mem, what, sizeof(what));
		say(plan, "the kernel's segments %#llx-%#llx overlap %s",
		    (unsigned long long)base, (unsigned long long)end, what);
		return LINUX_BOOT_ERR_KERNEL_ROOM;
	}
	add_obstacle(&pl, base, end);
	plan->kernel_addr = base;
	plan->kernel_end = end;
	plan->entry = k->pvh_entry;
	s = place_initrd(&pl, FOUR_GIB, req, plan);
	if (s == LINUX_BOOT_OK)
		s = place_boot_page_and_cmdline(&pl, plan);
	return s;
}

/* ============================================================= builders */

enum linux_boot_status linux_build_boot_params(struct boot_params *bp,
					       const void *image, size_t size,
					       const struct bzimage_info *k,
					       const struct linux_boot_plan *plan,
					       const struct linux_boot_request *req)
{
	const uint8_t *b = image;
	size_t count = 0;
	enum linux_boot_status s;

	/* The image must be the one parsed: its header end is re-read here,
	 * so that a stale *k cannot make the copy run past the buffer. */
	if (image == NULL || size != k->image_size ||
	    size <= LINUX_HEADER_LENGTH_OFFSET ||
	    LINUX_HEADER_JUMP_BASE + (size_t)b[LINUX_HEADER_LENGTH_OFFSET] != k->header_end ||
	    k->header_end > size || k->header_end > LINUX_SETUP_HEADER_MAX_END ||
	    plan->mode != LINUX_BOOT_64BIT)
		return LINUX_BOOT_ERR_ARGUMENT;
	memset(bp, 0, sizeof(*bp));
	memcpy((uint8_t *)bp + LINUX_SETUP_HEADER_OFFSET,
	       b + LINUX_SETUP_HEADER_OFFSET,
	       k->header_end - LINUX_SETUP_HEADER_OFFSET);

	bp->hdr.type_of_loader = LINUX_LOADER_UNDEFINED;
	bp->hdr.ext_loader_ver = 0;
	bp->hdr.ext_loader_type = 0;
	/* No real-mode setup runs: no heap; KASLR_FLAG is the kernel's own. */
	bp->hdr.loadflags = (uint8_t)((bp->hdr.loadflags | LINUX_LOADED_HIGH) &
				      ~(LINUX_CAN_USE_HEAP | LINUX_KASLR_FLAG |
					LINUX_KEEP_SEGMENTS));
	bp->hdr.heap_end_ptr = 0;
	bp->hdr.code32_start = (uint32_t)plan->kernel_addr;
	bp->hdr.cmd_line_ptr = (uint32_t)plan->cmdline_addr;
	bp->ext_cmd_line_ptr = (uint32_t)(plan->cmdline_addr >> 32);
	bp->hdr.ramdisk_image = (uint32_t)plan->initrd_addr;
	bp->ext_ramdisk_image = (uint32_t)(plan->initrd_addr >> 32);
	bp->hdr.ramdisk_size = (uint32_t)plan->initrd_size;
	bp->ext_ramdisk_size = (uint32_t)(plan->initrd_size >> 32);
	bp->hdr.setup_data = 0;
	bp->hdr.hardware_subarch = 0;		/* the default x86/PC */
	bp->hdr.hardware_subarch_data = 0;
	bp->acpi_rsdp_addr = req->rsdp_addr;

	s = linux_e820_build(&req->mem, bp->e820_table,
			     E820_MAX_ENTRIES_ZEROPAGE, &count);
	bp->e820_entries = (uint8_t)count;
	return s;
}

static uint64_t gdt_entry(uint32_t base, uint32_t limit, uint16_t attrib)
{
	return (uint64_t)(limit & 0xffff) |
	       (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)(attrib & 0xff) << 40 |
	       (uint64_t)((limit >> 16) & 0xf) << 48 |
	       (uint64_t)((attrib >> 8) & 0xf) << 52 |
	       (uint64_t)(base >> 24) << 56;
}

enum linux_boot_status linux_build_gdt(void *buf, size_t size)
{
	uint8_t *p = buf;

	if (buf == NULL || size < LINUX_GDT_SIZE)
		return LINUX_BOOT_ERR_BUFFER;
	memset(p, 0, LINUX_GDT_SIZE);
	write_le(p + LINUX_BOOT_CS, gdt_entry(0, 0xfffff, LINUX_SEG_CODE64), 8);
	write_le(p + LINUX_BOOT_DS, gdt_entry(0, 0xfffff, LINUX_SEG_DATA), 8);
	return LINUX_BOOT_OK;
}

/* Page `index` of the identity map at buf_gpa: 0 the PML4, 1 the PDPT,
 * 2.. a page directory per GiB. */
static void identity_map_page(uint8_t *page, size_t index, uint64_t buf_gpa,
			      uint64_t gib, bool gib_pages)
{
	memset(page, 0, PAGE);
	if (index == 0) {
		write_le(page, (buf_gpa + PAGE) | PTE_P | PTE_RW, 8);
	} else if (index == 1) {
		for (uint64_t i = 0; i < gib; i++) {
			uint64_t e = gib_pages ? (i * GIB) | PTE_P | PTE_RW | PTE_PS
					       : (buf_gpa + (2 + i) * PAGE) | PTE_P | PTE_RW;

			write_le(page + i * 8, e, 8);
		}
	} else {
		uint64_t base = (uint64_t)(index - 2) * GIB;

		for (uint64_t j = 0; j < 512; j++)
			write_le(page + j * 8,
				 (base + j * 2 * MIB) | PTE_P | PTE_RW | PTE_PS, 8);
	}
}

enum linux_boot_status linux_build_identity_map(void *buf, size_t size,
						uint64_t buf_gpa, uint64_t gib,
						bool gib_pages)
{
	size_t need = linux_identity_map_size(gib, gib_pages);

	if (need == 0 || buf_gpa % PAGE != 0 || buf_gpa >= PHYS_LIMIT)
		return LINUX_BOOT_ERR_ARGUMENT;
	if (buf == NULL || size < need)
		return LINUX_BOOT_ERR_BUFFER;
	for (size_t i = 0; i < need / PAGE; i++)
		identity_map_page((uint8_t *)buf + i * PAGE, i, buf_gpa, gib,
				  gib_pages);
	return LINUX_BOOT_OK;
}

struct pvh_out {
	uint8_t *table;
	size_t max, count;
};

static bool emit_pvh(void *ctx, uint64_t addr, uint64_t size, uint32_t type)
{
	struct pvh_out *o = ctx;
	uint8_t *e;

	if (o->count == o->max)
		return false;
	e = o->table + o->count++ * sizeof(struct pvh_memmap_entry);
	write_le(e, addr, 8);
	write_le(e + 8, size, 8);
	write_le(e + 16, type, 4);
	write_le(e + 20, 0, 4);
	return true;
}

_Static_assert(LINUX_PVH_MODLIST_OFFSET >= sizeof(struct pvh_start_info),
	       "start info before the module list");
_Static_assert(LINUX_PVH_MEMMAP_OFFSET >= LINUX_PVH_MODLIST_OFFSET +
	       sizeof(struct pvh_module), "module before the memory map");
_Static_assert(LINUX_PVH_MEMMAP_OFFSET + LINUX_PVH_MEMMAP_MAX *
	       sizeof(struct pvh_memmap_entry) <= LINUX_PVH_PAGE_SIZE,
	       "the start info page holds it all");

enum linux_boot_status linux_build_pvh_start_info(void *page, size_t size,
						  const struct linux_boot_plan *plan,
						  const struct linux_boot_request *req)
{
	uint8_t *p = page;
	uint64_t base = plan->boot_params_addr;
	struct pvh_start_info si = {
		.magic = PVH_START_MAGIC,
		.version = 1,
		.cmdline_paddr = plan->cmdline_addr,
		.rsdp_paddr = req->rsdp_addr,
		.memmap_paddr = base + LINUX_PVH_MEMMAP_OFFSET,
	};
	struct pvh_module mod = {
		.paddr = plan->initrd_addr,
		.size = plan->initrd_size,
	};
	struct pvh_out o = {.table = p + LINUX_PVH_MEMMAP_OFFSET,
			    .max = LINUX_PVH_MEMMAP_MAX, .count = 0};
	enum linux_boot_status s;

	if (page == NULL || size < LINUX_PVH_PAGE_SIZE)
		return LINUX_BOOT_ERR_BUFFER;
	if (plan->mode != LINUX_BOOT_PVH)
		return LINUX_BOOT_ERR_ARGUMENT;
	memset(p, 0, LINUX_PVH_PAGE_SIZE);
	s = e820_walk(&req->mem, emit_pvh, &o);
	if (s != LINUX_BOOT_OK)
		return s;
	si.memmap_entries = (uint32_t)o.count;
	if (plan->initrd_size != 0) {
		si.nr_modules = 1;
		si.modlist_paddr = base + LINUX_PVH_MODLIST_OFFSET;
		memcpy(p + LINUX_PVH_MODLIST_OFFSET, &mod, sizeof(mod));
	}
	memcpy(p, &si, sizeof(si));
	return LINUX_BOOT_OK;
}

/* ========================================================== entry state */

static struct linux_segment seg(uint16_t sel, uint16_t attrib, uint32_t limit)
{
	return (struct linux_segment){.selector = sel, .attrib = attrib,
				      .limit = limit, .base = 0};
}

void linux_entry_state(const struct linux_boot_plan *plan,
		       struct linux_entry_state *st)
{
	bool pvh = plan->mode == LINUX_BOOT_PVH;

	memset(st, 0, sizeof(*st));
	st->mode = plan->mode;
	st->rip = plan->entry;
	st->rflags = LINUX_RFLAGS_RESERVED;
	st->ds = seg(LINUX_BOOT_DS, LINUX_SEG_DATA, 0xffffffff);
	st->es = st->ss = st->fs = st->gs = st->ds;
	st->tr = seg(0, LINUX_SEG_TSS_BUSY, 0x67);
	st->ldtr = seg(0, LINUX_SEG_LDT, 0xffff);
	if (pvh) {
		/* Xen's PVH ABI: protected mode, paging off, CR0.PE|ET,
		 * CR4 zero, flat CS/DS/ES/SS, EBX = start info. */
		st->rbx = plan->boot_params_addr;
		st->cr0 = LINUX_CR0_PE | LINUX_CR0_ET;
		st->cs = seg(LINUX_BOOT_CS, LINUX_SEG_CODE32, 0xffffffff);
		return;
	}
	/* boot.rst, 64-bit boot protocol: long mode, identity paging,
	 * __BOOT_CS/__BOOT_DS from a loaded GDT, IF clear, RSI = boot_params. */
	st->rsi = plan->boot_params_addr;
	st->rsp = plan->stack_top;
	st->cr0 = LINUX_CR0_PE | LINUX_CR0_ET | LINUX_CR0_NE | LINUX_CR0_PG;
	st->cr3 = plan->page_tables_addr;
	st->cr4 = LINUX_CR4_PAE;
	st->efer = LINUX_EFER_LME | LINUX_EFER_LMA;
	st->cs = seg(LINUX_BOOT_CS, LINUX_SEG_CODE64, 0xffffffff);
	st->gdt_base = plan->gdt_addr;
	st->gdt_limit = LINUX_GDT_SIZE - 1;
}

/* ============================================================== loading */

static enum linux_boot_status load_common(const struct linux_boot_plan *plan,
					  const struct linux_boot_request *req,
					  const char *cmdline, const void *initrd,
					  linux_write_fn write_fn, void *ctx)
{
	if (plan->initrd_size != req->initrd_size ||
	    plan->cmdline_len != req->cmdline_len ||
	    (plan->initrd_size != 0 && initrd == NULL) ||
	    (plan->cmdline_len != 0 && cmdline == NULL))
		return LINUX_BOOT_ERR_ARGUMENT;
	if (plan->initrd_size != 0 &&
	    !write_fn(ctx, plan->initrd_addr, initrd, plan->initrd_size))
		return LINUX_BOOT_ERR_WRITE;
	if ((plan->cmdline_len != 0 &&
	     !write_fn(ctx, plan->cmdline_addr, cmdline, plan->cmdline_len)) ||
	    !write_fn(ctx, plan->cmdline_addr + plan->cmdline_len, NULL, 1))
		return LINUX_BOOT_ERR_WRITE;
	return LINUX_BOOT_OK;
}

enum linux_boot_status linux_load_bzimage(const void *image, size_t size,
					  const struct bzimage_info *k,
					  const struct linux_boot_plan *plan,
					  const struct linux_boot_request *req,
					  const char *cmdline,
					  const void *initrd,
					  void *scratch,
					  linux_write_fn write_fn, void *ctx)
{
	const uint8_t *b = image;
	uint64_t gib = plan->identity_map_bytes / GIB;
	enum linux_boot_status s;

	if (scratch == NULL)
		return LINUX_BOOT_ERR_BUFFER;
	if (plan->mode != LINUX_BOOT_64BIT || image == NULL ||
	    size != k->image_size ||
	    !range_inside(k->kernel_offset, k->kernel_size, size) ||
	    k->kernel_offset + k->kernel_size != size ||
	    plan->kernel_load_size != k->kernel_size ||
	    plan->page_tables_size != linux_identity_map_size(gib, plan->gib_pages))
		return LINUX_BOOT_ERR_ARGUMENT;
	/* Build boot_params first: it re-checks the image. */
	s = linux_build_boot_params(scratch, image, size, k, plan, req);
	if (s != LINUX_BOOT_OK)
		return s;
	if (!write_fn(ctx, plan->boot_params_addr, scratch, sizeof(struct boot_params)))
		return LINUX_BOOT_ERR_WRITE;
	if (!write_fn(ctx, plan->kernel_addr, b + k->kernel_offset, k->kernel_size))
		return LINUX_BOOT_ERR_WRITE;
	s = load_common(plan, req, cmdline, initrd, write_fn, ctx);
	if (s != LINUX_BOOT_OK)
		return s;
	linux_build_gdt(scratch, LINUX_SCRATCH_SIZE);
	if (!write_fn(ctx, plan->gdt_addr, scratch, LINUX_GDT_SIZE) ||
	    !write_fn(ctx, plan->stack_top - PAGE, NULL, PAGE))
		return LINUX_BOOT_ERR_WRITE;
	for (size_t i = 0; i < plan->page_tables_size / PAGE; i++) {
		identity_map_page(scratch, i, plan->page_tables_addr, gib,
				  plan->gib_pages);
		if (!write_fn(ctx, plan->page_tables_addr + i * PAGE, scratch, PAGE))
			return LINUX_BOOT_ERR_WRITE;
	}
	return LINUX_BOOT_OK;
}

enum linux_boot_status linux_load_pvh(const void *image, size_t size,
				      const struct elf_image *k,
				      const struct linux_boot_plan *plan,
				      const struct linux_boot_request *req,
				      const char *cmdline,
				      const void *initrd,
				      void *scratch,
				      linux_write_fn write_fn, void *ctx)
{
	enum linux_boot_status s;
	enum elf_status es;

	if (scratch == NULL)
		return LINUX_BOOT_ERR_BUFFER;
	if (plan->mode != LINUX_BOOT_PVH || image == NULL ||
	    size != k->image_size || !k->has_pvh_entry ||
	    plan->entry != k->pvh_entry)
		return LINUX_BOOT_ERR_ARGUMENT;
	s = linux_build_pvh_start_info(scratch, LINUX_SCRATCH_SIZE, plan, req);
	if (s != LINUX_BOOT_OK)
		return s;
	es = elf_load_with(k, image, write_fn, ctx);
	if (es == ELF_ERR_DOES_NOT_FIT)
		return LINUX_BOOT_ERR_WRITE;
	if (es != ELF_OK)
		return LINUX_BOOT_ERR_ARGUMENT;
	s = load_common(plan, req, cmdline, initrd, write_fn, ctx);
	if (s != LINUX_BOOT_OK)
		return s;
	if (!write_fn(ctx, plan->boot_params_addr, scratch, LINUX_PVH_PAGE_SIZE))
		return LINUX_BOOT_ERR_WRITE;
	return LINUX_BOOT_OK;
}

const char *linux_boot_status_str(enum linux_boot_status s)
{
	switch (s) {
	case LINUX_BOOT_OK: return "ok";
	case LINUX_BOOT_ERR_TRUNCATED: return "the file ends inside the setup header, the setup code or the kernel";
	case LINUX_BOOT_ERR_BOOT_FLAG: return "no 0xaa55 boot flag at 0x1fe";
	case LINUX_BOOT_ERR_MAGIC: return "not a bzImage (no \"HdrS\" at 0x202)";
	case LINUX_BOOT_ERR_VERSION: return "boot protocol older than 2.12 (no 64-bit entry flag)";
	case LINUX_BOOT_ERR_HEADER: return "malformed setup header length (jump at 0x200)";
	case LINUX_BOOT_ERR_NOT_BZIMAGE: return "a zImage, not a bzImage (LOADED_HIGH clear)";
	case LINUX_BOOT_ERR_NOT_64BIT: return "no 64-bit entry point (XLF_KERNEL_64 clear)";
	case LINUX_BOOT_ERR_NO_ENTRY: return "the kernel ends before its 64-bit entry at 0x200";
	case LINUX_BOOT_ERR_ALIGNMENT: return "relocatable, with a kernel_alignment that is not a power of two from 4 KiB to 1 GiB";
	case LINUX_BOOT_ERR_PREF_ADDRESS: return "pref_address is not page-aligned or the kernel would run above 4 GiB";
	case LINUX_BOOT_ERR_INIT_SIZE: return "init_size is smaller than the kernel";
	case LINUX_BOOT_ERR_PAYLOAD: return "the payload lies outside the kernel";
	case LINUX_BOOT_ERR_NO_PVH_ENTRY: return "no PVH entry note";
	case LINUX_BOOT_ERR_RESERVED: return "bad reserved memory range";
	case LINUX_BOOT_ERR_CMDLINE: return "command line too long for the kernel";
	case LINUX_BOOT_ERR_KERNEL_ROOM: return "no room for the kernel";
	case LINUX_BOOT_ERR_INITRD_ROOM: return "no room for the initrd";
	case LINUX_BOOT_ERR_LOW_ROOM: return "no room below 640 KiB for the boot data";
	case LINUX_BOOT_ERR_E820_FULL: return "too many memory map entries";
	case LINUX_BOOT_ERR_BUFFER: return "buffer too small";
	case LINUX_BOOT_ERR_ARGUMENT: return "inconsistent arguments";
	case LINUX_BOOT_ERR_WRITE: return "does not fit in guest memory";
	}
	return "unknown Linux boot status";
}
