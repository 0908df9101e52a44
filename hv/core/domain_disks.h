/* A domain's disks (docs/virtio-blk.md): one virtio-blk device per `disk`
 * entry of its config, each in front of the domain's own copy-on-write
 * copy of an image from the bundle. */
#ifndef CORE_DOMAIN_DISKS_H
#define CORE_DOMAIN_DISKS_H

#include <stdbool.h>

/* Disk copies the monitor keeps at once, across all domains. */
#define DISK_COPIES_MAX 64

struct domain;

/* Builds the devices of d->config.disk; false, having logged why, if one
 * cannot be built. They go with the domain's virtio slots; the copies
 * stay. */
bool domain_disks_init(struct domain *d);

#endif
