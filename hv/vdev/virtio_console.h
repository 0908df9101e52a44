/* virtio-console (virtio 1.2, section 5.3) with one port and no features:
 * Linux's hvc0. Output goes to the domain's console, like COM1's; input
 * typed at the shell's `console` is held here until the guest posts
 * receive buffers. */
#ifndef VDEV_VIRTIO_CONSOLE_H
#define VDEV_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "vdev/virtio_mmio.h"

/* Input waiting for receive buffers; more is refused, as COM1 refuses
 * input beyond its FIFO. */
#define VIRTIO_CONSOLE_INPUT_SIZE 256u

struct virtio_console {
	void *owner;
	void (*output)(void *owner, const char *buf, size_t len);
	uint8_t input[VIRTIO_CONSOLE_INPUT_SIZE];
	unsigned input_head, input_count;
	uint64_t bytes_out, bytes_in;
	struct virtq_chain chain;	/* the request being served */
};

extern const struct virtio_device_ops virtio_console_ops;

void virtio_console_init(struct virtio_console *c, void *owner,
			 void (*output)(void *owner, const char *buf, size_t len));

/* Bytes typed for the guest; takes the transport's lock. Returns how
 * many were accepted (fewer when the input buffer is full). */
size_t virtio_console_input(struct virtio_console *c, struct virtio_mmio *t,
			    const char *buf, size_t len);

#endif
