/*
 * io-bench: block and network figures from inside a Linux guest, the same
 * program on every platform (QEMU's own virtio devices, Vesta's), so the
 * two can be compared (bench/virtio.py). Built on the host with
 * `gcc -static` and put into the initramfs as /bin/io-bench.
 *
 *   io-bench blk DEVICE [MiB [SECONDS]]
 *       Sequential write of MiB (default 64) from the device's start in
 *       1 MiB requests, then fsync (the device's flush; counted in the
 *       write figure); sequential read of the same; then 4 KiB reads at
 *       random 4 KiB-aligned offsets in that area for SECONDS (default 3).
 *       All with O_DIRECT from aligned buffers, so neither the page cache
 *       nor read-ahead stands between the program and the device. Every
 *       4 KiB block written carries its own offset, and every read checks
 *       it: a device that returns wrong data fails the run.
 *   io-bench tcp-recv PORT
 *       Accepts one TCP connection on PORT (IPv4, any address), reads until
 *       EOF, closes, prints the bytes and MB/s from accept to EOF.
 *   io-bench tcp-send HOST PORT SECONDS
 *       Connects to HOST (an IPv4 address) on PORT, retrying for up to 30 s
 *       while the receiver comes up, writes 64 KiB at a time for SECONDS,
 *       shuts its side down and waits for the receiver to close (so every
 *       byte counted has arrived); prints bytes and MB/s from connect to
 *       that close.
 *
 * Output, one line a figure (MB = 10^6 bytes), after a first line
 * `io-bench: clocksource=NAME` (the kernel's current clocksource: with
 * jiffies the times are only good to a tick):
 *
 *   io-bench: blk seq-write 123.4 MB/s (67108864 bytes in 0.544 s)
 *   io-bench: blk seq-read 234.5 MB/s (67108864 bytes in 0.286 s)
 *   io-bench: blk rand-read-4k 5678 IOPS (17034 reads in 3.000 s)
 *   io-bench: tcp-recv 1234567 bytes in 5.01 s: 246.4 MB/s
 *   io-bench: tcp-send 1234567 bytes in 5.02 s: 245.9 MB/s
 *
 * and `io-bench: error: ...` (exit status 1) when something fails.
 * Figures, never pass/fail.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)
#define BLOCK 4096UL
#define NET_CHUNK (64UL * 1024UL)
#define CONNECT_RETRY_S 30.0

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("io-bench: error: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	exit(1);
}

static void usage(void)
{
	fputs("usage: io-bench blk DEVICE [MiB [SECONDS]]\n"
	      "       io-bench tcp-recv PORT\n"
	      "       io-bench tcp-send HOST PORT SECONDS\n", stderr);
	exit(2);
}

static unsigned long number(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0)
		fail("bad %s: %s", what, s);
	return v;
}

static double seconds_arg(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v > 0))
		fail("bad seconds: %s", s);
	return v;
}

/* ------------------------------------------------------------------ blk */

/* The tag at the start of each 4 KiB block: its byte offset, and a magic
 * that zeros (an unwritten block) do not carry. */
#define TAG_MAGIC 0x766573746121696fULL

static void tag(unsigned char *block, uint64_t offset)
{
	uint64_t t[2] = { offset, TAG_MAGIC ^ offset };
	memcpy(block, t, sizeof(t));
}

static void check(const unsigned char *block, uint64_t offset)
{
	uint64_t t[2];

	memcpy(t, block, sizeof(t));
	if (t[0] != offset || t[1] != (TAG_MAGIC ^ offset))
		fail("blk: wrong data at offset %llu: %016llx %016llx",
		     (unsigned long long)offset, (unsigned long long)t[0],
		     (unsigned long long)t[1]);
}

/* xorshift64*: the random offsets, the same sequence on every platform. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static void full_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	ssize_t n = pwrite(fd, buf, len, off);

	if (n < 0)
		fail("blk: write at %lld: %s", (long long)off, strerror(errno));
	if ((size_t)n != len)
		fail("blk: short write at %lld: %zd of %zu", (long long)off, n, len);
}

static void full_pread(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	if (n < 0)
		fail("blk: read at %lld: %s", (long long)off, strerror(errno));
	if ((size_t)n != len)
		fail("blk: short read at %lld: %zd of %zu", (long long)off, n, len);
}

static int blk(int argc, char **argv)
{
	const char *dev;
	unsigned long mib = 64;
	double rand_s = 3.0, t0, t, dt;
	uint64_t size = 0, bytes, reads = 0;
	unsigned char *buf;
	int fd;

	if (argc < 1 || argc > 3)
		usage();
	dev = argv[0];
	if (argc > 1)
		mib = number(argv[1], "MiB");
	if (argc > 2)
		rand_s = seconds_arg(argv[2]);
	bytes = (uint64_t)mib * MIB;

	fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0)
		fail("blk: %s: %s", dev, strerror(errno));
	if (ioctl(fd, BLKGETSIZE64, &size) != 0) {
		struct stat st;

		if (fstat(fd, &st) != 0)
			fail("blk: %s: %s", dev, strerror(errno));
		size = st.st_size;
	}
	if (size < bytes)
		fail("blk: %s has %llu bytes, fewer than the %lu MiB asked for",
		     dev, (unsigned long long)size, mib);
	if (posix_memalign((void **)&buf, BLOCK, MIB) != 0)
		fail("blk: out of memory");
	for (size_t i = 0; i < MIB; i++)
		buf[i] = (unsigned char)(i * 131 + 7);

	/* Sequential write, then the flush. */
	t0 = now();
	for (uint64_t off = 0; off < bytes; off += MIB) {
		for (uint64_t b = 0; b < MIB; b += BLOCK)
			tag(buf + b, off + b);
		full_pwrite(fd, buf, MIB, off);
	}
	if (fsync(fd) != 0)
		fail("blk: fsync: %s", strerror(errno));
	dt = now() - t0;
	printf("io-bench: blk seq-write %.1f MB/s (%llu bytes in %.3f s)\n",
	       bytes / dt / 1e6, (unsigned long long)bytes, dt);
	fflush(stdout);

	/* Sequential read, every block checked. */
	t0 = now();
	for (uint64_t off = 0; off < bytes; off += MIB) {
		full_pread(fd, buf, MIB, off);
		for (uint64_t b = 0; b < MIB; b += BLOCK)
			check(buf + b, off + b);
	}
	dt = now() - t0;
	printf("io-bench: blk seq-read %.1f MB/s (%llu bytes in %.3f s)\n",
	       bytes / dt / 1e6, (unsigned long long)bytes, dt);
	fflush(stdout);

	/* 4 KiB random reads over the written area, for rand_s seconds. */
	t0 = now();
	do {
		uint64_t off = rng() % (bytes / BLOCK) * BLOCK;

		full_pread(fd, buf, BLOCK, off);
		check(buf, off);
		reads++;
		t = now();
	} while (t - t0 < rand_s);
	dt = t - t0;
	printf("io-bench: blk rand-read-4k %.0f IOPS (%llu reads in %.3f s)\n",
	       reads / dt, (unsigned long long)reads, dt);
	fflush(stdout);
	free(buf);
	close(fd);
	return 0;
}

/* ------------------------------------------------------------------ tcp */

static unsigned short port_arg(const char *s)
{
	unsigned long p = number(s, "port");

	if (p > 65535)
		fail("bad port: %s", s);
	return (unsigned short)p;
}

static int tcp_recv(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	unsigned short port;
	uint64_t total = 0;
	double t0, dt;
	char *buf;
	int one = 1, ls, fd;

	if (argc != 1)
		usage();
	port = port_arg(argv[0]);
	buf = malloc(NET_CHUNK * 4);
	if (!buf)
		fail("tcp-recv: out of memory");
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0)
		fail("tcp-recv: socket: %s", strerror(errno));
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	addr.sin_addr.s_addr = htonl(INADDR_ANY);
	addr.sin_port = htons(port);
	if (bind(ls, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		fail("tcp-recv: bind port %u: %s", port, strerror(errno));
	if (listen(ls, 1) != 0)
		fail("tcp-recv: listen: %s", strerror(errno));
	printf("io-bench: tcp-recv listening on port %u\n", port);
	fflush(stdout);
	fd = accept(ls, NULL, NULL);
	if (fd < 0)
		fail("tcp-recv: accept: %s", strerror(errno));
	t0 = now();
	for (;;) {
		ssize_t n = read(fd, buf, NET_CHUNK * 4);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail("tcp-recv: read after %llu bytes: %s",
			     (unsigned long long)total, strerror(errno));
		if (n == 0)
			break;
		total += n;
	}
	dt = now() - t0;
	close(fd);
	close(ls);
	printf("io-bench: tcp-recv %llu bytes in %.2f s: %.1f MB/s\n",
	       (unsigned long long)total, dt, total / dt / 1e6);
	free(buf);
	return 0;
}

static int tcp_send(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	uint64_t total = 0;
	double secs, start, t0, dt;
	char *buf;
	int fd = -1, attempts = 0, err = 0;

	if (argc != 3)
		usage();
	if (inet_pton(AF_INET, argv[0], &addr.sin_addr) != 1)
		fail("tcp-send: not an IPv4 address: %s", argv[0]);
	addr.sin_port = htons(port_arg(argv[1]));
	secs = seconds_arg(argv[2]);
	signal(SIGPIPE, SIG_IGN);
	buf = malloc(NET_CHUNK);
	if (!buf)
		fail("tcp-send: out of memory");
	for (size_t i = 0; i < NET_CHUNK; i++)
		buf[i] = (char)(i * 131 + 7);

	/* The receiver may still be booting: retry for CONNECT_RETRY_S. */
	start = now();
	for (;;) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			fail("tcp-send: socket: %s", strerror(errno));
		attempts++;
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
			break;
		err = errno;
		close(fd);
		if (now() - start > CONNECT_RETRY_S)
			fail("tcp-send: connect to %s:%s: %s (%d attempts in %.0f s)",
			     argv[0], argv[1], strerror(err), attempts,
			     now() - start);
		usleep(200 * 1000);
	}
	printf("io-bench: tcp-send connected to %s:%s after %.2f s\n",
	       argv[0], argv[1], now() - start);
	fflush(stdout);

	t0 = now();
	while (now() - t0 < secs) {
		ssize_t n = write(fd, buf, NET_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail("tcp-send: write after %llu bytes: %s",
			     (unsigned long long)total, strerror(errno));
		total += n;
	}
	/* Done sending: wait for the receiver's close, so that every byte
	 * counted has arrived. */
	if (shutdown(fd, SHUT_WR) != 0)
		fail("tcp-send: shutdown: %s", strerror(errno));
	for (;;) {
		ssize_t n = read(fd, buf, NET_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail("tcp-send: waiting for the receiver's close: %s",
			     strerror(errno));
		if (n == 0)
			break;
	}
	dt = now() - t0;
	close(fd);
	printf("io-bench: tcp-send %llu bytes in %.2f s: %.1f MB/s\n",
	       (unsigned long long)total, dt, total / dt / 1e6);
	free(buf);
	return 0;
}

static void print_clocksource(void)
{
	char name[64] = "?";
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/"
			"current_clocksource", "r");

	if (f) {
		if (fscanf(f, "%63s", name) != 1)
			strcpy(name, "?");
		fclose(f);
	}
	printf("io-bench: clocksource=%s\n", name);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	print_clocksource();
	if (strcmp(argv[1], "blk") == 0)
		return blk(argc - 2, argv + 2);
	if (strcmp(argv[1], "tcp-recv") == 0)
		return tcp_recv(argc - 2, argv + 2);
	if (strcmp(argv[1], "tcp-send") == 0)
		return tcp_send(argc - 2, argv + 2);
	usage();
	return 2;
}
