/* mkbundle: writes a directory tree as a cpio "newc" archive (magic 070701),
 * the format of Vesta's boot bundle.
 *
 *     mkbundle -o OUT.cpio DIR
 *
 * Every directory, regular file and symbolic link under DIR becomes one
 * entry, named by its path relative to DIR (no leading "./"), in byte-wise
 * sorted order, so a directory always precedes its contents. The output
 * depends only on the paths and contents: mtime, uid and gid are 0, inode
 * numbers count up from 1, and modes are normalised (directories 0755,
 * files 0644, or 0755 if any execute bit is set; links 0777).
 *
 * The archive is written to OUT.tmp and renamed to OUT when complete, so a
 * failed run never leaves a half-written OUT behind; if OUT is under DIR,
 * neither it nor OUT.tmp goes into the archive. Errors name the path
 * and exit with status 1; usage errors exit with status 2. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NEWC_MAGIC "070701"
#define NEWC_HEADER_SIZE 110
#define TRAILER_NAME "TRAILER!!!"
#define FIELD_MAX 0xffffffffULL	/* every numeric field is 8 hex digits */

struct entry {
	char *path;		/* relative to the root, no leading "./" */
	mode_t mode;		/* normalised st_mode */
	uint64_t size;		/* from lstat; checked again when copied */
};

static const char *prog = "mkbundle";
static const char *tmp_path;	/* removed by fail() when set */

/* The output and its temporary file, left out if they are under DIR. */
static struct stat skip[2];
static int nskip;

static void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: error: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (tmp_path)
		unlink(tmp_path);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		fail("out of memory");
	return p;
}

static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = xmalloc(la + 1 + lb + 1);

	memcpy(s, a, la);
	s[la] = '/';
	memcpy(s + la + 1, b, lb + 1);
	return s;
}

/* ------------------------------------------------------------ collecting */

struct entry_list {
	struct entry *v;
	size_t n, cap;
};

static void list_add(struct entry_list *l, char *path, mode_t mode,
		     uint64_t size)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			fail("out of memory");
	}
	l->v[l->n].path = path;
	l->v[l->n].mode = mode;
	l->v[l->n].size = size;
	l->n++;
}

static mode_t normalise_mode(mode_t m)
{
	if (S_ISDIR(m))
		return S_IFDIR | 0755;
	if (S_ISLNK(m))
		return S_IFLNK | 0777;
	return S_IFREG | ((m & 0111) ? 0755 : 0644);
}

static bool is_skipped(const struct stat *st)
{
	for (int i = 0; i < nskip; i++)
		if (skip[i].st_dev == st->st_dev && skip[i].st_ino == st->st_ino)
			return true;
	return false;
}

/* Adds every entry under root/rel (rel == "" for the root itself). */
static void collect(const char *root, const char *rel, struct entry_list *l)
{
	char *dir_path = rel[0] ? join(root, rel) : strdup(root);
	DIR *d;
	struct dirent *de;

	if (!dir_path)
		fail("out of memory");
	d = opendir(dir_path);
	if (!d)
		fail("%s: cannot open directory: %s", dir_path, strerror(errno));
	for (;;) {
		struct stat st;
		char *child_rel, *child_path;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				fail("%s: cannot read directory: %s", dir_path,
				     strerror(errno));
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		child_rel = rel[0] ? join(rel, de->d_name) : strdup(de->d_name);
		if (!child_rel)
			fail("out of memory");
		child_path = join(root, child_rel);
		if (lstat(child_path, &st) != 0)
			fail("%s: cannot stat: %s", child_path, strerror(errno));
		if (is_skipped(&st)) {
			free(child_path);
			free(child_rel);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			list_add(l, child_rel, normalise_mode(st.st_mode), 0);
			collect(root, child_rel, l);
		} else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
			if ((uint64_t)st.st_size > FIELD_MAX)
				fail("%s: too large for a newc archive (%jd bytes)",
				     child_path, (intmax_t)st.st_size);
			list_add(l, child_rel, normalise_mode(st.st_mode),
				 (uint64_t)st.st_size);
		} else {
			fail("%s: unsupported file type (not a file, "
			     "directory or symbolic link)", child_path);
		}
		free(child_path);
	}
	closedir(d);
	free(dir_path);
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* --------------------------------------------------------------- writing */

struct out {
	FILE *f;
	const char *path;	/* for messages: the final name */
	uint64_t offset;
};

static void out_write(struct out *o, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, o->f) != n)
		fail("%s: write failed: %s", o->path, strerror(errno));
	o->offset += n;
}

static void out_pad4(struct out *o)
{
	static const char zeros[4];
	size_t pad = (size_t)((4 - (o->offset & 3)) & 3);

	out_write(o, zeros, pad);
}

static void out_header(struct out *o, uint32_t ino, uint32_t mode,
		       uint32_t nlink, uint32_t filesize, const char *name)
{
	char hdr[NEWC_HEADER_SIZE + 1];
	size_t namesize = strlen(name) + 1;
	int n;

	if (namesize > FIELD_MAX)
		fail("%s: name too long", name);
	/* magic ino mode uid gid nlink mtime filesize devmajor devminor
	 * rdevmajor rdevminor namesize check */
	n = snprintf(hdr, sizeof(hdr),
		     "%s%08" PRIX32 "%08" PRIX32 "%08X%08X%08" PRIX32
		     "%08X%08" PRIX32 "%08X%08X%08X%08X%08" PRIX32 "%08X",
		     NEWC_MAGIC, ino, mode, 0u, 0u, nlink, 0u, filesize,
		     0u, 0u, 0u, 0u, (uint32_t)namesize, 0u);
	if (n != NEWC_HEADER_SIZE)
		fail("internal error: header is %d bytes", n);
	out_write(o, hdr, NEWC_HEADER_SIZE);
	out_write(o, name, namesize);
	out_pad4(o);
}

static void copy_file(struct out *o, const char *path, uint64_t size)
{
	char buf[65536];
	uint64_t done = 0;
	FILE *in = fopen(path, "rb");

	if (!in)
		fail("%s: cannot open: %s", path, strerror(errno));
	while (done < size) {
		size_t want = size - done < sizeof(buf) ? (size_t)(size - done)
							 : sizeof(buf);
		size_t got = fread(buf, 1, want, in);

		if (got == 0) {
			if (ferror(in))
				fail("%s: read failed: %s", path, strerror(errno));
			fail("%s: file shrank while being read", path);
		}
		out_write(o, buf, got);
		done += got;
	}
	if (fgetc(in) != EOF)
		fail("%s: file grew while being read", path);
	if (ferror(in))
		fail("%s: read failed: %s", path, strerror(errno));
	fclose(in);
}

static void write_entry(struct out *o, const char *root, const struct entry *e,
			uint32_t ino)
{
	char *path = join(root, e->path);

	if (S_ISLNK(e->mode)) {
		/* The data of a symbolic link is its target, without a NUL. */
		char *target = xmalloc(e->size + 1);
		ssize_t n = readlink(path, target, e->size + 1);

		if (n < 0)
			fail("%s: cannot read link: %s", path, strerror(errno));
		if ((uint64_t)n != e->size)
			fail("%s: link changed while being read", path);
		out_header(o, ino, (uint32_t)e->mode, 1, (uint32_t)n, e->path);
		out_write(o, target, (size_t)n);
		free(target);
	} else if (S_ISDIR(e->mode)) {
		out_header(o, ino, (uint32_t)e->mode, 2, 0, e->path);
	} else {
		out_header(o, ino, (uint32_t)e->mode, 1, (uint32_t)e->size,
			   e->path);
		copy_file(o, path, e->size);
	}
	out_pad4(o);
	free(path);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: %s -o OUT.cpio DIR\n"
		"Writes every file and directory under DIR to OUT.cpio as a "
		"reproducible cpio newc archive.\n", prog);
}

int main(int argc, char **argv)
{
	const char *out_path = NULL, *root;
	struct entry_list list = { 0 };
	struct out o = { 0 };
	struct stat st;
	char *tmp;
	int opt;

	if (argc > 0 && argv[0][0])
		prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	while ((opt = getopt(argc, argv, "ho:")) != -1) {
		switch (opt) {
		case 'o':
			out_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!out_path || optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	root = argv[optind];

	if (stat(root, &st) != 0)
		fail("%s: %s", root, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		fail("%s: not a directory", root);

	if (asprintf(&tmp, "%s.tmp", out_path) < 0)
		fail("out of memory");
	o.f = fopen(tmp, "wb");
	if (!o.f)
		fail("%s: cannot create: %s", tmp, strerror(errno));
	tmp_path = tmp;
	o.path = tmp;
	if (fstat(fileno(o.f), &skip[nskip]) == 0)
		nskip++;
	if (stat(out_path, &skip[nskip]) == 0)
		nskip++;

	collect(root, "", &list);
	qsort(list.v, list.n, sizeof(*list.v), entry_cmp);
	if (list.n >= FIELD_MAX)
		fail("%s: too many entries", root);

	for (size_t i = 0; i < list.n; i++)
		write_entry(&o, root, &list.v[i], (uint32_t)(i + 1));
	out_header(&o, 0, 0, 1, 0, TRAILER_NAME);
	/* GNU cpio pads the archive to 512 bytes; readers do not need it, and
	 * a 4-byte aligned end keeps the bundle as small as it can be. */

	if (fflush(o.f) != 0 || ferror(o.f))
		fail("%s: write failed: %s", tmp, strerror(errno));
	if (fclose(o.f) != 0)
		fail("%s: write failed: %s", tmp, strerror(errno));
	if (rename(tmp, out_path) != 0)
		fail("%s: cannot rename %s to it: %s", out_path, tmp,
		     strerror(errno));
	tmp_path = NULL;

	for (size_t i = 0; i < list.n; i++)
		free(list.v[i].path);
	free(list.v);
	free(tmp);
	return 0;
}
