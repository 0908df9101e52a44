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
		return "segmentation offload type not negotiated";
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
	case VIRTIO_NET_ERR_GSO_FIELDS:
		return "segmentation offload header not valid";
	case VIRTIO_NET_ERR_RX_NO_GSO:
		return "receiver did not negotiate the segmentation offload";
	case VIRTIO_NET_ERR_RX_NO_BUFFER:
		return "no receive buffer";
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
			      struct virtio_net_offload *off)
{
	if (!off->partial)
		return;
	put_be16(frame + off->csum_start + off->csum_offset,
		 virtio_net_csum_compute(frame, len, off->csum_start));
	off->partial = false;
}

/* ------------------------------------------------------------- GSO */

static bool is_gso(const struct virtio_net_offload *off)
{
	return off != NULL && off->gso_type != VIRTIO_NET_HDR_GSO_NONE;
}

/* The features a driver needs to send (host) or receive (guest) this
 * gso_type, or 0 when it is none the device handles: TCP over IPv4 or
 * IPv6, perhaps with the ECN bit. UDP (UFO), UDP_L4 (USO) and unknown
 * types are not offered. */
static uint64_t gso_features(uint8_t gso_type, bool host)
{
	uint64_t need;

	switch (gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
		need = host ? VIRTIO_NET_F_HOST_TSO4 : VIRTIO_NET_F_GUEST_TSO4;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		need = host ? VIRTIO_NET_F_HOST_TSO6 : VIRTIO_NET_F_GUEST_TSO6;
		break;
	default:
		return 0;
	}
	if (gso_type & VIRTIO_NET_HDR_GSO_ECN)
		need |= host ? VIRTIO_NET_F_HOST_ECN : VIRTIO_NET_F_GUEST_ECN;
	return need;
}

/* The fields a GSO frame must have for its receiver to make sense of it
 * (5.1.6.2): a partial checksum, TCP's, a segment size, headers that end
 * inside the frame. The checksum's range is checked on its own. */
static bool gso_fields_ok(size_t len, const struct virtio_net_offload *off)
{
	return off->partial &&
	       off->csum_offset == VIRTIO_NET_TCP_CSUM_OFFSET &&
	       off->gso_size > 0 && off->hdr_len <= len;
}

bool virtio_net_offload_valid(size_t len, const struct virtio_net_offload *off)
{
	if (off == NULL)
		return true;
	if (off->partial &&
	    !virtio_net_csum_in_frame(len, off->csum_start, off->csum_offset))
		return false;
	if (!is_gso(off))
		return true;
	return gso_features(off->gso_type, false) != 0 &&
	       gso_fields_ok(len, off);
}

bool virtio_net_rx_takes(uint64_t features,
			 const struct virtio_net_offload *off)
{
	uint64_t need;

	if (!is_gso(off))
		return true;
	need = gso_features(off->gso_type, false);
	/* GUEST_TSO* depends on GUEST_CSUM (5.1.3.1): the frame's checksum
	 * is partial and goes on as NEEDS_CSUM. */
	return need != 0 && (features & (need | VIRTIO_NET_F_GUEST_CSUM)) ==
				    (need | VIRTIO_NET_F_GUEST_CSUM);
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

/* What a transmit header asks for, against what was negotiated
 * (5.1.6.2). NEEDS_CSUM and a GSO type are acted on. DATA_VALID and
 * RSC_INFO mean nothing on transmit and unknown bits must be ignored
 * (5.1.6.2.2); hdr_len and gso_size only matter with GSO (and are then
 * passed on as they are, after a sanity check), num_buffers only on
 * receive.
 *
 * A GSO type needs its HOST_TSO4/6 (and HOST_ECN for the ECN bit), and
 * the spec's rules for a driver that sends one (5.1.6.2.1): NEEDS_CSUM,
 * gso_size the segments' payload, hdr_len within the frame. On top, its
 * checksum must be TCP's, the one anyone segmenting would fill in:
 * Linux's virtio_net_hdr_to_skb refuses any other (since 2024), and a
 * frame that would be dropped there is better dropped here, where it is
 * counted against its sender. */
static enum virtio_net_status check_tx_hdr(const struct virtio_net_hdr *h,
					   uint64_t features, size_t frame_len,
					   struct virtio_net_offload *off)
{
	if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		uint64_t need = gso_features(h->gso_type, true);

		if (need == 0 || (features & need) != need)
			return VIRTIO_NET_ERR_GSO;
	}
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!(features & VIRTIO_NET_F_CSUM))
			return VIRTIO_NET_ERR_CSUM_NOT_OFFERED;
		if (!virtio_net_csum_in_frame(frame_len, h->csum_start,
					      h->csum_offset))
			return VIRTIO_NET_ERR_CSUM_RANGE;
		off->partial = true;
		off->csum_start = h->csum_start;
		off->csum_offset = h->csum_offset;
	}
	if (h->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return VIRTIO_NET_OK;
	off->gso_type = h->gso_type;
	off->gso_size = h->gso_size;
	off->hdr_len = h->hdr_len;
	if (!gso_fields_ok(frame_len, off))
		return VIRTIO_NET_ERR_GSO_FIELDS;
	return VIRTIO_NET_OK;
}

/* ------------------------------------------------------------- transmit */

enum virtio_net_status virtio_net_tx_read(const struct virtq_chain *c,
					  const struct virtq_memory *m,
					  uint64_t features, uint8_t *buf,
					  size_t bufsize, size_t *len,
					  struct virtio_net_offload *off)
{
	uint8_t raw[VIRTIO_NET_HDR_SIZE];
	struct virtio_net_hdr h;
	struct virtio_net_offload found = { .partial = false };
	enum virtio_net_status st;
	size_t frame_len, max;

	*len = 0;
	*off = found;
	if (c->readable_len < VIRTIO_NET_HDR_SIZE)
		return VIRTIO_NET_ERR_HDR_SHORT;
	frame_len = c->readable_len - VIRTIO_NET_HDR_SIZE;
	if (virtq_chain_read(c, m, 0, raw, sizeof(raw)) != sizeof(raw))
		return VIRTIO_NET_ERR_COPY;
	decode_hdr(raw, &h);
	st = check_tx_hdr(&h, features, frame_len, &found);
	if (st != VIRTIO_NET_OK)
		return st;
	max = is_gso(&found) ? VIRTIO_NET_GSO_FRAME_MAX : VIRTIO_NET_FRAME_MAX;
	if (frame_len > max || frame_len > bufsize) {
		*len = frame_len;
		return VIRTIO_NET_ERR_TOO_LONG;
	}
	if (virtq_chain_read(c, m, VIRTIO_NET_HDR_SIZE, buf, frame_len) !=
	    frame_len)
		return VIRTIO_NET_ERR_COPY;
	*len = frame_len;
	*off = found;
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
					   const struct virtio_net_offload *off,
					   uint32_t *written)
{
	/* 5.1.6.4.1: num_buffers is 1 without MRG_RXBUF; flags are 0 unless
	 * GUEST_CSUM, gso_type NONE unless the driver took that GSO type. */
	struct virtio_net_hdr h = { .num_buffers = 1 };
	uint8_t raw[VIRTIO_NET_HDR_SIZE];
	bool partial = off != NULL && off->partial;
	bool complete = partial && !(features & VIRTIO_NET_F_GUEST_CSUM);
	bool ok;

	*written = 0;
	if (!virtio_net_rx_takes(features, off))
		return VIRTIO_NET_ERR_RX_NO_GSO;
	if (len > c->writable_len ||
	    c->writable_len - len < VIRTIO_NET_HDR_SIZE)
		return VIRTIO_NET_ERR_RX_TOO_SMALL;
	if (partial &&
	    !virtio_net_csum_in_frame(len, off->csum_start, off->csum_offset))
		return VIRTIO_NET_ERR_CSUM_RANGE;
	if (!virtio_net_offload_valid(len, off))
		return VIRTIO_NET_ERR_GSO_FIELDS;
	if (partial && !complete) {
		h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h.csum_start = off->csum_start;
		h.csum_offset = off->csum_offset;
	}
	if (is_gso(off)) {
		/* Never completed: rx_takes asked for GUEST_CSUM. */
		h.gso_type = off->gso_type;
		h.gso_size = off->gso_size;
		h.hdr_len = off->hdr_len;
	}
	encode_hdr(&h, raw);
	ok = write_all(c, m, 0, raw, sizeof(raw));
	if (ok && complete) {
		uint8_t field[CSUM_FIELD_LEN];

		put_be16(field,
			 virtio_net_csum_compute(frame, len, off->csum_start));
		ok = write_frame_patched(c, m, frame, len,
					 (size_t)off->csum_start +
						 off->csum_offset,
					 field);
	} else if (ok) {
		ok = write_all(c, m, VIRTIO_NET_HDR_SIZE, frame, len);
	}
	if (!ok)
		return VIRTIO_NET_ERR_COPY;
	*written = (uint32_t)(VIRTIO_NET_HDR_SIZE + len);
	return VIRTIO_NET_OK;
}
