/* Frames in and out of virtio-net queues; lib/virtio_net_frame.h says what
 * is offered. On transmit, a header asking for what was not offered drops
 * that one frame (the caller counts it) instead of setting NEEDS_RESET: a
 * Linux driver does not recover from NEEDS_RESET, so one odd frame would
 * take the interface down for good, and a frame is all the driver stands
 * to lose by sending a bad one. */
#include "lib/virtio_net_frame.h"

#include "lib/string.h"

/* The Ethernet header a checksum cannot start inside (lib/vswitch.h's
 * VSWITCH_ETH_HLEN; checksums cover IP payloads, which come after it). */
#define ETH_HLEN 14u

/* Header field offsets, 5.1.6 (VERSION_1 layout). */
#define HDR_FLAGS 0
#define HDR_GSO_TYPE 1
#define HDR_HDR_LEN 2
#define HDR_GSO_SIZE 4
#define HDR_CSUM_START 6
#define HDR_CSUM_OFFSET 8
#define HDR_NUM_BUFFERS 10

/* A checksum field is 16 bits. */
#define CSUM_FIELD_LEN 2u

const char *virtio_net_status_str(enum virtio_net_status s)
{
	switch (s) {
	case VIRTIO_NET_OK:
		return "ok";
	case VIRTIO_NET_ERR_HDR_SHORT:
		return "chain shorter than a virtio-net header";
	case VIRTIO_NET_ERR_GSO:
		return "segmentation offload not offered";
	case VIRTIO_NET_ERR_CSUM_NOT_OFFERED:
		return "checksum offload not negotiated";
	case VIRTIO_NET_ERR_CSUM_RANGE:
		return "checksum offsets outside the frame";
	case VIRTIO_NET_ERR_TOO_LONG:
		return "frame too long";
	case VIRTIO_NET_ERR_COPY:
		return "guest memory copy failed";
	case VIRTIO_NET_ERR_RX_TOO_SMALL:
		return "receive buffer too small";
	}
	return "?";
}

/* ------------------------------------------------------------- config */

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The config space as the guest sees it, byte by byte (5.1.4). */
static void config_bytes(const struct virtio_net_config *cfg,
			 uint8_t out[VIRTIO_NET_CONFIG_SIZE])
{
	memcpy(out, cfg->mac, sizeof(cfg->mac));
	put_le(out + 6, cfg->status, 2);
	put_le(out + 8, cfg->max_virtqueue_pairs, 2);
	put_le(out + 10, cfg->mtu, 2);
	put_le(out + 12, cfg->speed, 4);
	out[16] = cfg->duplex;
	out[17] = cfg->rss_max_key_size;
	put_le(out + 18, cfg->rss_max_indirection_table_length, 2);
	put_le(out + 20, cfg->supported_hash_types, 4);
}

void virtio_net_config_init(struct virtio_net_config *cfg,
			    const uint8_t mac[6])
{
	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg->mac, mac, sizeof(cfg->mac));
	cfg->status = VIRTIO_NET_S_LINK_UP;
	cfg->max_virtqueue_pairs = 1;
	cfg->mtu = VIRTIO_NET_MTU;
	cfg->speed = VIRTIO_NET_SPEED_UNKNOWN;
	cfg->duplex = VIRTIO_NET_DUPLEX_UNKNOWN;
}

uint64_t virtio_net_config_read(const struct virtio_net_config *cfg,
				uint32_t offset, unsigned size)
{
	uint8_t bytes[VIRTIO_NET_CONFIG_SIZE];
	uint64_t v = 0;

	config_bytes(cfg, bytes);
	for (unsigned i = 0; i < size && i < 8; i++) {
		uint64_t at = (uint64_t)offset + i;

		if (at < VIRTIO_NET_CONFIG_SIZE)
			v |= (uint64_t)bytes[at] << (8 * i);
	}
	return v;
}

/* ------------------------------------------------------------- checksums */

bool virtio_net_csum_in_frame(size_t len, uint16_t start, uint16_t offset)
{
	return start >= ETH_HLEN &&
	       (size_t)start + offset + CSUM_FIELD_LEN <= len;
}

/* RFC 1071: the ones' complement sum of 16-bit big-endian words, an odd
 * last byte padded with a zero. 64 bits cannot overflow for any frame. */
static uint64_t sum_words(const uint8_t *p, size_t n)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint64_t)p[i] << 8 | p[i + 1];
	if (i < n)
		sum += (uint64_t)p[i] << 8;
	return sum;
}

static uint16_t fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t virtio_net_csum_compute(const uint8_t *frame, size_t len,
				 uint16_t start)
{
	uint16_t csum = (uint16_t)~fold(sum_words(frame + start, len - start));

	return csum == 0 ? 0xffff : csum;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void virtio_net_csum_complete(uint8_t *frame, size_t len,
			      struct virtio_net_csum *csum)
{
	if (!csum->partial)
		return;
	put_be16(frame + csum->start + csum->offset,
		 virtio_net_csum_compute(frame, len, csum->start));
	csum->partial = false;
}

/* ------------------------------------------------------------- header */

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void decode_hdr(const uint8_t raw[VIRTIO_NET_HDR_SIZE],
		       struct virtio_net_hdr *h)
{
	h->flags = raw[HDR_FLAGS];
	h->gso_type = raw[HDR_GSO_TYPE];
	h->hdr_len = get_le16(raw + HDR_HDR_LEN);
	h->gso_size = get_le16(raw + HDR_GSO_SIZE);
	h->csum_start = get_le16(raw + HDR_CSUM_START);
	h->csum_offset = get_le16(raw + HDR_CSUM_OFFSET);
	h->num_buffers = get_le16(raw + HDR_NUM_BUFFERS);
}

static void encode_hdr(const struct virtio_net_hdr *h,
		       uint8_t raw[VIRTIO_NET_HDR_SIZE])
{
	raw[HDR_FLAGS] = h->flags;
	raw[HDR_GSO_TYPE] = h->gso_type;
	put_le(raw + HDR_HDR_LEN, h->hdr_len, 2);
	put_le(raw + HDR_GSO_SIZE, h->gso_size, 2);
	put_le(raw + HDR_CSUM_START, h->csum_start, 2);
	put_le(raw + HDR_CSUM_OFFSET, h->csum_offset, 2);
	put_le(raw + HDR_NUM_BUFFERS, h->num_buffers, 2);
}

/* What a transmit header asks for, against what was offered (5.1.6.2).
 * Only NEEDS_CSUM is acted on. DATA_VALID and RSC_INFO mean nothing on
 * transmit and unknown bits must be ignored (5.1.6.2.2); hdr_len and
 * gso_size only matter with GSO, num_buffers only on receive. */
static enum virtio_net_status check_tx_hdr(const struct virtio_net_hdr *h,
					   uint64_t features, size_t frame_len,
					   struct virtio_net_csum *csum)
{
	if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return VIRTIO_NET_ERR_GSO;
	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return VIRTIO_NET_OK;
	if (!(features & VIRTIO_NET_F_CSUM))
		return VIRTIO_NET_ERR_CSUM_NOT_OFFERED;
	if (!virtio_net_csum_in_frame(frame_len, h->csum_start, h->csum_offset))
		return VIRTIO_NET_ERR_CSUM_RANGE;
	csum->partial = true;
	csum->start = h->csum_start;
	csum->offset = h->csum_offset;
	return VIRTIO_NET_OK;
}

/* ------------------------------------------------------------- transmit */

enum virtio_net_status virtio_net_tx_read(const struct virtq_chain *c,
					  const struct virtq_memory *m,
					  uint64_t features, uint8_t *buf,
					  size_t bufsize, size_t *len,
					  struct virtio_net_csum *csum)
{
	uint8_t raw[VIRTIO_NET_HDR_SIZE];
	struct virtio_net_hdr h;
	struct virtio_net_csum found = { false, 0, 0 };
	enum virtio_net_status st;
	size_t frame_len;

	*len = 0;
	*csum = found;
	if (c->readable_len < VIRTIO_NET_HDR_SIZE)
		return VIRTIO_NET_ERR_HDR_SHORT;
	frame_len = c->readable_len - VIRTIO_NET_HDR_SIZE;
	if (virtq_chain_read(c, m, 0, raw, sizeof(raw)) != sizeof(raw))
		return VIRTIO_NET_ERR_COPY;
	decode_hdr(raw, &h);
	st = check_tx_hdr(&h, features, frame_len, &found);
	if (st != VIRTIO_NET_OK)
		return st;
	if (frame_len > bufsize) {
		*len = frame_len;
		return VIRTIO_NET_ERR_TOO_LONG;
	}
	if (virtq_chain_read(c, m, VIRTIO_NET_HDR_SIZE, buf, frame_len) !=
	    frame_len)
		return VIRTIO_NET_ERR_COPY;
	*len = frame_len;
	*csum = found;
	return VIRTIO_NET_OK;
}

/* ------------------------------------------------------------- receive */

/* Writes src at `offset` of the chain's writable bytes, all or nothing. */
static bool write_all(const struct virtq_chain *c, const struct virtq_memory *m,
		      size_t offset, const void *src, size_t len)
{
	return virtq_chain_write(c, m, offset, src, len) == len;
}

/* The frame with its checksum field replaced by `field` (two bytes in
 * network order), so the shared frame buffer stays as it was for the
 * other receivers of a flood. */
static bool write_frame_patched(const struct virtq_chain *c,
				const struct virtq_memory *m,
				const uint8_t *frame, size_t len, size_t at,
				const uint8_t field[CSUM_FIELD_LEN])
{
	size_t after = at + CSUM_FIELD_LEN;

	return write_all(c, m, VIRTIO_NET_HDR_SIZE, frame, at) &&
	       write_all(c, m, VIRTIO_NET_HDR_SIZE + at, field,
			 CSUM_FIELD_LEN) &&
	       write_all(c, m, VIRTIO_NET_HDR_SIZE + after, frame + after,
			 len - after);
}

enum virtio_net_status virtio_net_rx_write(const struct virtq_chain *c,
					   const struct virtq_memory *m,
					   uint64_t features,
					   const uint8_t *frame, size_t len,
					   const struct virtio_net_csum *csum,
					   uint32_t *written)
{
	/* 5.1.6.4.1: num_buffers is 1 without MRG_RXBUF; flags are 0 unless
	 * GUEST_CSUM, gso_type NONE without GUEST_TSO/UFO. */
	struct virtio_net_hdr h = { .num_buffers = 1 };
	uint8_t raw[VIRTIO_NET_HDR_SIZE];
	bool partial = csum != NULL && csum->partial;
	bool complete = partial && !(features & VIRTIO_NET_F_GUEST_CSUM);
	bool ok;

	*written = 0;
	if (len > c->writable_len ||
	    c->writable_len - len < VIRTIO_NET_HDR_SIZE)
		return VIRTIO_NET_ERR_RX_TOO_SMALL;
	if (partial && !virtio_net_csum_in_frame(len, csum->start, csum->offset))
		return VIRTIO_NET_ERR_CSUM_RANGE;
	if (partial && !complete) {
		h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h.csum_start = csum->start;
		h.csum_offset = csum->offset;
	}
	encode_hdr(&h, raw);
	ok = write_all(c, m, 0, raw, sizeof(raw));
	if (ok && complete) {
		uint8_t field[CSUM_FIELD_LEN];

		put_be16(field, virtio_net_csum_compute(frame, len, csum->start));
		ok = write_frame_patched(c, m, frame, len,
					 (size_t)csum->start + csum->offset,
					 field);
	} else if (ok) {
		ok = write_all(c, m, VIRTIO_NET_HDR_SIZE, frame, len);
	}
	if (!ok)
		return VIRTIO_NET_ERR_COPY;
	*written = (uint32_t)(VIRTIO_NET_HDR_SIZE + len);
	return VIRTIO_NET_OK;
}
