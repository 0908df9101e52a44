/* hv/vdev/virtio_console.c behind the real virtio-mmio transport, driven
 * by the simulated guest driver of virtio_driver_sim.h: output from the
 * transmit queue (1) to the owner in order, across buffers, chains and
 * indirect tables; input held until the driver runs and has posted
 * receive buffers (queue 0), split across buffers, bounded by
 * VIRTIO_CONSOLE_INPUT_SIZE; used lengths; interrupts with and without
 * EVENT_IDX; a receive buffer outside RAM. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vdev/virtio_console.h"
#include "virtio_driver_sim.h"

#define RXQ 0
#define TXQ 1
#define QSIZE 16
#define OUT_MAX 8192

static struct vds d;
static struct virtio_mmio t;
static struct virtio_console con;

/* What reached the owner. */
static char out[OUT_MAX];
static size_t out_len;
static unsigned output_calls;

static void output(void *owner, const char *buf, size_t len)
{
	assert_ptr_equal(owner, &out);
	assert_true(len > 0);
	assert_true(out_len + len <= OUT_MAX);
	memcpy(out + out_len, buf, len);
	out_len += len;
	output_calls++;
}

static int setup(void **state)
{
	(void)state;
	out_len = 0;
	output_calls = 0;
	memset(out, 0, sizeof(out));
	vds_init(&d, &t, &virtio_console_ops, &con);
	memset(&con, 0xa5, sizeof(con));	/* init must not rely on zeroes */
	virtio_console_init(&con, &out, output);
	return 0;
}

static const uint64_t plain = VIRTIO_F_VERSION_1;
static const uint64_t all = VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX |
			    VIRTIO_F_INDIRECT_DESC;

static void bring_up(uint64_t features)
{
	vds_bring_up(&d, features, 2, QSIZE);
}

static size_t input(const char *s, size_t len)
{
	return virtio_console_input(&con, &t, s, len);
}

/* A receive buffer of `len` bytes on queue 0 (no notification). */
static uint16_t post_rx(uint32_t len, uint64_t *gpa)
{
	struct vds_buf b = vds_in_buf(&d, len, 0xcc);

	*gpa = b.addr;
	return vds_add_chain(&d, RXQ, &b, 1);
}

/* A one-buffer transmit chain holding s. */
static uint16_t post_tx(const char *s)
{
	struct vds_buf b = vds_out_buf(&d, s, (uint32_t)strlen(s));

	return vds_add_chain(&d, TXQ, &b, 1);
}

/* ---------------------------------------------------------- identity */

static void test_identity(void **state)
{
	(void)state;
	assert_int_equal(vds_rd(&d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_CONSOLE);
	/* No device features (no SIZE, MULTIPORT, EMERG_WRITE): only the
	 * transport's. */
	assert_int_equal(vds_offered_features(&d), all);
	/* Two queues: receiveq 0 and transmitq 1. */
	assert_true(vds_negotiate(&d, plain));
	vds_wr(&d, VIRTIO_MMIO_QUEUE_SEL, 1);
	assert_int_equal(vds_rd(&d, VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTQ_MAX_SIZE);
	vds_wr(&d, VIRTIO_MMIO_QUEUE_SEL, 2);
	assert_int_equal(vds_rd(&d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	/* No config space. */
	assert_int_equal(vds_config_read(&d, 0, 4), 0);
	assert_int_equal(vds_config_read(&d, 0, 2), 0);
}

/* ------------------------------------------------------------ output */

static void test_output_in_order_across_buffers_and_chains(void **state)
{
	(void)state;
	bring_up(plain);
	uint16_t a = post_tx("hello, ");
	struct vds_buf three[3] = {
		vds_out_buf(&d, "wor", 3),
		vds_out_buf(&d, "l", 1),
		vds_out_buf(&d, "d!\n", 3),
	};
	uint16_t b = vds_add_chain(&d, TXQ, three, 3);
	uint16_t c = post_tx("bye");
	assert_int_equal(out_len, 0);		/* nothing before the notify */
	vds_notify(&d, TXQ);
	assert_int_equal(out_len, 17);
	assert_memory_equal(out, "hello, world!\nbye", 17);
	/* The device writes nothing into a transmit buffer: used len 0. */
	vds_expect_used(&d, TXQ, a, 0);
	vds_expect_used(&d, TXQ, b, 0);
	vds_expect_used(&d, TXQ, c, 0);
	assert_int_equal(vds_used_pending(&d, TXQ), 0);
	assert_int_equal(d.irqs, 1);
	assert_int_equal(vds_ack_irq(&d), VIRTIO_MMIO_INT_VRING);
	assert_int_equal(vds_rd(&d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);

	/* A later notify adds after what came before. */
	uint16_t e = post_tx(" again");
	vds_notify(&d, TXQ);
	assert_int_equal(out_len, 23);
	assert_memory_equal(out, "hello, world!\nbye again", 23);
	vds_expect_used(&d, TXQ, e, 0);
	assert_int_equal(d.irqs, 2);
	/* Nothing came back on the receive queue, nothing was logged. */
	assert_int_equal(vds_used_idx(&d, RXQ), 0);
	assert_int_equal(d.logs, 0);
}

/* More than the device's 256-byte copy block, in one buffer and across
 * odd-sized ones; writable buffers at the end of a transmit chain are
 * not output. */
static void test_output_large_chains(void **state)
{
	(void)state;
	char big[1000];
	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26 + (i / 26) % 2 * ('A' - 'a'));

	bring_up(plain);
	struct vds_buf one = vds_out_buf(&d, big, sizeof(big));
	uint16_t a = vds_add_chain(&d, TXQ, &one, 1);
	struct vds_buf parts[4] = {
		vds_out_buf(&d, big, 255),
		vds_out_buf(&d, big + 255, 2),
		vds_out_buf(&d, big + 257, 743),
		vds_in_buf(&d, 64, 0xcc),	/* writable: ignored */
	};
	uint16_t b = vds_add_chain(&d, TXQ, parts, 4);
	vds_notify(&d, TXQ);
	assert_int_equal(out_len, 2000);
	assert_memory_equal(out, big, 1000);
	assert_memory_equal(out + 1000, big, 1000);
	vds_expect_used(&d, TXQ, a, 0);
	vds_expect_used(&d, TXQ, b, 0);
	/* The writable buffer was left alone. */
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(d.ram[parts[3].addr + i], 0xcc);
	assert_int_equal(con.bytes_out, 2000);
}

static void test_output_indirect(void **state)
{
	(void)state;
	bring_up(all);
	struct vds_buf parts[3] = {
		vds_out_buf(&d, "in", 2),
		vds_out_buf(&d, "di", 2),
		vds_out_buf(&d, "rect", 4),
	};
	uint16_t h = vds_add_indirect(&d, TXQ, parts, 3);
	vds_notify(&d, TXQ);
	assert_int_equal(out_len, 8);
	assert_memory_equal(out, "indirect", 8);
	vds_expect_used(&d, TXQ, h, 0);
}

/* Notifications before DRIVER_OK reach nothing; the chains wait in the
 * ring and go out with the first notify once running. */
static void test_output_not_before_driver_ok(void **state)
{
	(void)state;
	assert_true(vds_negotiate(&d, plain));
	vds_setup_queue(&d, RXQ, QSIZE);
	vds_setup_queue(&d, TXQ, QSIZE);
	uint16_t a = post_tx("early");
	vds_notify(&d, TXQ);
	assert_int_equal(out_len, 0);
	assert_int_equal(vds_used_idx(&d, TXQ), 0);
	vds_driver_ok(&d);
	assert_int_equal(out_len, 0);	/* DRIVER_OK does not drain output */
	vds_notify(&d, TXQ);
	assert_int_equal(out_len, 5);
	assert_memory_equal(out, "early", 5);
	vds_expect_used(&d, TXQ, a, 0);
}

/* With EVENT_IDX: each drain re-arms avail_event, so the driver's next
 * chain notifies (as Linux would decide), and used_event suppresses
 * interrupts until it is passed. */
static void test_output_event_idx(void **state)
{
	(void)state;
	bring_up(all);
	/* used_event 1: interrupt once the entry at index 1 is used (used->idx
	 * going from 1 to 2). */
	vds_set_used_event(&d, TXQ, 1);
	uint16_t old = d.q[TXQ].avail_idx;
	post_tx("1");
	assert_true(vds_should_notify(&d, TXQ, old, true));
	vds_notify(&d, TXQ);
	assert_int_equal(d.irqs, 1);		/* the first always does */
	assert_int_equal(vds_avail_event(&d, TXQ), 1);
	old = d.q[TXQ].avail_idx;
	post_tx("2");
	assert_true(vds_should_notify(&d, TXQ, old, true));
	vds_notify(&d, TXQ);
	assert_int_equal(vds_used_idx(&d, TXQ), 2);
	assert_int_equal(d.irqs, 2);		/* used->idx went 1 -> 2 */
	vds_set_used_event(&d, TXQ, 3);
	old = d.q[TXQ].avail_idx;
	post_tx("3");
	assert_true(vds_should_notify(&d, TXQ, old, true));
	vds_notify(&d, TXQ);
	assert_int_equal(d.irqs, 2);		/* 3 not passed yet */
	post_tx("4");
	vds_notify(&d, TXQ);
	assert_int_equal(d.irqs, 3);
	assert_int_equal(out_len, 4);
	assert_memory_equal(out, "1234", 4);
	assert_int_equal(vds_avail_event(&d, TXQ), 4);
}

/* Without EVENT_IDX: VIRTQ_AVAIL_F_NO_INTERRUPT silences the device. */
static void test_output_no_interrupt_flag(void **state)
{
	(void)state;
	bring_up(plain);
	vds_set_avail_flags(&d, TXQ, VIRTQ_AVAIL_F_NO_INTERRUPT);
	post_tx("quiet");
	vds_notify(&d, TXQ);
	assert_int_equal(out_len, 5);
	assert_int_equal(vds_used_idx(&d, TXQ), 1);
	assert_int_equal(d.irqs, 0);
	assert_int_equal(vds_rd(&d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	vds_set_avail_flags(&d, TXQ, 0);
	post_tx("loud");
	vds_notify(&d, TXQ);
	assert_int_equal(d.irqs, 1);
}

/* ------------------------------------------------------------- input */

/* Typed before the driver exists: held through setup, through receive
 * buffers posted and notified before DRIVER_OK, and delivered at
 * DRIVER_OK with an interrupt. */
static void test_input_held_until_driver_ok(void **state)
{
	(void)state;
	uint64_t gpa;

	assert_int_equal(input("hello", 5), 5);
	assert_int_equal(d.irqs, 0);
	assert_true(vds_negotiate(&d, plain));
	vds_setup_queue(&d, RXQ, QSIZE);
	vds_setup_queue(&d, TXQ, QSIZE);
	uint16_t h = post_rx(64, &gpa);
	vds_notify(&d, RXQ);			/* not running: ignored */
	assert_int_equal(input(" there", 6), 6);	/* still held */
	assert_int_equal(vds_used_idx(&d, RXQ), 0);
	assert_int_equal(d.ram[gpa], 0xcc);
	assert_int_equal(d.irqs, 0);

	vds_driver_ok(&d);
	vds_expect_used(&d, RXQ, h, 11);
	assert_memory_equal(d.ram + gpa, "hello there", 11);
	assert_int_equal(d.ram[gpa + 11], 0xcc);	/* no more than that */
	assert_int_equal(d.irqs, 1);
	assert_int_equal(vds_ack_irq(&d), VIRTIO_MMIO_INT_VRING);
	assert_int_equal(con.input_count, 0);
	assert_int_equal(con.bytes_in, 11);
	assert_int_equal(out_len, 0);		/* input is not echoed */
}

/* Running, but no receive buffer yet: held until one is posted and the
 * receive queue notified. */
static void test_input_held_until_buffers_posted(void **state)
{
	(void)state;
	uint64_t gpa;

	bring_up(plain);
	assert_int_equal(input("abc", 3), 3);
	assert_int_equal(d.irqs, 0);
	assert_int_equal(con.input_count, 3);
	uint16_t h = post_rx(16, &gpa);
	vds_notify(&d, RXQ);
	vds_expect_used(&d, RXQ, h, 3);
	assert_memory_equal(d.ram + gpa, "abc", 3);
	assert_int_equal(d.irqs, 1);
	/* A buffer posted with nothing to say stays with the device. */
	h = post_rx(16, &gpa);
	vds_notify(&d, RXQ);
	assert_int_equal(vds_used_pending(&d, RXQ), 0);
	assert_int_equal(d.irqs, 1);
	/* Input goes straight into it. */
	assert_int_equal(input("xy", 2), 2);
	vds_expect_used(&d, RXQ, h, 2);
	assert_memory_equal(d.ram + gpa, "xy", 2);
	assert_int_equal(d.irqs, 2);
}

/* Input larger than a receive buffer fills several, in order, with the
 * right used lengths; a multi-buffer receive chain is filled across its
 * buffers. */
static void test_input_spans_buffers(void **state)
{
	(void)state;
	uint64_t g[3];

	bring_up(plain);
	uint16_t h0 = post_rx(8, &g[0]);
	uint16_t h1 = post_rx(8, &g[1]);
	uint16_t h2 = post_rx(8, &g[2]);
	vds_notify(&d, RXQ);
	assert_int_equal(input("0123456789abcdefghij", 20), 20);
	vds_expect_used(&d, RXQ, h0, 8);
	vds_expect_used(&d, RXQ, h1, 8);
	vds_expect_used(&d, RXQ, h2, 4);
	assert_memory_equal(d.ram + g[0], "01234567", 8);
	assert_memory_equal(d.ram + g[1], "89abcdef", 8);
	assert_memory_equal(d.ram + g[2], "ghij", 4);
	assert_int_equal(d.ram[g[2] + 4], 0xcc);
	assert_int_equal(d.irqs, 1);		/* one batch, one interrupt */

	/* No buffers left: 30 bytes wait, then go into a two-buffer chain
	 * (5 + 7) and a 16-byte one. */
	assert_int_equal(input("ABCDEFGHIJKLMNOPQRSTUVWXYZ+-*/", 30), 30);
	assert_int_equal(vds_used_pending(&d, RXQ), 0);
	struct vds_buf two[2] = { vds_in_buf(&d, 5, 0xcc),
				  vds_in_buf(&d, 7, 0xcc) };
	uint16_t h3 = vds_add_chain(&d, RXQ, two, 2);
	uint64_t g4;
	uint16_t h4 = post_rx(16, &g4);
	uint64_t g5;
	uint16_t h5 = post_rx(16, &g5);
	vds_notify(&d, RXQ);
	vds_expect_used(&d, RXQ, h3, 12);
	vds_expect_used(&d, RXQ, h4, 16);
	vds_expect_used(&d, RXQ, h5, 2);
	assert_memory_equal(d.ram + two[0].addr, "ABCDE", 5);
	assert_memory_equal(d.ram + two[1].addr, "FGHIJKL", 7);
	assert_memory_equal(d.ram + g4, "MNOPQRSTUVWXYZ+-", 16);
	assert_memory_equal(d.ram + g5, "*/", 2);
	assert_int_equal(d.irqs, 2);
	assert_int_equal(con.bytes_in, 50);
}

/* VIRTIO_CONSOLE_INPUT_SIZE bytes are held; more is refused and counted
 * as such; what was held comes out intact and in order, including after
 * the input ring has wrapped. */
static void test_input_limit_and_wrap(void **state)
{
	(void)state;
	char typed[VIRTIO_CONSOLE_INPUT_SIZE + 44];
	for (unsigned i = 0; i < sizeof(typed); i++)
		typed[i] = (char)(' ' + i % 95);

	assert_int_equal(input(typed, sizeof(typed)), VIRTIO_CONSOLE_INPUT_SIZE);
	assert_int_equal(input("x", 1), 0);
	assert_int_equal(input("", 0), 0);
	bring_up(plain);		/* no receive buffers yet */
	assert_int_equal(input("y", 1), 0);
	uint64_t g0, g1;
	uint16_t h0 = post_rx(100, &g0);
	uint16_t h1 = post_rx(200, &g1);
	vds_notify(&d, RXQ);
	vds_expect_used(&d, RXQ, h0, 100);
	vds_expect_used(&d, RXQ, h1, VIRTIO_CONSOLE_INPUT_SIZE - 100);
	assert_memory_equal(d.ram + g0, typed, 100);
	assert_memory_equal(d.ram + g1, typed + 100,
			    VIRTIO_CONSOLE_INPUT_SIZE - 100);
	assert_int_equal(con.input_count, 0);

	/* The ring's start is now at 256 % 256 = 0; move it to 100, then
	 * fill it whole so that it wraps. */
	uint64_t g2;
	uint16_t h2 = post_rx(100, &g2);
	assert_int_equal(input(typed, 100), 100);
	vds_expect_used(&d, RXQ, h2, 100);
	assert_int_equal(input(typed + 7, VIRTIO_CONSOLE_INPUT_SIZE + 10),
			 VIRTIO_CONSOLE_INPUT_SIZE);
	assert_int_equal(con.input_count, VIRTIO_CONSOLE_INPUT_SIZE);
	uint64_t g3;
	uint16_t h3 = post_rx(300, &g3);
	vds_notify(&d, RXQ);
	vds_expect_used(&d, RXQ, h3, VIRTIO_CONSOLE_INPUT_SIZE);
	assert_memory_equal(d.ram + g3, typed + 7, VIRTIO_CONSOLE_INPUT_SIZE);
	assert_int_equal(d.ram[g3 + VIRTIO_CONSOLE_INPUT_SIZE], 0xcc);
	/* And it takes input again. */
	assert_int_equal(input("z", 1), 1);
}

/* With EVENT_IDX the receive queue interrupts as used_event asks, and a
 * device that ran out of buffers asks to be notified of the next one. */
static void test_input_event_idx(void **state)
{
	(void)state;
	uint64_t g0, g1, g2;

	bring_up(all);
	uint16_t h0 = post_rx(4, &g0);
	vds_notify(&d, RXQ);
	vds_set_used_event(&d, RXQ, 1);		/* after the second entry */
	assert_int_equal(input("abcdef", 6), 6);	/* 4 delivered, 2 held */
	vds_expect_used(&d, RXQ, h0, 4);
	assert_int_equal(d.irqs, 1);		/* the first always does */
	/* Out of buffers with input waiting: avail_event re-armed, so a
	 * Linux driver notifies for the next buffer. */
	assert_int_equal(vds_avail_event(&d, RXQ), 1);
	uint16_t old = d.q[RXQ].avail_idx;
	uint16_t h1 = post_rx(4, &g1);
	assert_true(vds_should_notify(&d, RXQ, old, true));
	vds_notify(&d, RXQ);
	vds_expect_used(&d, RXQ, h1, 2);
	assert_memory_equal(d.ram + g1, "ef", 2);
	assert_int_equal(d.irqs, 2);		/* used->idx passed 1 */
	vds_set_used_event(&d, RXQ, 5);
	uint16_t h2 = post_rx(4, &g2);
	vds_notify(&d, RXQ);
	assert_int_equal(input("g", 1), 1);
	vds_expect_used(&d, RXQ, h2, 1);
	assert_int_equal(d.irqs, 2);		/* 5 is far off */
}

static void test_input_no_interrupt_flag(void **state)
{
	(void)state;
	uint64_t g;

	bring_up(plain);
	vds_set_avail_flags(&d, RXQ, VIRTQ_AVAIL_F_NO_INTERRUPT);
	uint16_t h = post_rx(8, &g);
	assert_int_equal(input("q", 1), 1);
	vds_expect_used(&d, RXQ, h, 1);
	assert_int_equal(d.irqs, 0);
	vds_set_avail_flags(&d, RXQ, 0);
	h = post_rx(8, &g);
	assert_int_equal(input("r", 1), 1);
	vds_expect_used(&d, RXQ, h, 1);
	assert_int_equal(d.irqs, 1);
	assert_int_equal(vds_ack_irq(&d), VIRTIO_MMIO_INT_VRING);
}

/* A reset keeps what was typed (the header says so) and the next driver
 * gets it. */
static void test_input_survives_reset(void **state)
{
	(void)state;
	uint64_t g;

	bring_up(plain);
	assert_int_equal(input("kept", 4), 4);
	vds_wr(&d, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(vds_status(&d), 0);
	assert_int_equal(input("!", 1), 1);
	assert_true(vds_negotiate(&d, plain));
	vds_setup_queue(&d, RXQ, QSIZE);
	vds_setup_queue(&d, TXQ, QSIZE);
	uint16_t h = post_rx(32, &g);
	vds_driver_ok(&d);
	vds_expect_used(&d, RXQ, h, 5);
	assert_memory_equal(d.ram + g, "kept!", 5);
}

/* A receive buffer outside the guest's RAM: NEEDS_RESET, one log line, a
 * config interrupt; the input stays held, and nothing more happens until
 * the driver resets the device. */
static void test_input_buffer_not_ram(void **state)
{
	(void)state;
	bring_up(plain);
	struct vds_buf bad = { VDS_NOT_RAM, 16, true };
	vds_add_chain(&d, RXQ, &bad, 1);
	vds_notify(&d, RXQ);			/* no input: not looked at */
	assert_int_equal(d.logs, 0);
	assert_int_equal(input("oops", 4), 4);
	assert_true(vds_status(&d) & VDS_NEEDS_RESET);
	assert_false(virtio_mmio_running(&t));
	assert_int_equal(d.logs, 1);
	assert_string_equal(d.last_log, "virtio-console: queue 0: "
			    "a buffer is not in the guest's RAM");
	assert_int_equal(vds_used_idx(&d, RXQ), 0);
	assert_int_equal(d.irqs, 1);
	assert_int_equal(vds_ack_irq(&d), VIRTIO_MMIO_INT_CONFIG);
	/* Output is refused too, silently. */
	post_tx("lost");
	vds_notify(&d, TXQ);
	assert_int_equal(out_len, 0);
	assert_int_equal(input("more", 4), 4);
	assert_int_equal(d.logs, 1);
	/* After a reset the held input reaches a good buffer. */
	uint64_t g;
	assert_true(vds_negotiate(&d, plain));
	vds_setup_queue(&d, RXQ, QSIZE);
	vds_setup_queue(&d, TXQ, QSIZE);
	uint16_t h = post_rx(32, &g);
	vds_driver_ok(&d);
	vds_expect_used(&d, RXQ, h, 8);
	assert_memory_equal(d.ram + g, "oopsmore", 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_identity, setup),
		cmocka_unit_test_setup(test_output_in_order_across_buffers_and_chains,
				       setup),
		cmocka_unit_test_setup(test_output_large_chains, setup),
		cmocka_unit_test_setup(test_output_indirect, setup),
		cmocka_unit_test_setup(test_output_not_before_driver_ok, setup),
		cmocka_unit_test_setup(test_output_event_idx, setup),
		cmocka_unit_test_setup(test_output_no_interrupt_flag, setup),
		cmocka_unit_test_setup(test_input_held_until_driver_ok, setup),
		cmocka_unit_test_setup(test_input_held_until_buffers_posted, setup),
		cmocka_unit_test_setup(test_input_spans_buffers, setup),
		cmocka_unit_test_setup(test_input_limit_and_wrap, setup),
		cmocka_unit_test_setup(test_input_event_idx, setup),
		cmocka_unit_test_setup(test_input_no_interrupt_flag, setup),
		cmocka_unit_test_setup(test_input_survives_reset, setup),
		cmocka_unit_test_setup(test_input_buffer_not_ram, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
