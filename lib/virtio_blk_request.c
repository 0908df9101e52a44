/* virtio-blk requests (virtio 1.2, 5.2.6) over a copy-on-write store. The
 * layout of a chain is the driver's choice: the header is the first 16
 * readable bytes wherever the buffers split them, an OUT request's data
 * the readable bytes after it, an IN request's data the writable bytes
 * before the status, and the status the last writable byte. Nothing the
 * guest wrote is used before it is copied out and checked; the disk is
 * touched only through lib/block_store.h, whose image is never written. */
#include "lib/virtio_blk_request.h"

#include "lib/string.h"

/* Zero pieces of an IN request are copied from here. */
#define ZERO_BUFFER_SIZE 4096u
static const uint8_t zero_buffer[ZERO_BUFFER_SIZE];

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
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

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

/* --------------------------------------------- features and config space */

void vblk_set_serial(struct vblk_disk *d, const char *s)
{
	size_t n = strnlen(s, VIRTIO_BLK_ID_BYTES);

	memset(d->serial, 0, sizeof(d->serial));
	memcpy(d->serial, s, n);
}

uint64_t vblk_features(const struct vblk_disk *d)
{
	uint64_t f = VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_SEG_MAX |
		     VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_TOPOLOGY |
		     VIRTIO_BLK_F_FLUSH;	/* 5.2.5.2: SHOULD always offer */

	/* A read-only disk offers nothing that writes (5.2.6.2 would make
	 * each such request fail anyway). */
	if (d->read_only)
		return f | VIRTIO_BLK_F_RO;
	f |= VIRTIO_BLK_F_WRITE_ZEROES;
	if (d->discard)
		f |= VIRTIO_BLK_F_DISCARD;
	return f;
}

static uint64_t capacity_sectors(const struct vblk_disk *d)
{
	return block_store_capacity(d->store) / VIRTIO_BLK_SECTOR_SIZE;
}

void vblk_config_space(const struct vblk_disk *d,
		       uint8_t cfg[VIRTIO_BLK_CONFIG_SIZE])
{
	/* Geometry, writeback and the padding stay 0 (5.2.5.2: unused0 and
	 * unused1 MUST be 0). */
	memset(cfg, 0, VIRTIO_BLK_CONFIG_SIZE);
	put_le64(cfg + VIRTIO_BLK_CFG_CAPACITY, capacity_sectors(d));
	put_le32(cfg + VIRTIO_BLK_CFG_SIZE_MAX, VIRTIO_BLK_SIZE_MAX);
	put_le32(cfg + VIRTIO_BLK_CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX);
	put_le32(cfg + VIRTIO_BLK_CFG_BLK_SIZE, VIRTIO_BLK_BLK_SIZE);
	cfg[VIRTIO_BLK_CFG_PHYSICAL_BLOCK_EXP] = VIRTIO_BLK_PHYSICAL_BLOCK_EXP;
	put_le16(cfg + VIRTIO_BLK_CFG_MIN_IO_SIZE, VIRTIO_BLK_MIN_IO_BLOCKS);
	put_le32(cfg + VIRTIO_BLK_CFG_OPT_IO_SIZE, VIRTIO_BLK_OPT_IO_BLOCKS);
	put_le16(cfg + VIRTIO_BLK_CFG_NUM_QUEUES, 1);
	put_le32(cfg + VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS,
		 VIRTIO_BLK_MAX_DISCARD_SECTORS);
	put_le32(cfg + VIRTIO_BLK_CFG_MAX_DISCARD_SEG, VIRTIO_BLK_MAX_DISCARD_SEG);
	put_le32(cfg + VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT,
		 VIRTIO_BLK_DISCARD_ALIGNMENT_SECTORS);
	put_le32(cfg + VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS,
		 VIRTIO_BLK_MAX_WRITE_ZEROES_SECTORS);
	put_le32(cfg + VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG,
		 VIRTIO_BLK_MAX_WRITE_ZEROES_SEG);
	/* Whole chunks of a write zeroes are freed: it can deallocate. */
	cfg[VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP] = 1;
}

const char *vblk_fault_str(enum vblk_fault f)
{
	switch (f) {
	case VBLK_FAULT_NONE: return "no fault";
	case VBLK_FAULT_NO_HEADER: return "request header shorter than 16 bytes";
	case VBLK_FAULT_NO_STATUS: return "request without a writable status byte";
	case VBLK_FAULT_MEMORY: return "request buffer copy failed";
	}
	return "unknown fault";
}

/* ---------------------------------------------------------------- requests */

/* One request while it is carried out. A step that fails sets `fault`
 * and returns false; a status for the guest is just a return value. */
struct request {
	struct vblk_disk *d;
	const struct virtq_chain *c;
	const struct virtq_memory *m;
	uint32_t type;
	uint64_t sector;
	uint32_t out_len;	/* readable bytes after the header */
	uint32_t in_len;	/* writable bytes before the status */
	uint32_t data_written;	/* into the writable bytes, status aside */
	enum vblk_fault fault;
};

/* True when `sectors` from `sector` lie within the disk. */
static bool sectors_in_disk(const struct request *rq, uint64_t sector,
			    uint64_t sectors)
{
	uint64_t cap = capacity_sectors(rq->d);

	return sector <= cap && sectors <= cap - sector;
}

/* A data transfer's length: whole sectors, no more than we advertise,
 * inside the disk from rq->sector. */
static bool transfer_ok(const struct request *rq, uint32_t len)
{
	return len % VIRTIO_BLK_SECTOR_SIZE == 0 && len <= VIRTIO_BLK_MAX_DATA &&
	       sectors_in_disk(rq, rq->sector, len / VIRTIO_BLK_SECTOR_SIZE);
}

static bool to_guest(struct request *rq, size_t at, const void *src, size_t n)
{
	if (virtq_chain_write(rq->c, rq->m, at, src, n) != n) {
		rq->fault = VBLK_FAULT_MEMORY;
		return false;
	}
	return true;
}

static bool from_guest(struct request *rq, size_t at, void *dst, size_t n)
{
	if (virtq_chain_read(rq->c, rq->m, at, dst, n) != n) {
		rq->fault = VBLK_FAULT_MEMORY;
		return false;
	}
	return true;
}

/* Zeros into the writable bytes at `at`, from the shared zero buffer. */
static bool zeros_to_guest(struct request *rq, size_t at, size_t n)
{
	while (n > 0) {
		size_t k = n < ZERO_BUFFER_SIZE ? n : ZERO_BUFFER_SIZE;

		if (!to_guest(rq, at, zero_buffer, k))
			return false;
		at += k;
		n -= k;
	}
	return true;
}

static uint8_t do_in(struct request *rq)
{
	uint64_t off;
	size_t done = 0;

	if (!transfer_ok(rq, rq->in_len))
		return VIRTIO_BLK_S_IOERR;
	off = rq->sector * VIRTIO_BLK_SECTOR_SIZE;
	while (done < rq->in_len) {
		const void *src;
		size_t n;

		/* The range was checked; a failure here would be a bug, and
		 * must not become an endless loop. */
		if (block_store_map_read(rq->d->store, off + done,
					 rq->in_len - done, &src, &n) !=
		    BLOCK_STORE_OK || n == 0)
			return VIRTIO_BLK_S_IOERR;
		if (src ? !to_guest(rq, done, src, n)
			: !zeros_to_guest(rq, done, n))
			return VIRTIO_BLK_S_IOERR;
		done += n;
	}
	rq->data_written = rq->in_len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t do_out(struct request *rq)
{
	uint64_t off;
	size_t done = 0;

	/* 5.2.6.2: MUST fail, and MUST NOT write any data. */
	if (rq->d->read_only || !transfer_ok(rq, rq->out_len))
		return VIRTIO_BLK_S_IOERR;
	off = rq->sector * VIRTIO_BLK_SECTOR_SIZE;
	while (done < rq->out_len) {
		void *dst;
		size_t n;

		if (block_store_map_write(rq->d->store, off + done,
					  rq->out_len - done, &dst, &n) !=
		    BLOCK_STORE_OK || n == 0)
			return VIRTIO_BLK_S_IOERR;	/* out of memory */
		if (!from_guest(rq, VIRTIO_BLK_REQ_HEADER_SIZE + done, dst, n))
			return VIRTIO_BLK_S_IOERR;
		done += n;
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t do_get_id(struct request *rq)
{
	/* 5.2.6.1: the data MUST be 20 bytes; more is tolerated. */
	if (rq->in_len < VIRTIO_BLK_ID_BYTES)
		return VIRTIO_BLK_S_IOERR;
	if (!to_guest(rq, 0, rq->d->serial, VIRTIO_BLK_ID_BYTES))
		return VIRTIO_BLK_S_IOERR;
	rq->data_written = VIRTIO_BLK_ID_BYTES;
	return VIRTIO_BLK_S_OK;
}

/* ------------------------------------------- discard and write zeroes */

struct dwz_segment {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

static bool is_discard(const struct request *rq)
{
	return rq->type == VIRTIO_BLK_T_DISCARD;
}

/* The segments' status before any is carried out: 5.2.6.2 wants UNSUPP
 * for an unknown flag, or unmap on a discard; the driver rules of 5.2.6.1
 * and our limits (5.2.4) give IOERR. */
static uint8_t check_segments(const struct request *rq,
			      const struct dwz_segment *seg, uint32_t count)
{
	uint32_t max_sectors = is_discard(rq) ? VIRTIO_BLK_MAX_DISCARD_SECTORS
					      : VIRTIO_BLK_MAX_WRITE_ZEROES_SECTORS;
	uint32_t allowed = is_discard(rq) ? 0 : VIRTIO_BLK_DWZ_F_UNMAP;

	for (uint32_t i = 0; i < count; i++) {
		if (seg[i].flags & ~allowed)
			return VIRTIO_BLK_S_UNSUPP;
	}
	for (uint32_t i = 0; i < count; i++) {
		if (seg[i].num_sectors > max_sectors ||
		    !sectors_in_disk(rq, seg[i].sector, seg[i].num_sectors))
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

static bool read_segments(struct request *rq, struct dwz_segment *seg,
			  uint32_t count)
{
	for (uint32_t i = 0; i < count; i++) {
		uint8_t raw[VIRTIO_BLK_DWZ_SEGMENT_SIZE];

		if (!from_guest(rq, VIRTIO_BLK_REQ_HEADER_SIZE +
				    (size_t)i * VIRTIO_BLK_DWZ_SEGMENT_SIZE,
				raw, sizeof(raw)))
			return false;
		seg[i].sector = get_le64(raw);
		seg[i].num_sectors = get_le32(raw + 8);
		seg[i].flags = get_le32(raw + 12);
	}
	return true;
}

static uint8_t do_discard_write_zeroes(struct request *rq)
{
	struct dwz_segment seg[VIRTIO_BLK_MAX_DISCARD_SEG];
	uint32_t max_seg = is_discard(rq) ? VIRTIO_BLK_MAX_DISCARD_SEG
					  : VIRTIO_BLK_MAX_WRITE_ZEROES_SEG;
	uint32_t count = rq->out_len / VIRTIO_BLK_DWZ_SEGMENT_SIZE;
	uint8_t status;

	_Static_assert(VIRTIO_BLK_MAX_WRITE_ZEROES_SEG <= VIRTIO_BLK_MAX_DISCARD_SEG,
		       "seg[] holds either request's segments");
	if (rq->d->read_only)
		return VIRTIO_BLK_S_IOERR;
	if (is_discard(rq) && !rq->d->discard)
		return VIRTIO_BLK_S_UNSUPP;	/* not offered: no-discard */
	if (count == 0 || count > max_seg ||
	    rq->out_len % VIRTIO_BLK_DWZ_SEGMENT_SIZE != 0)
		return VIRTIO_BLK_S_IOERR;
	if (!read_segments(rq, seg, count))
		return VIRTIO_BLK_S_IOERR;
	status = check_segments(rq, seg, count);
	for (uint32_t i = 0; i < count && status == VIRTIO_BLK_S_OK; i++) {
		uint64_t off = seg[i].sector * VIRTIO_BLK_SECTOR_SIZE;
		uint64_t len = (uint64_t)seg[i].num_sectors * VIRTIO_BLK_SECTOR_SIZE;

		if (is_discard(rq))
			block_store_discard(rq->d->store, off, len);
		else if (block_store_write_zeroes(rq->d->store, off, len) !=
			 BLOCK_STORE_OK)
			status = VIRTIO_BLK_S_IOERR;	/* out of memory */
	}
	return status;
}

/* ------------------------------------------------------------- dispatch */

static uint8_t carry_out(struct request *rq)
{
	switch (rq->type) {
	case VIRTIO_BLK_T_IN:
		return do_in(rq);
	case VIRTIO_BLK_T_OUT:
		return do_out(rq);
	case VIRTIO_BLK_T_FLUSH:
		/* The store is the disk: a completed write is already as
		 * stable as it will ever be. */
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		return do_get_id(rq);
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return do_discard_write_zeroes(rq);
	default:
		/* GET_LIFETIME, SECURE_ERASE, the zone requests (5.2.6.2:
		 * MUST be UNSUPP without VIRTIO_BLK_F_ZONED), legacy SCSI and
		 * anything unknown. */
		return VIRTIO_BLK_S_UNSUPP;
	}
}

enum vblk_fault vblk_handle(struct vblk_disk *d, const struct virtq_chain *c,
			    const struct virtq_memory *m, struct vblk_result *r)
{
	uint8_t header[VIRTIO_BLK_REQ_HEADER_SIZE];
	struct request rq = { .d = d, .c = c, .m = m };
	uint8_t status;

	r->status = VIRTIO_BLK_S_IOERR;
	r->written = 0;
	if (c->writable_len == 0)
		return VBLK_FAULT_NO_STATUS;
	if (c->readable_len < VIRTIO_BLK_REQ_HEADER_SIZE)
		return VBLK_FAULT_NO_HEADER;
	if (!from_guest(&rq, 0, header, sizeof(header)))
		return rq.fault;
	rq.type = get_le32(header);
	rq.sector = get_le64(header + 8);	/* header + 4 is reserved */
	rq.out_len = c->readable_len - VIRTIO_BLK_REQ_HEADER_SIZE;
	rq.in_len = c->writable_len - 1;
	status = carry_out(&rq);
	if (rq.fault != VBLK_FAULT_NONE)
		return rq.fault;
	if (status != VIRTIO_BLK_S_OK)
		rq.data_written = 0;
	if (!to_guest(&rq, rq.in_len, &status, 1))
		return rq.fault;
	r->status = status;
	r->written = rq.data_written + 1;
	return VBLK_FAULT_NONE;
}
