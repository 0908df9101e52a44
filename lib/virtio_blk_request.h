/* The virtio block device's requests (virtio 1.2, section 5.2), on a chain
 * taken from a queue with virtq_pop, over a domain's struct block_store.
 * Everything in the chain is the guest's and untrusted: the header is
 * copied out once and checked, every length and sector is checked against
 * the disk with arithmetic that cannot wrap, and data moves only through
 * virtq_chain_read / virtq_chain_write, bounded by the chain's buffers.
 * Also the device's side of feature negotiation and its config space.
 * docs/virtio-blk.md describes the device as a guest sees it. Names are
 * vblk_* so that hv/vdev/virtio_blk.c keeps virtio_blk_* for its own. */
#ifndef LIB_VIRTIO_BLK_REQUEST_H
#define LIB_VIRTIO_BLK_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/block_store.h"
#include "lib/virtq.h"

/* Feature bits, 5.2.3. */
#define VIRTIO_BLK_F_SIZE_MAX (1ull << 1)
#define VIRTIO_BLK_F_SEG_MAX (1ull << 2)
#define VIRTIO_BLK_F_GEOMETRY (1ull << 4)
#define VIRTIO_BLK_F_RO (1ull << 5)
#define VIRTIO_BLK_F_BLK_SIZE (1ull << 6)
#define VIRTIO_BLK_F_FLUSH (1ull << 9)
#define VIRTIO_BLK_F_TOPOLOGY (1ull << 10)
#define VIRTIO_BLK_F_CONFIG_WCE (1ull << 11)
#define VIRTIO_BLK_F_MQ (1ull << 12)
#define VIRTIO_BLK_F_DISCARD (1ull << 13)
#define VIRTIO_BLK_F_WRITE_ZEROES (1ull << 14)

/* Request types, 5.2.6. */
#define VIRTIO_BLK_T_IN 0u
#define VIRTIO_BLK_T_OUT 1u
#define VIRTIO_BLK_T_FLUSH 4u
#define VIRTIO_BLK_T_GET_ID 8u
#define VIRTIO_BLK_T_GET_LIFETIME 10u
#define VIRTIO_BLK_T_DISCARD 11u
#define VIRTIO_BLK_T_WRITE_ZEROES 13u
#define VIRTIO_BLK_T_SECURE_ERASE 14u

/* The status byte, 5.2.6. */
#define VIRTIO_BLK_S_OK 0u
#define VIRTIO_BLK_S_IOERR 1u
#define VIRTIO_BLK_S_UNSUPP 2u

/* struct virtio_blk_req, 5.2.6: le32 type, le32 reserved, le64 sector,
 * then the data, then the status byte. */
#define VIRTIO_BLK_REQ_HEADER_SIZE 16u
/* The device ID string of GET_ID: NUL-padded, no NUL when 20 long. */
#define VIRTIO_BLK_ID_BYTES 20u
/* struct virtio_blk_discard_write_zeroes, 5.2.6: le64 sector,
 * le32 num_sectors, le32 flags (bit 0 unmap, the rest reserved). */
#define VIRTIO_BLK_DWZ_SEGMENT_SIZE 16u
#define VIRTIO_BLK_DWZ_F_UNMAP 1u
/* Sectors are 512 bytes whatever blk_size says (5.2.5). */
#define VIRTIO_BLK_SECTOR_SIZE 512u

/* The limits we advertise in the config space (5.2.4) and hold requests
 * to. A chain has at most VIRTQ_CHAIN_MAX_SEGS buffers, the header and the
 * status among them; Linux counts seg_max without those two. */
#define VIRTIO_BLK_SEG_MAX (VIRTQ_CHAIN_MAX_SEGS - 2)
/* One buffer at most 64 KiB, so one request moves at most ~16 MiB and one
 * exit does bounded work. */
#define VIRTIO_BLK_SIZE_MAX (64u * 1024)
#define VIRTIO_BLK_MAX_DATA ((uint64_t)VIRTIO_BLK_SEG_MAX * VIRTIO_BLK_SIZE_MAX)
#define VIRTIO_BLK_BLK_SIZE VIRTIO_BLK_SECTOR_SIZE
/* Topology: 4 KiB physical blocks (2^3 sectors), the store's chunk as the
 * optimal I/O size, so a guest aligns its writes to what is copied. */
#define VIRTIO_BLK_PHYSICAL_BLOCK_EXP 3u
#define VIRTIO_BLK_MIN_IO_BLOCKS 8u
#define VIRTIO_BLK_OPT_IO_BLOCKS (BLOCK_STORE_CHUNK_SIZE / VIRTIO_BLK_BLK_SIZE)
/* Discard and write zeroes: up to 1 GiB in each of up to 16 segments;
 * aligned to the store's chunk, which a discard frees whole. */
#define VIRTIO_BLK_MAX_DISCARD_SECTORS (1u << 21)
#define VIRTIO_BLK_MAX_DISCARD_SEG 16u
#define VIRTIO_BLK_DISCARD_ALIGNMENT_SECTORS \
	(BLOCK_STORE_CHUNK_SIZE / VIRTIO_BLK_SECTOR_SIZE)
#define VIRTIO_BLK_MAX_WRITE_ZEROES_SECTORS (1u << 21)
#define VIRTIO_BLK_MAX_WRITE_ZEROES_SEG 16u

/* struct virtio_blk_config, 5.2.4: byte offsets, little-endian fields. */
#define VIRTIO_BLK_CFG_CAPACITY 0		/* le64, in 512-byte sectors */
#define VIRTIO_BLK_CFG_SIZE_MAX 8		/* le32 */
#define VIRTIO_BLK_CFG_SEG_MAX 12		/* le32 */
#define VIRTIO_BLK_CFG_GEOMETRY 16		/* le16 cylinders, u8 heads, u8 sectors */
#define VIRTIO_BLK_CFG_BLK_SIZE 20		/* le32 */
#define VIRTIO_BLK_CFG_PHYSICAL_BLOCK_EXP 24	/* u8 */
#define VIRTIO_BLK_CFG_ALIGNMENT_OFFSET 25	/* u8 */
#define VIRTIO_BLK_CFG_MIN_IO_SIZE 26		/* le16 */
#define VIRTIO_BLK_CFG_OPT_IO_SIZE 28		/* le32 */
#define VIRTIO_BLK_CFG_WRITEBACK 32		/* u8, then u8 unused0 */
#define VIRTIO_BLK_CFG_NUM_QUEUES 34		/* le16 */
#define VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS 36	/* le32 */
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG 40	/* le32 */
#define VIRTIO_BLK_CFG_DISCARD_SECTOR_ALIGNMENT 44 /* le32 */
#define VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS 48 /* le32 */
#define VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG 52	/* le32 */
#define VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP 56	/* u8, then u8 unused1[3] */
/* The config space we expose: up to and including unused1, the last field
 * any feature we offer uses (secure erase and zoned come after). */
#define VIRTIO_BLK_CONFIG_SIZE 60u

/* One disk as the request handler sees it. */
struct vblk_disk {
	struct block_store *store;
	bool read_only;		/* offer VIRTIO_BLK_F_RO; refuse writes */
	bool discard;		/* offer VIRTIO_BLK_F_DISCARD (xl's `discard`) */
	char serial[VIRTIO_BLK_ID_BYTES];	/* GET_ID's answer, NUL-padded */
};

/* Sets the GET_ID string: the first 20 bytes of `s`, NUL-padded. */
void vblk_set_serial(struct vblk_disk *d, const char *s);

/* The device-specific feature bits to offer (the transport adds the
 * device-independent ones): SIZE_MAX, SEG_MAX, BLK_SIZE, FLUSH, TOPOLOGY;
 * RO on a read-only disk, else WRITE_ZEROES, and DISCARD if d->discard. */
uint64_t vblk_features(const struct vblk_disk *d);

/* Fills the device config space, VIRTIO_BLK_CONFIG_SIZE bytes. It changes
 * only if the store does, so it can be built once per device reset. */
void vblk_config_space(const struct vblk_disk *d,
			     uint8_t cfg[VIRTIO_BLK_CONFIG_SIZE]);

/* A chain that cannot be answered, because there is nowhere to put the
 * status or the header cannot be read: the device cannot complete it and
 * should give up on the queue (virtio_mmio_needs_reset with the string).
 * Every other problem is the status the guest gets. */
enum vblk_fault {
	VBLK_FAULT_NONE = 0,
	VBLK_FAULT_NO_HEADER,	/* fewer than 16 readable bytes */
	VBLK_FAULT_NO_STATUS,	/* no writable byte */
	VBLK_FAULT_MEMORY,	/* a copy to or from a buffer failed */
};

const char *vblk_fault_str(enum vblk_fault f);

struct vblk_result {
	uint8_t status;		/* VIRTIO_BLK_S_*, as written */
	uint32_t written;	/* bytes written into the chain: virtq_push's */
};

/* Carries out one request: reads the header, checks it, moves the data,
 * writes the status byte into the last writable byte of the chain. With
 * VBLK_FAULT_NONE, *r says what to push. `c` is as virtq_pop filled
 * it. */
enum vblk_fault vblk_handle(struct vblk_disk *d,
					const struct virtq_chain *c,
					const struct virtq_memory *m,
					struct vblk_result *r);

#endif
