/*
 * bench: small figures from inside a Linux guest, the same program on
 * every platform (QEMU directly, Vesta), so the two can be compared.
 * Built on the host with `gcc -static` and put into the initramfs as
 * /bin/bench; `vesta.run=bench` on the kernel command line runs it and
 * powers off.
 *
 *   bench [-t SECONDS] [TEST...]     tests: cpu getppid clock fork pipe
 *                                    fault (default: all)
 *
 * For each test the number of operations doubles until one batch takes
 * at least SECONDS (default 0.2) on CLOCK_MONOTONIC; then three batches
 * of that size are timed and the median printed, one line a test:
 *
 *   vesta-bench: NAME VALUE UNIT n=OPS
 *
 * after a first line `vesta-bench: clocksource=NAME` (the kernel's current
 * clocksource: clock_gettime's cost depends on it), and
 * `vesta-bench: done` at the end. Figures, never pass/fail.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* Each test runs n operations and returns nothing; its time is taken
 * around the call. */
static volatile uint64_t sink;

static void t_cpu(long n)
{
	/* A dependent chain of multiply-adds: integer work, no memory. */
	uint64_t x = sink;
	for (long i = 0; i < n; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	sink = x;
}

static void t_getppid(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
}

static void t_clock(long n)
{
	struct timespec ts;
	for (long i = 0; i < n; i++)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	sink = ts.tv_nsec;
}

static void t_fork(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, NULL, 0) != pid)
			die("waitpid");
	}
}

static void t_pipe(long n)
{
	int ping[2], pong[2];
	char c = 0;
	if (pipe(ping) || pipe(pong))
		die("pipe");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(ping[1]);
		close(pong[0]);
		while (read(ping[0], &c, 1) == 1)
			if (write(pong[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(ping[0]);
	close(pong[1]);
	for (long i = 0; i < n; i++) {
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			die("pipe round trip");
	}
	close(ping[1]);
	close(pong[0]);
	waitpid(pid, NULL, 0);
}

/* n pages of fresh anonymous memory, each touched once: a page fault and
 * a zeroed page each (and, in a VM, whatever the hypervisor's nested
 * paging adds the first time guest memory is used). */
static void t_fault(long n)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, n * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	for (long i = 0; i < n; i++)
		p[i * page] = 1;
	munmap(p, n * page);
}

struct test {
	const char *name;
	void (*run)(long n);
	double scale;		/* seconds per op -> UNIT */
	const char *unit;
	long max_n;		/* 0: no limit */
};

static const struct test tests[] = {
	{ "cpu",     t_cpu,     1e9, "ns/iter",  0 },
	{ "getppid", t_getppid, 1e9, "ns/call",  0 },
	{ "clock",   t_clock,   1e9, "ns/call",  0 },
	{ "fork",    t_fork,    1e6, "us/fork",  0 },
	{ "pipe",    t_pipe,    1e6, "us/round-trip", 0 },
	{ "fault",   t_fault,   1e9, "ns/page",  16384 },	/* 64 MiB */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void measure(const struct test *t, double target)
{
	long n = 1;
	double dt;
	for (;;) {
		double t0 = now();
		t->run(n);
		dt = now() - t0;
		if (dt >= target || (t->max_n && n >= t->max_n))
			break;
		/* Grow towards the target, at most 16x a step. */
		double f = dt > 0 ? target / dt * 1.2 : 16;
		n = (long)(n * (f > 16 ? 16 : f < 2 ? 2 : f));
		if (t->max_n && n > t->max_n)
			n = t->max_n;
	}
	double runs[3];
	for (int i = 0; i < 3; i++) {
		double t0 = now();
		t->run(n);
		runs[i] = (now() - t0) / n;
	}
	qsort(runs, 3, sizeof(runs[0]), cmp_double);
	printf("vesta-bench: %s %.4g %s n=%ld\n", t->name,
	       runs[1] * t->scale, t->unit, n);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	double target = 0.2;
	int opt;
	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt == 't') {
			target = atof(optarg);
		} else {
			fprintf(stderr, "usage: bench [-t SECONDS] [TEST...]\n");
			return 2;
		}
	}
	const size_t ntests = sizeof(tests) / sizeof(tests[0]);
	char cs[64] = "unknown";
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/"
			"current_clocksource", "r");
	if (f) {
		if (fgets(cs, sizeof(cs), f))
			cs[strcspn(cs, "\n")] = 0;
		fclose(f);
	}
	printf("vesta-bench: clocksource=%s\n", cs);
	fflush(stdout);
	if (optind == argc) {
		for (size_t i = 0; i < ntests; i++)
			measure(&tests[i], target);
	}
	for (int a = optind; a < argc; a++) {
		size_t i;
		for (i = 0; i < ntests; i++)
			if (strcmp(argv[a], tests[i].name) == 0)
				break;
		if (i == ntests) {
			fprintf(stderr, "bench: no test %s\n", argv[a]);
			return 2;
		}
		measure(&tests[i], target);
	}
	printf("vesta-bench: done\n");
	return 0;
}
