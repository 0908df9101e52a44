/* One entry of an xl.cfg `disk = [ ... ]` list, in the syntax of Xen's
 * xl-disk-configuration(5): positional `target,format,vdev,access`
 * ('images/root.img,raw,xvda,rw'), keywords (`vdev=xvda, access=ro,
 * target=images/root.img`), both mixed, and xm's deprecated prefixes
 * ('file:/images/web.raw,xvda,w'). Every disk becomes a virtio-blk device
 * over a raw image from the boot bundle; docs/virtio-blk.md is the user's
 * reference. */
#ifndef LIB_XL_DISK_H
#define LIB_XL_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XL_DISK_TARGET_MAX 128	/* with the NUL; as XLCFG_PATH_MAX */
#define XL_DISK_VDEV_MAX 16	/* with the NUL: "xvdaaaa" and room */
#define XL_DISK_ERROR_MAX 96	/* with the NUL */

/* The naming scheme of a vdev (xen-vbd-interface(7)); `vd` is Vesta's own,
 * for configs written with virtio names. */
enum xl_disk_vdev_kind {
	XL_DISK_VDEV_XVD,	/* xvda.., and d0, d0p0 */
	XL_DISK_VDEV_HD,	/* hda..hdd */
	XL_DISK_VDEV_SD,	/* sda..sdp */
	XL_DISK_VDEV_VD,	/* vda.. */
};

struct xl_disk {
	char target[XL_DISK_TARGET_MAX];	/* a path in the boot bundle */
	char vdev[XL_DISK_VDEV_MAX];		/* as written: "xvda" */
	enum xl_disk_vdev_kind vdev_kind;
	uint32_t vdev_disk;	/* the disk number: xvda 0, xvdb 1, xvdaa 26 */
	bool read_only;		/* access r or ro */
	bool discard;		/* false with `no-discard` */
	/* The format is always raw: anything else is refused. */
};

/* Parses one spec (a NUL-terminated string, as the config keeps it). On
 * success fills *out and returns true; otherwise returns false with a short
 * message in err (err_len bytes, NUL-terminated) for
 *   config: error: FILE:LINE: disk: MESSAGE */
bool xl_disk_parse(const char *spec, struct xl_disk *out, char *err,
		   size_t err_len);

/* True when two disks name the same guest device (xvda twice, or xvda and
 * d0): one domain's disks must not. */
bool xl_disk_same_vdev(const struct xl_disk *a, const struct xl_disk *b);

#endif
