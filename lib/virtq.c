/* Split virtqueues, the device's side (virtio 1.2, section 2.7). See
 * lib/virtq.h and docs/virtio.md. The guest may rewrite anything here at
 * any moment from another CPU, so every value read from its memory is
 * read once into a local and checked before it is used. */
#include "lib/virtq.h"
#include "lib/string.h"

/* Offsets inside the rings, 2.7: avail is flags, idx, ring[size],
 * used_event; used is flags, idx, ring[size] of {le32 id, le32 len},
 * avail_event. */
#define RING_FLAGS 0u
#define RING_IDX 2u
#define RING_ENTRIES 4u

/* The descriptor as the guest wrote it (2.7.5), decoded from a local copy. */
struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* The state of one chain walk: the chain being filled and whether a
 * writable buffer was already seen (a readable one may not follow). */
struct walk {
	struct virtq_chain *c;
	bool seen_writable;
};

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)le16(p) | ((uint32_t)le16(p + 2) << 16);
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | ((uint64_t)le32(p + 4) << 32);
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static bool read_u16(const struct virtq_memory *m, uint64_t gpa, uint16_t *v)
{
	uint8_t b[2];

	if (!m->read(m->ctx, gpa, b, sizeof(b)))
		return false;
	*v = le16(b);
	return true;
}

static bool write_u16(const struct virtq_memory *m, uint64_t gpa, uint16_t v)
{
	uint8_t b[2];

	put_le16(b, v);
	return m->write(m->ctx, gpa, b, sizeof(b));
}

/* Ring sizes in bytes, as in 2.7's table "Virtqueue Part Sizes": the
 * event fields are always there, whether EVENT_IDX is used or not. */
static uint64_t desc_table_bytes(uint16_t size)
{
	return (uint64_t)VIRTQ_DESC_SIZE * size;
}

static uint64_t avail_ring_bytes(uint16_t size)
{
	return 6 + 2 * (uint64_t)size;
}

static uint64_t used_ring_bytes(uint16_t size)
{
	return 6 + (uint64_t)VIRTQ_USED_ELEM_SIZE * size;
}

static uint64_t used_event_addr(const struct virtq *q)
{
	return q->avail_addr + RING_ENTRIES + 2 * (uint64_t)q->size;
}

static uint64_t avail_event_addr(const struct virtq *q)
{
	return q->used_addr + RING_ENTRIES +
	       (uint64_t)VIRTQ_USED_ELEM_SIZE * q->size;
}

const char *virtq_error_str(enum virtq_error e)
{
	switch (e) {
	case VIRTQ_OK: return "no error";
	case VIRTQ_ERR_SIZE:
		return "the queue size is 0, above 256 or not a power of 2";
	case VIRTQ_ERR_ALIGN: return "a ring address is misaligned";
	case VIRTQ_ERR_RING_NOT_RAM: return "a ring is not in the guest's RAM";
	case VIRTQ_ERR_AVAIL_IDX:
		return "avail->idx ran more than the queue size ahead";
	case VIRTQ_ERR_HEAD:
		return "a descriptor index is beyond the table";
	case VIRTQ_ERR_LOOP: return "a descriptor chain loops";
	case VIRTQ_ERR_TOO_LONG:
		return "a descriptor chain has more than 256 buffers";
	case VIRTQ_ERR_LENGTH:
		return "a descriptor chain's length overflows 32 bits";
	case VIRTQ_ERR_BUFFER_NOT_RAM:
		return "a buffer is not in the guest's RAM";
	case VIRTQ_ERR_ORDER:
		return "a device-readable buffer follows a writable one";
	case VIRTQ_ERR_INDIRECT:
		return "an indirect descriptor is not allowed or malformed";
	case VIRTQ_ERR_DISABLED: return "the queue is not enabled";
	}
	return "unknown error";
}

_Static_assert(VIRTQ_CHAIN_MAX_SEGS == 256 && VIRTQ_MAX_SIZE == 256,
	       "virtq_error_str names the limits");

static bool size_is_valid(uint16_t size)
{
	return size != 0 && size <= VIRTQ_MAX_SIZE && (size & (size - 1)) == 0;
}

enum virtq_error virtq_enable(struct virtq *q, const struct virtq_memory *m)
{
	q->enabled = false;
	if (!size_is_valid(q->size))
		return VIRTQ_ERR_SIZE;
	if (q->desc_addr % VIRTQ_DESC_ALIGN || q->avail_addr % VIRTQ_AVAIL_ALIGN ||
	    q->used_addr % VIRTQ_USED_ALIGN)
		return VIRTQ_ERR_ALIGN;
	if (!m->is_ram(m->ctx, q->desc_addr, desc_table_bytes(q->size)) ||
	    !m->is_ram(m->ctx, q->avail_addr, avail_ring_bytes(q->size)) ||
	    !m->is_ram(m->ctx, q->used_addr, used_ring_bytes(q->size)))
		return VIRTQ_ERR_RING_NOT_RAM;
	/* A freshly enabled queue starts at index 0 on both sides (2.7.13). */
	q->last_avail = 0;
	q->used_idx = 0;
	q->signalled_used = 0;
	q->signalled_used_valid = false;
	q->enabled = true;
	return VIRTQ_OK;
}

void virtq_reset(struct virtq *q)
{
	memset(q, 0, sizeof(*q));
}

/* Copies descriptor `index` of the table at `table` out of guest memory. */
static bool read_desc(const struct virtq_memory *m, uint64_t table,
		      uint32_t index, struct desc *d)
{
	uint8_t b[VIRTQ_DESC_SIZE];

	if (!m->read(m->ctx, table + (uint64_t)index * VIRTQ_DESC_SIZE, b,
		     sizeof(b)))
		return false;
	d->addr = le64(b);
	d->len = le32(b + 8);
	d->flags = le16(b + 12);
	d->next = le16(b + 14);
	return true;
}

/* Adds one buffer to the chain, checking the order of readable and
 * writable buffers, its place in RAM, the segment limit and the total. */
static enum virtq_error add_buffer(struct walk *w, const struct virtq_memory *m,
				   const struct desc *d)
{
	struct virtq_chain *c = w->c;
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;

	if (d->len == 0)
		return VIRTQ_OK;	/* carries no bytes: dropped */
	if (writable)
		w->seen_writable = true;
	else if (w->seen_writable)
		return VIRTQ_ERR_ORDER;	/* 2.7.4.2: readable ones come first */
	if (!m->is_ram(m->ctx, d->addr, d->len))
		return VIRTQ_ERR_BUFFER_NOT_RAM;
	if (c->count == VIRTQ_CHAIN_MAX_SEGS)
		return VIRTQ_ERR_TOO_LONG;
	/* Both totals are below 2^32, so their sum cannot wrap 64 bits. */
	if ((uint64_t)c->readable_len + c->writable_len + d->len > UINT32_MAX)
		return VIRTQ_ERR_LENGTH;
	c->seg[c->count].addr = d->addr;
	c->seg[c->count].len = d->len;
	c->count++;
	if (writable) {
		c->writable_len += d->len;
	} else {
		c->readable++;
		c->readable_len += d->len;
	}
	return VIRTQ_OK;
}

/* 2.7.5.3.1: an indirect table is a whole number of descriptors, and we
 * take at most VIRTQ_CHAIN_MAX_SEGS of them. */
static bool indirect_table_is_valid(const struct desc *d)
{
	return d->len != 0 && d->len % VIRTQ_DESC_SIZE == 0 &&
	       d->len / VIRTQ_DESC_SIZE <= VIRTQ_CHAIN_MAX_SEGS;
}

/* Walks the chain inside an indirect table, starting at its entry 0. More
 * visits than the table has entries means a loop. */
static enum virtq_error walk_indirect(struct walk *w,
				      const struct virtq_memory *m,
				      const struct desc *ind)
{
	uint32_t entries = ind->len / VIRTQ_DESC_SIZE;
	uint32_t index = 0;
	uint32_t visited = 0;
	struct desc d;

	if (!m->is_ram(m->ctx, ind->addr, ind->len))
		return VIRTQ_ERR_BUFFER_NOT_RAM;
	for (;;) {
		if (index >= entries)
			return VIRTQ_ERR_HEAD;
		if (++visited > entries)
			return VIRTQ_ERR_LOOP;
		if (!read_desc(m, ind->addr, index, &d))
			return VIRTQ_ERR_BUFFER_NOT_RAM;
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return VIRTQ_ERR_INDIRECT;	/* nested */
		enum virtq_error e = add_buffer(w, m, &d);
		if (e != VIRTQ_OK)
			return e;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return VIRTQ_OK;
		index = d.next;
	}
}

/* A descriptor that points at an indirect table: only when negotiated,
 * never with NEXT (so it ends the chain). The device ignores its WRITE
 * flag (2.7.5.3.2). */
static enum virtq_error follow_indirect(const struct virtq *q, struct walk *w,
					const struct virtq_memory *m,
					const struct desc *d)
{
	if (!q->indirect || (d->flags & VIRTQ_DESC_F_NEXT) ||
	    !indirect_table_is_valid(d))
		return VIRTQ_ERR_INDIRECT;
	return walk_indirect(w, m, d);
}

/* Walks the chain that starts at descriptor `head` of the queue's table.
 * A chain cannot visit more descriptors than the table has without
 * visiting one twice, so that many visits is a loop. */
static enum virtq_error walk_chain(const struct virtq *q,
				   const struct virtq_memory *m, uint16_t head,
				   struct virtq_chain *c)
{
	struct walk w = {.c = c, .seen_writable = false};
	uint32_t index = head;
	uint32_t visited = 0;
	struct desc d;

	c->head = head;
	c->readable = 0;
	c->count = 0;
	c->readable_len = 0;
	c->writable_len = 0;
	for (;;) {
		if (index >= q->size)
			return VIRTQ_ERR_HEAD;
		if (++visited > q->size)
			return VIRTQ_ERR_LOOP;
		if (!read_desc(m, q->desc_addr, index, &d))
			return VIRTQ_ERR_RING_NOT_RAM;
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return follow_indirect(q, &w, m, &d);
		enum virtq_error e = add_buffer(&w, m, &d);
		if (e != VIRTQ_OK)
			return e;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return VIRTQ_OK;
		index = d.next;
	}
}

/* How many chains the driver has made available that we have not taken,
 * from avail->idx (read once). */
static enum virtq_error avail_pending(const struct virtq *q,
				      const struct virtq_memory *m,
				      uint16_t *pending)
{
	uint16_t avail_idx;

	if (!read_u16(m, q->avail_addr + RING_IDX, &avail_idx))
		return VIRTQ_ERR_RING_NOT_RAM;
	*pending = (uint16_t)(avail_idx - q->last_avail);
	if (*pending > q->size)
		return VIRTQ_ERR_AVAIL_IDX;
	return VIRTQ_OK;
}

enum virtq_error virtq_pop(struct virtq *q, const struct virtq_memory *m,
			   struct virtq_chain *c, bool *got)
{
	uint16_t pending, head;

	*got = false;
	if (!q->enabled)
		return VIRTQ_ERR_DISABLED;
	enum virtq_error e = avail_pending(q, m, &pending);
	if (e != VIRTQ_OK || pending == 0)
		return e;
	/* The driver wrote the ring entry before avail->idx (2.7.13.3): read
	 * it only after the index. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	uint64_t slot = q->last_avail & (q->size - 1u);
	if (!read_u16(m, q->avail_addr + RING_ENTRIES + 2 * slot, &head))
		return VIRTQ_ERR_RING_NOT_RAM;
	e = walk_chain(q, m, head, c);
	if (e != VIRTQ_OK)
		return e;
	q->last_avail++;
	*got = true;
	return VIRTQ_OK;
}

enum virtq_error virtq_push(struct virtq *q, const struct virtq_memory *m,
			    uint16_t head, uint32_t written)
{
	uint8_t elem[VIRTQ_USED_ELEM_SIZE];

	if (!q->enabled)
		return VIRTQ_ERR_DISABLED;
	if (head >= q->size)
		return VIRTQ_ERR_HEAD;
	put_le32(elem, head);
	put_le32(elem + 4, written);
	uint64_t slot = q->used_idx & (q->size - 1u);
	if (!m->write(m->ctx, q->used_addr + RING_ENTRIES +
				      slot * VIRTQ_USED_ELEM_SIZE,
		      elem, sizeof(elem)))
		return VIRTQ_ERR_RING_NOT_RAM;
	/* The driver must see the element before the index that covers it
	 * (2.7.8); x86 keeps stores in order, so this only stops the
	 * compiler. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (!write_u16(m, q->used_addr + RING_IDX, (uint16_t)(q->used_idx + 1)))
		return VIRTQ_ERR_RING_NOT_RAM;
	q->used_idx++;
	return VIRTQ_OK;
}

/* 2.7.7.2: interrupt when used_event lies in [old, new), the entries
 * added since the last check; all in 16-bit arithmetic. */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

bool virtq_should_interrupt(struct virtq *q, const struct virtq_memory *m)
{
	if (!q->enabled)
		return false;
	/* Our used->idx store must be visible before we read what the driver
	 * asked for, or both sides may decide the other will act (a store
	 * followed by a load: x86 reorders those, so a full fence). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!q->event_idx) {
		uint16_t flags;
		if (!read_u16(m, q->avail_addr + RING_FLAGS, &flags))
			return true;
		return !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
	uint16_t used_event;
	if (!read_u16(m, used_event_addr(q), &used_event))
		return true;
	uint16_t old_idx = q->signalled_used;
	bool had_checked = q->signalled_used_valid;
	/* Each check covers the entries since the previous one, whatever it
	 * answered: an event the driver placed in an earlier range has
	 * passed. */
	q->signalled_used = q->used_idx;
	q->signalled_used_valid = true;
	return !had_checked || need_event(used_event, q->used_idx, old_idx);
}

bool virtq_enable_notify(struct virtq *q, const struct virtq_memory *m,
			 bool want_notify)
{
	uint16_t pending;
	bool wrote;

	if (!q->enabled)
		return false;
	if (q->event_idx) {
		/* Without a new avail_event the driver stays quiet once its
		 * idx has passed the old one: nothing to write to stay so. */
		wrote = !want_notify ||
			write_u16(m, avail_event_addr(q), q->last_avail);
	} else {
		wrote = write_u16(m, q->used_addr + RING_FLAGS,
				  want_notify ? 0 : VIRTQ_USED_F_NO_NOTIFY);
	}
	/* The driver writes avail->idx then reads our flag or avail_event;
	 * we write those then read avail->idx. Without a full fence both
	 * could miss the other's store and a chain would wait forever. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* An unreadable ring or an impossible idx says "look": the next pop
	 * reports the error. */
	if (!wrote || avail_pending(q, m, &pending) != VIRTQ_OK)
		return true;
	return pending != 0;
}

/* Copies up to `len` bytes at byte `offset` of the buffers seg[first ..
 * end), through `copy_one` (a read or a write of guest memory). */
typedef bool (*seg_copy_fn)(const struct virtq_memory *m, uint64_t gpa,
			    uint8_t *host, size_t len);

static size_t chain_copy(const struct virtq_chain *c,
			 const struct virtq_memory *m, unsigned first,
			 unsigned end, size_t offset, uint8_t *host, size_t len,
			 seg_copy_fn copy_one)
{
	size_t done = 0;

	for (unsigned i = first; i < end && done < len; i++) {
		const struct virtq_seg *s = &c->seg[i];
		if (offset >= s->len) {
			offset -= s->len;
			continue;
		}
		size_t chunk = s->len - offset;
		if (chunk > len - done)
			chunk = len - done;
		if (!copy_one(m, s->addr + offset, host + done, chunk))
			break;
		done += chunk;
		offset = 0;
	}
	return done;
}

static bool copy_from_guest(const struct virtq_memory *m, uint64_t gpa,
			    uint8_t *host, size_t len)
{
	return m->read(m->ctx, gpa, host, len);
}

static bool copy_to_guest(const struct virtq_memory *m, uint64_t gpa,
			  uint8_t *host, size_t len)
{
	return m->write(m->ctx, gpa, host, len);
}

size_t virtq_chain_read(const struct virtq_chain *c,
			const struct virtq_memory *m, size_t offset, void *dst,
			size_t len)
{
	return chain_copy(c, m, 0, c->readable, offset, dst, len,
			  copy_from_guest);
}

size_t virtq_chain_write(const struct virtq_chain *c,
			 const struct virtq_memory *m, size_t offset,
			 const void *src, size_t len)
{
	/* chain_copy only reads from `host` through copy_to_guest. */
	return chain_copy(c, m, c->readable, c->count, offset, (uint8_t *)src,
			  len, copy_to_guest);
}
