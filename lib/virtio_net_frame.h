/* The virtio-net side of a frame (virtio 1.2, section 5.1): the header
 * before every frame in both queues, reading a frame out of a transmit
 * chain and writing one into a receive chain, the device's feature bits
 * and its config space. Every byte of a chain is the guest's and
 * untrusted; chains come from virtq_pop (lib/virtq.h), which has already
 * checked their buffers against the guest's RAM.
 *
 * What the device offers, and why, is in docs/network.md: the MAC, the
 * link status, the MTU, checksum offload both ways (CSUM, GUEST_CSUM) and
 * TCP segmentation offload both ways (HOST_TSO4/6, GUEST_TSO4/6 and their
 * ECN bits), passed through whole: a guest's 64 KiB TCP GSO frame reaches
 * another guest as one frame with the same GSO header, and nobody ever
 * segments it. No UFO/USO, no merged receive buffers: a receive chain
 * holds exactly one frame, which for a driver that took GUEST_TSO* means
 * Linux's "big packet" chains of 64 KiB and more.
 *
 * Queues, 5.1.2: receiveq1 is queue 0, transmitq1 queue 1 (no multiqueue,
 * no control queue). The header is the VIRTIO_F_VERSION_1 one (12 bytes,
 * num_buffers included): the transport must not accept a driver without
 * VERSION_1. */
#ifndef LIB_VIRTIO_NET_FRAME_H
#define LIB_VIRTIO_NET_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/virtq.h"

/* Queue indices, 5.1.2. */
#define VIRTIO_NET_QUEUE_RX 0u
#define VIRTIO_NET_QUEUE_TX 1u
#define VIRTIO_NET_NUM_QUEUES 2u

/* Feature bits, 5.1.3. */
#define VIRTIO_NET_F_CSUM (1ull << 0)		/* takes partial checksums */
#define VIRTIO_NET_F_GUEST_CSUM (1ull << 1)	/* hands them to the driver */
#define VIRTIO_NET_F_MTU (1ull << 3)		/* config mtu is valid */
#define VIRTIO_NET_F_MAC (1ull << 5)		/* config mac is valid */
#define VIRTIO_NET_F_GUEST_TSO4 (1ull << 7)
#define VIRTIO_NET_F_GUEST_TSO6 (1ull << 8)
#define VIRTIO_NET_F_GUEST_ECN (1ull << 9)
#define VIRTIO_NET_F_GUEST_UFO (1ull << 10)
#define VIRTIO_NET_F_HOST_TSO4 (1ull << 11)
#define VIRTIO_NET_F_HOST_TSO6 (1ull << 12)
#define VIRTIO_NET_F_HOST_ECN (1ull << 13)
#define VIRTIO_NET_F_HOST_UFO (1ull << 14)
#define VIRTIO_NET_F_MRG_RXBUF (1ull << 15)
#define VIRTIO_NET_F_STATUS (1ull << 16)	/* config status is valid */
#define VIRTIO_NET_F_CTRL_VQ (1ull << 17)
#define VIRTIO_NET_F_MQ (1ull << 22)

/* What the device offers (the transport adds VERSION_1 and its own). The
 * TSO bits keep 5.1.3.1's dependencies: HOST_TSO* needs CSUM, GUEST_TSO*
 * needs GUEST_CSUM, *_ECN needs the TSO bits. */
#define VIRTIO_NET_FEATURES                                              \
	(VIRTIO_NET_F_CSUM | VIRTIO_NET_F_GUEST_CSUM | VIRTIO_NET_F_MTU | \
	 VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS | VIRTIO_NET_F_HOST_TSO4 | \
	 VIRTIO_NET_F_HOST_TSO6 | VIRTIO_NET_F_HOST_ECN |                 \
	 VIRTIO_NET_F_GUEST_TSO4 | VIRTIO_NET_F_GUEST_TSO6 |              \
	 VIRTIO_NET_F_GUEST_ECN)

/* Config status bits, 5.1.4. */
#define VIRTIO_NET_S_LINK_UP 1u
#define VIRTIO_NET_S_ANNOUNCE 2u

/* The MTU the config space advertises with VIRTIO_NET_F_MTU (5.1.4): the
 * driver then sends no larger frames (5.1.4.1), and we send none. */
#define VIRTIO_NET_MTU 1500u

/* The longest frames the device takes from a driver (lib/vswitch.h has
 * the same limits, and the switch then holds an untagged frame to 4 bytes
 * less). Without GSO: an Ethernet header (14), one VLAN tag (4) and the
 * MTU. With GSO: the same around the largest IP packet, 65535 bytes:
 * IPv4's 16-bit total length allows no more, and Linux sizes its TCP GSO
 * frames, IPv6 ones too, to its gso_max_size of 64 KiB (65536,
 * GSO_LEGACY_MAX_SIZE) less room for the headers. Longer frames are
 * refused unread (VIRTIO_NET_ERR_TOO_LONG). */
#define VIRTIO_NET_FRAME_MAX (14u + 4u + VIRTIO_NET_MTU)		/* 1518 */
#define VIRTIO_NET_GSO_PACKET_MAX 65535u
#define VIRTIO_NET_GSO_FRAME_MAX (14u + 4u + VIRTIO_NET_GSO_PACKET_MAX) /* 65553 */

/* Where TCP's checksum field sits in its header (RFC 9293): the
 * csum_offset of every TCP GSO frame. */
#define VIRTIO_NET_TCP_CSUM_OFFSET 16u

/* Device config space, 5.1.4; little-endian fields. speed and duplex only
 * mean something with VIRTIO_NET_F_SPEED_DUPLEX (not offered) and say
 * "unknown"; max_virtqueue_pairs only with MQ (not offered) and says 1. */
struct virtio_net_config {
	uint8_t mac[6];
	uint16_t status;
	uint16_t max_virtqueue_pairs;
	uint16_t mtu;
	uint32_t speed;
	uint8_t duplex;
	uint8_t rss_max_key_size;
	uint16_t rss_max_indirection_table_length;
	uint32_t supported_hash_types;
};

#define VIRTIO_NET_CONFIG_SIZE 24u
#define VIRTIO_NET_SPEED_UNKNOWN 0xffffffffu
#define VIRTIO_NET_DUPLEX_UNKNOWN 0xffu

/* The header before each frame, 5.1.6, as it is with VIRTIO_F_VERSION_1:
 * 12 bytes, little-endian. */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

#define VIRTIO_NET_HDR_SIZE 12u

/* flags, 5.1.6. */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1u
#define VIRTIO_NET_HDR_F_DATA_VALID 2u
#define VIRTIO_NET_HDR_F_RSC_INFO 4u

/* gso_type, 5.1.6. */
#define VIRTIO_NET_HDR_GSO_NONE 0u
#define VIRTIO_NET_HDR_GSO_TCPV4 1u
#define VIRTIO_NET_HDR_GSO_UDP 3u
#define VIRTIO_NET_HDR_GSO_TCPV6 4u
#define VIRTIO_NET_HDR_GSO_UDP_L4 5u
#define VIRTIO_NET_HDR_GSO_ECN 0x80u

/* The offloads of a frame, as its transmit header asked for them and its
 * receive header will say them.
 *
 * Checksum (NEEDS_CSUM, 5.1.6.2), when `partial`: the sender left its
 * checksum for the device to finish; the 16-bit field at csum_start +
 * csum_offset holds the sum of the pseudo-header, and the checksum to
 * store there covers the bytes from csum_start to the end of the frame.
 * Offsets count from the start of the frame (the destination MAC), not of
 * the virtio header.
 *
 * Segmentation, when gso_type is not VIRTIO_NET_HDR_GSO_NONE: the frame is
 * a TCP GSO frame (GSO_TCPV4 or GSO_TCPV6, perhaps with GSO_ECN), to be
 * cut into segments of gso_size bytes of payload after hdr_len bytes of
 * headers. Nobody here cuts it: it goes whole to a driver that took the
 * matching GUEST_TSO*, and to no other. Such a frame is always partial,
 * its csum_offset VIRTIO_NET_TCP_CSUM_OFFSET, gso_size > 0 and hdr_len at
 * most its length (virtio_net_offload_valid). hdr_len and gso_size are
 * 0 without GSO. */
struct virtio_net_offload {
	bool partial;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint8_t gso_type;
	uint16_t gso_size;
	uint16_t hdr_len;
};

enum virtio_net_status {
	VIRTIO_NET_OK = 0,
	VIRTIO_NET_ERR_HDR_SHORT,	/* tx: fewer bytes than a header */
	VIRTIO_NET_ERR_GSO,		/* tx: gso_type not negotiated (or UFO...) */
	VIRTIO_NET_ERR_CSUM_NOT_OFFERED,/* tx: NEEDS_CSUM without F_CSUM */
	VIRTIO_NET_ERR_CSUM_RANGE,	/* csum start/offset outside frame */
	VIRTIO_NET_ERR_TOO_LONG,	/* tx: frame longer than allowed */
	VIRTIO_NET_ERR_COPY,		/* guest memory failed to copy */
	VIRTIO_NET_ERR_RX_TOO_SMALL,	/* rx: chain cannot hold the frame */
	VIRTIO_NET_ERR_GSO_FIELDS,	/* GSO without NEEDS_CSUM, gso_size 0,
					 * hdr_len past the end, csum not TCP's */
	VIRTIO_NET_ERR_RX_NO_GSO,	/* rx: GSO type the driver did not take */
	VIRTIO_NET_ERR_RX_NO_BUFFER,	/* rx: no buffer, or driver not running */
};
#define VIRTIO_NET_STATUS_LAST VIRTIO_NET_ERR_RX_NO_BUFFER

const char *virtio_net_status_str(enum virtio_net_status s);

/* Config space for a device with this MAC: link up, MTU 1500. */
void virtio_net_config_init(struct virtio_net_config *cfg,
			    const uint8_t mac[6]);

/* `size` bytes (1, 2, 4 or 8) at `offset`, little-endian, for the
 * transport's config_read; bytes past the config space read as 0. The
 * config space is read-only: the transport ignores writes. */
uint64_t virtio_net_config_read(const struct virtio_net_config *cfg,
				uint32_t offset, unsigned size);

/* Reads the frame of a transmit chain: a header, then the frame, split
 * over the readable buffers in any way (writable ones are ignored).
 * `features` are the ones the driver accepted. On VIRTIO_NET_OK, buf holds
 * *len bytes of frame and *off its offloads. A header the device cannot
 * honour is an error: a GSO type not negotiated (VIRTIO_NET_ERR_GSO) or
 * not valid (VIRTIO_NET_ERR_GSO_FIELDS), NEEDS_CSUM without CSUM or with
 * offsets outside the frame; so is a frame longer than
 * VIRTIO_NET_FRAME_MAX, or VIRTIO_NET_GSO_FRAME_MAX for GSO, or than
 * bufsize (VIRTIO_NET_ERR_TOO_LONG, nothing copied). The caller drops
 * that frame only (docs/network.md). With VIRTIO_NET_ERR_TOO_LONG, *len
 * is the frame's length; else on error it is 0. Never writes past
 * bufsize. */
enum virtio_net_status virtio_net_tx_read(const struct virtq_chain *c,
					  const struct virtq_memory *m,
					  uint64_t features, uint8_t *buf,
					  size_t bufsize, size_t *len,
					  struct virtio_net_offload *off);

/* True when a frame with these offloads (NULL: none) may go to a driver
 * that accepted `features`: any frame without GSO; a GSO frame only to a
 * driver with GUEST_CSUM and the GUEST_TSO4 or GUEST_TSO6 of its type,
 * and GUEST_ECN if it has the ECN bit (5.1.6.4: the device must not send
 * GSO types the driver did not take). */
bool virtio_net_rx_takes(uint64_t features,
			 const struct virtio_net_offload *off);

/* True when offloads can go with a frame of `len` bytes: a partial
 * checksum inside it (virtio_net_csum_in_frame), and for GSO a TCP type,
 * partial, csum_offset VIRTIO_NET_TCP_CSUM_OFFSET, gso_size > 0 and
 * hdr_len <= len. NULL is valid (no offloads). */
bool virtio_net_offload_valid(size_t len, const struct virtio_net_offload *off);

/* Writes a header and `len` bytes of frame into a receive chain whose
 * driver accepted `features`; *written is then what to hand virtq_push.
 * A partial checksum (off may be NULL: none) goes on as NEEDS_CSUM to a
 * driver with GUEST_CSUM, else is completed on the way (the frame itself
 * is not modified); a GSO frame goes on with its gso_type, gso_size and
 * hdr_len. Writes nothing and returns VIRTIO_NET_ERR_RX_NO_GSO for a GSO
 * frame the driver may not get (virtio_net_rx_takes), then
 * VIRTIO_NET_ERR_RX_TOO_SMALL when the chain's writable bytes cannot hold
 * header and frame, then VIRTIO_NET_ERR_CSUM_RANGE or
 * VIRTIO_NET_ERR_GSO_FIELDS for offloads that are not valid
 * (virtio_net_offload_valid). */
enum virtio_net_status virtio_net_rx_write(const struct virtq_chain *c,
					   const struct virtq_memory *m,
					   uint64_t features,
					   const uint8_t *frame, size_t len,
					   const struct virtio_net_offload *off,
					   uint32_t *written);

/* True when a checksum at start + offset, covering start to the end of a
 * frame of `len` bytes, lies within the frame and after its Ethernet
 * header. */
bool virtio_net_csum_in_frame(size_t len, uint16_t start, uint16_t offset);

/* The checksum to store for a partial one (RFC 1071 over frame[start ..
 * len), the field's pseudo-header sum included), in network byte order
 * as a number: 0xffff rather than 0, as Linux stores it (UDP reads 0 as
 * "no checksum", TCP takes either). Requires start <= len. */
uint16_t virtio_net_csum_compute(const uint8_t *frame, size_t len,
				 uint16_t start);

/* Completes a partial checksum in place and clears off->partial; does
 * nothing if it is not partial. The checksum must be in the frame, and
 * the frame not GSO (its segments' checksums are not this one). */
void virtio_net_csum_complete(uint8_t *frame, size_t len,
			      struct virtio_net_offload *off);

#endif
