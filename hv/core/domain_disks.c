/* A domain's disks: one virtio-blk device per `disk` entry, in front of
 * the domain's own copy of the image (docs/virtio-blk.md). The copies
 * outlive the domain: they are kept by domain name and vdev, like files
 * in Xen's dom0, so a reboot, a restart or destroy-then-create finds its
 * data again; only the monitor's own reboot loses them. */
#include "core/domain_disks.h"

#include "core/bundle.h"
#include "core/domain.h"
#include "core/frame.h"
#include "core/log.h"
#include "core/spinlock.h"
#include "core/xmalloc.h"
#include "lib/format.h"
#include "lib/string.h"
#include "lib/xl_disk.h"
#include "vdev/virtio_blk.h"

#define CHUNK_FRAMES (BLOCK_STORE_CHUNK_SIZE / PAGE_SIZE)

/* One domain's copy of one image. */
struct disk_copy {
	char domain[XLCFG_NAME_MAX];
	char vdev[XL_DISK_VDEV_MAX];
	char target[XL_DISK_TARGET_MAX];
	bool in_use;			/* a domain has it as a disk now */
	struct block_store store;
};

static struct disk_copy *copies[DISK_COPIES_MAX];
static struct spinlock copies_lock = SPINLOCK_INIT;

static void *chunk_alloc(void *ctx)
{
	(void)ctx;
	return (void *)(uintptr_t)frame_alloc(CHUNK_FRAMES, 1);
}

static void chunk_free(void *ctx, void *chunk)
{
	(void)ctx;
	frame_free((uint64_t)(uintptr_t)chunk, CHUNK_FRAMES);
}

static bool copy_is(const struct disk_copy *c, const char *domain,
		    const struct xl_disk *disk)
{
	return !strcmp(c->domain, domain) && !strcmp(c->vdev, disk->vdev) &&
	       !strcmp(c->target, disk->target);
}

static struct disk_copy *copy_new(const char *domain, const struct xl_disk *disk,
				  const struct cpio_file *image)
{
	static const struct block_store_ops ops = {
		.alloc_chunk = chunk_alloc, .free_chunk = chunk_free,
	};
	struct disk_copy *c = xzalloc(sizeof(*c));

	if (!c)
		return NULL;
	if (!block_store_init(&c->store, image->data, image->size, &ops)) {
		xfree(c);
		return NULL;
	}
	fmt_snprintf(c->domain, sizeof(c->domain), "%s", domain);
	fmt_snprintf(c->vdev, sizeof(c->vdev), "%s", disk->vdev);
	fmt_snprintf(c->target, sizeof(c->target), "%s", disk->target);
	return c;
}

/* The domain's copy of the image, made on first use, marked in use; NULL
 * when it is in use already or the table or memory is full. */
static struct disk_copy *copy_take(const char *domain, const struct xl_disk *disk,
				   const struct cpio_file *image)
{
	struct disk_copy *found = NULL;
	int spare = -1;

	spin_lock(&copies_lock);
	for (int i = 0; i < DISK_COPIES_MAX && !found; i++) {
		if (copies[i] && copy_is(copies[i], domain, disk))
			found = copies[i];
		else if (!copies[i] && spare < 0)
			spare = i;
	}
	if (!found && spare >= 0) {
		found = copy_new(domain, disk, image);
		copies[spare] = found;
	}
	if (found && found->in_use)
		found = NULL;
	if (found)
		found->in_use = true;
	spin_unlock(&copies_lock);
	return found;
}

/* ------------------------------------------------------- the devices */

struct disk_device {
	struct virtio_blk blk;		/* first: the slot's model */
	struct disk_copy *copy;
};

static void disk_free(struct virtio_slot *slot)
{
	struct disk_device *dev = slot->model;

	spin_lock(&copies_lock);
	dev->copy->in_use = false;
	spin_unlock(&copies_lock);
	xfree(dev);
}

static bool image_of(struct domain *d, const struct xl_disk *disk,
		     struct cpio_file *image)
{
	if (!bundle_find(disk->target, image)) {
		log_err("domain %s: error: disk %s: '%s' is not in the bundle\n",
			d->name, disk->vdev, disk->target);
		return false;
	}
	if (image->size < VIRTIO_BLK_SECTOR_SIZE) {
		log_err("domain %s: error: disk %s: '%s' is smaller than one %u-byte sector\n",
			d->name, disk->vdev, disk->target, VIRTIO_BLK_SECTOR_SIZE);
		return false;
	}
	return true;
}

static bool add_disk(struct domain *d, const struct xl_disk *disk)
{
	struct cpio_file image;
	struct disk_device *dev;
	struct disk_copy *copy;

	if (!image_of(d, disk, &image))
		return false;
	copy = copy_take(d->name, disk, &image);
	dev = copy ? xzalloc(sizeof(*dev)) : NULL;
	if (!dev) {
		log_err("domain %s: error: disk %s: %s\n", d->name, disk->vdev,
			copy ? "out of monitor memory" : "no copy of the image to be had");
		return false;
	}
	struct vblk_disk vd = {
		.store = &copy->store, .read_only = disk->read_only,
		.discard = disk->discard,
	};
	vblk_set_serial(&vd, disk->vdev);
	virtio_blk_init(&dev->blk, &vd);
	dev->copy = copy;
	if (domain_virtio_add(d, &dev->blk.ops, dev, disk_free))
		return true;
	disk_free(&(struct virtio_slot){.model = dev});
	return false;
}

/* Disks in vdev order (xvda before xvdb), whatever order the config
 * lists them in: Linux names them vda, vdb ... in the order it finds
 * them. A vdev named twice is an error. */
bool domain_disks_init(struct domain *d)
{
	struct xl_disk disks[XLCFG_MAX_DEVICES];
	char err[96];
	size_t n = d->config.disk_count;

	for (size_t i = 0; i < n; i++) {
		if (!xl_disk_parse(d->config.disk[i], &disks[i], err, sizeof(err))) {
			log_err("domain %s: error: disk %zu: %s\n", d->name, i, err);
			return false;
		}
		for (size_t j = 0; j < i; j++)
			if (xl_disk_same_vdev(&disks[i], &disks[j])) {
				log_err("domain %s: error: disk %s named twice\n",
					d->name, disks[i].vdev);
				return false;
			}
	}
	for (size_t i = 1; i < n; i++)		/* insertion sort: n <= 8 */
		for (size_t j = i; j > 0 && disks[j].vdev_disk < disks[j - 1].vdev_disk; j--) {
			struct xl_disk t = disks[j];
			disks[j] = disks[j - 1];
			disks[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++)
		if (!add_disk(d, &disks[i]))
			return false;
	return true;
}
