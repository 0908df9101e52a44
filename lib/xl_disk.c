/* xl disk specs, read the way Xen's libxlu reads them
 * (tools/libs/util/libxlu_disk_l.l, documented in xl-disk-configuration(5)):
 * comma-separated parameters, blanks before each ignored; `key=value`
 * parameters and bare flags are taken by name; anything else fills the
 * first positional parameter not yet given, in the order target, format,
 * vdev, access; `target=` takes the rest of the string, commas and all; an
 * xm prefix (`file:`, `phy:`, `raw:` ...) at the start of a parameter is
 * stripped and leaves the format to be given by name only. Each parameter
 * may be given once; an empty value means its default. The spec is read
 * where it lies: values are (pointer, length) slices into it until the
 * end, when they are checked and copied out. */
#include "lib/xl_disk.h"

#include "lib/format.h"
#include "lib/string.h"

/* How much of a value as written an error message quotes. */
#define QUOTE_MAX 40
/* xen-vbd-interface(7) "Concrete encoding": xvd disks go up to
 * (1 << 20) - 1 (the 1 << 28 form), IDE to 3 (hda-hdd), SCSI to 15
 * (sda-sdp, the 8 << 8 form). */
#define XVD_DISK_MAX ((1u << 20) - 1)
#define HD_DISK_MAX 3u
#define SD_DISK_MAX 15u

enum param { P_TARGET, P_FORMAT, P_VDEV, P_ACCESS, P_COUNT };

static const char *const param_name[P_COUNT] = {
	"target", "format", "vdev", "access",
};

struct slice {
	const char *s;
	size_t len;
};

struct disk_parse {
	struct slice value[P_COUNT];
	bool given[P_COUNT];
	bool had_prefix;	/* an xm prefix: no positional format */
	bool target_took_commas;	/* target= swallowed later parameters */
	bool discard;
	char *err;
	size_t err_len;
};

static bool fail(struct disk_parse *dp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool fail(struct disk_parse *dp, const char *fmt, ...)
{
	va_list ap;

	if (dp->err_len > 0) {
		va_start(ap, fmt);
		fmt_vsnprintf(dp->err, dp->err_len, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* A value for a message: at most QUOTE_MAX characters, cut with "...",
 * control characters (a config string may escape them in) shown as '?'. */
static const char *quote(struct slice v, char out[QUOTE_MAX + 1])
{
	size_t n = v.len > QUOTE_MAX ? QUOTE_MAX - 3 : v.len;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v.s[i];

		out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (n < v.len) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

static bool slice_is(struct slice v, const char *word)
{
	return v.len == strlen(word) && memcmp(v.s, word, v.len) == 0;
}

/* Where c first occurs in v, or NULL (lib/string.h has no memchr). */
static const char *find_char(struct slice v, char c)
{
	for (size_t i = 0; i < v.len; i++) {
		if (v.s[i] == c)
			return v.s + i;
	}
	return NULL;
}

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* ------------------------------------------------------------ parameters */

/* Gives a parameter its value. Giving it again is an error unless it was
 * given empty (xl's savestring), as in ',,xvda,format=raw'. */
static bool set_param(struct disk_parse *dp, enum param p, struct slice v)
{
	char q[QUOTE_MAX + 1];

	if (dp->given[p] && dp->value[p].len > 0)
		return fail(dp, "%s given twice ('%s')", param_name[p],
			    quote(v, q));
	dp->given[p] = true;
	dp->value[p] = v;
	return true;
}

/* xm's `vdev:devtype`, as in 'hdc:cdrom': only disks are supported. */
static bool set_vdev_and_devtype(struct disk_parse *dp, struct slice v)
{
	size_t colon = v.len;
	char q[QUOTE_MAX + 1];

	while (colon > 0 && v.s[colon - 1] != ':')
		colon--;
	struct slice type = { v.s + colon, v.len - colon };
	struct slice vdev = { v.s, colon - 1 };

	if (slice_is(type, "cdrom"))
		return fail(dp, "cdrom devices are not supported");
	if (!slice_is(type, "disk"))
		return fail(dp, "unknown device type '%s'", quote(type, q));
	return set_param(dp, P_VDEV, vdev);
}

static bool has_colon(struct slice v)
{
	return find_char(v, ':') != NULL;
}

/* A parameter without '=' that is not a flag fills the first positional
 * parameter not yet given (the format's place is skipped after an xm
 * prefix, as in 'file:/x.img,xvda,w'). */
static bool set_positional(struct disk_parse *dp, struct slice v)
{
	char q[QUOTE_MAX + 1];

	if (!dp->given[P_TARGET])
		return set_param(dp, P_TARGET, v);
	if (!dp->had_prefix && !dp->given[P_FORMAT]) {
		/* xm's empty cdrom, ',hdc:cdrom,r': the vdev comes early. */
		if (dp->value[P_TARGET].len == 0 && has_colon(v))
			return set_vdev_and_devtype(dp, v);
		return set_param(dp, P_FORMAT, v);
	}
	if (!dp->given[P_VDEV])
		return has_colon(v) ? set_vdev_and_devtype(dp, v)
				    : set_param(dp, P_VDEV, v);
	if (!dp->given[P_ACCESS])
		return set_param(dp, P_ACCESS, v);
	return fail(dp, "too many positional parameters at '%s'", quote(v, q));
}

enum flag_result { FLAG_NONE, FLAG_TAKEN, FLAG_REFUSED };

/* Flags xl knows: those that mean something here, those that are harmless
 * to ignore (they tune Xen's backends), and those we cannot honour. */
static enum flag_result apply_flag(struct disk_parse *dp, struct slice v)
{
	static const char *const ignored[] = {
		"direct-io-safe", "trusted", "untrusted", "no-colo",
	};

	if (slice_is(v, "discard") || slice_is(v, "no-discard")) {
		dp->discard = slice_is(v, "discard");
		return FLAG_TAKEN;
	}
	if (slice_is(v, "cdrom")) {
		fail(dp, "cdrom devices are not supported");
		return FLAG_REFUSED;
	}
	if (slice_is(v, "colo")) {
		fail(dp, "colo is not supported");
		return FLAG_REFUSED;
	}
	for (size_t i = 0; i < sizeof(ignored) / sizeof(*ignored); i++) {
		if (slice_is(v, ignored[i]))
			return FLAG_TAKEN;
	}
	return FLAG_NONE;
}

/* backendtype= and specification= choose among Xen's backends and
 * protocols; every disk here is a virtio disk, so a valid value is
 * accepted and has no effect, as is grant_usage=. */
static bool check_ignored_key(struct disk_parse *dp, struct slice key,
			      struct slice val)
{
	static const char *const backendtypes[] = {
		"", "phy", "tap", "qdisk", "standalone",
	};
	char q[QUOTE_MAX + 1];

	if (slice_is(key, "backendtype")) {
		for (size_t i = 0; i < sizeof(backendtypes) / sizeof(*backendtypes); i++) {
			if (slice_is(val, backendtypes[i]))
				return true;
		}
		return fail(dp, "unknown backendtype '%s'", quote(val, q));
	}
	if (slice_is(key, "specification")) {
		if (slice_is(val, "") || slice_is(val, "xen") ||
		    slice_is(val, "virtio"))
			return true;
		return fail(dp, "unknown specification '%s'", quote(val, q));
	}
	/* grant_usage */
	if (slice_is(val, "0") || slice_is(val, "1"))
		return true;
	return fail(dp, "grant_usage must be 0 or 1, not '%s'", quote(val, q));
}

static bool is_keyword(struct slice v)
{
	if (v.len == 0 || !is_lower(v.s[0]))
		return false;
	for (size_t i = 1; i < v.len; i++) {
		char c = v.s[i];

		if (!is_lower(c) && !is_digit(c) && c != '-' && c != '_')
			return false;
	}
	return true;
}

static bool apply_keyword(struct disk_parse *dp, struct slice key,
			  struct slice val)
{
	static const char *const unsupported[] = {
		"backend", "script", "colo-host", "colo-port", "colo-export",
		"active-disk", "hidden-disk",
	};
	char q[QUOTE_MAX + 1];

	if (slice_is(key, "format"))
		return set_param(dp, P_FORMAT, val);
	if (slice_is(key, "vdev"))
		return set_param(dp, P_VDEV, val);
	if (slice_is(key, "access"))
		return set_param(dp, P_ACCESS, val);
	if (slice_is(key, "devtype")) {
		if (slice_is(val, "disk"))
			return true;
		if (slice_is(val, "cdrom"))
			return fail(dp, "cdrom devices are not supported");
		return fail(dp, "unknown devtype '%s'", quote(val, q));
	}
	if (slice_is(key, "backendtype") || slice_is(key, "specification") ||
	    slice_is(key, "grant_usage"))
		return check_ignored_key(dp, key, val);
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(*unsupported); i++) {
		if (slice_is(key, unsupported[i]))
			return fail(dp, "%s= is not supported", unsupported[i]);
	}
	if (!is_keyword(key))
		return fail(dp, "'%s': only target= may hold a '='",
			    quote((struct slice){ key.s, key.len + 1 + val.len }, q));
	return fail(dp, "unknown parameter '%s'", quote(key, q));
}

/* One comma-separated parameter (not target=, no prefix). */
static bool apply_parameter(struct disk_parse *dp, struct slice v)
{
	const char *eq = find_char(v, '=');
	enum flag_result flag;

	if (eq) {
		struct slice key = { v.s, (size_t)(eq - v.s) };
		struct slice val = { eq + 1, v.len - key.len - 1 };

		return apply_keyword(dp, key, val);
	}
	flag = apply_flag(dp, v);
	if (flag != FLAG_NONE)
		return flag == FLAG_TAKEN;
	return set_positional(dp, v);
}

/* ------------------------------------------------------------ xm prefixes */

/* A prefix `word:` at p, as xl's lexer sees one: a known word, or any
 * lowercase word whose colon is followed by the end or by a character
 * that is not a letter or digit (so 'xvda:disk' is no prefix). Returns
 * the word's length, 0 when there is none. */
static size_t prefix_at(const char *p)
{
	static const char *const known[] = {
		"raw", "qcow", "qcow2", "vhd", "iscsi", "nbd", "enbd", "drbd",
		"tapdisk", "tap", "tap2", "aio", "ioemu", "file", "phy",
	};
	size_t n = 0;

	if (!is_lower(p[0]))
		return 0;
	while (is_lower(p[n]) || is_digit(p[n]))
		n++;
	if (p[n] != ':')
		return 0;
	for (size_t i = 0; i < sizeof(known) / sizeof(*known); i++) {
		if (slice_is((struct slice){ p, n }, known[i]))
			return n;
	}
	if (p[n + 1] == '\0' || (!is_lower(p[n + 1]) && !is_digit(p[n + 1])))
		return n;
	return 0;
}

static bool apply_prefix(struct disk_parse *dp, struct slice word)
{
	static const char *const formats[] = { "raw", "qcow", "qcow2", "vhd" };
	static const char *const scripts[] = { "iscsi", "nbd", "enbd", "drbd" };
	static const char *const ignored[] = {
		"tapdisk", "tap", "tap2", "aio", "ioemu", "file", "phy",
	};
	char q[QUOTE_MAX + 1];

	dp->had_prefix = true;
	for (size_t i = 0; i < sizeof(formats) / sizeof(*formats); i++) {
		if (slice_is(word, formats[i]))
			return set_param(dp, P_FORMAT, word);
	}
	for (size_t i = 0; i < sizeof(scripts) / sizeof(*scripts); i++) {
		if (slice_is(word, scripts[i]))
			return fail(dp, "'%s:' needs a block script: not supported",
				    scripts[i]);
	}
	for (size_t i = 0; i < sizeof(ignored) / sizeof(*ignored); i++) {
		if (slice_is(word, ignored[i]))
			return true;
	}
	return fail(dp, "unknown deprecated disk prefix '%s:'", quote(word, q));
}

/* --------------------------------------------------------------- the scan */

static const char *skip_blanks(const char *p)
{
	while (is_blank(*p))
		p++;
	return p;
}

static bool scan(struct disk_parse *dp, const char *p)
{
	static const char target_key[] = "target=";

	for (p = skip_blanks(p); *p != '\0'; p = skip_blanks(p)) {
		size_t n = prefix_at(p);

		if (strncmp(p, target_key, sizeof(target_key) - 1) == 0) {
			/* The rest of the spec, less one trailing comma. */
			struct slice v = { p + sizeof(target_key) - 1, 0 };

			v.len = strlen(v.s);
			if (v.len > 0 && v.s[v.len - 1] == ',')
				v.len--;
			dp->target_took_commas = find_char(v, ',') != NULL;
			return set_param(dp, P_TARGET, v);
		}
		if (n > 0) {
			if (!apply_prefix(dp, (struct slice){ p, n }))
				return false;
			p += n + 1;
			continue;
		}
		const char *comma = strchr(p, ',');
		struct slice v = { p, comma ? (size_t)(comma - p) : strlen(p) };

		if (!apply_parameter(dp, v))
			return false;
		p = comma ? comma + 1 : p + v.len;
	}
	return true;
}

/* ------------------------------------------------------------ the values */

/* "a".."z" is 0..25, "aa" 26: bijective base 26, as Xen numbers disks.
 * Returns the letters' count (0: none); a number above UINT32_MAX - 1
 * comes out as UINT32_MAX, past every scheme's last disk. */
static size_t disk_letters(struct slice v, size_t at, uint32_t *disk)
{
	uint64_t n = 0;
	size_t i = at;

	for (; i < v.len && is_lower(v.s[i]); i++) {
		n = n * 26 + (uint64_t)(v.s[i] - 'a' + 1);
		if (n > UINT32_MAX)
			n = (uint64_t)UINT32_MAX + 1;
	}
	*disk = (uint32_t)(n - 1);
	return i - at;
}

/* A decimal number without leading zeros, at most max. Returns the digits'
 * count, 0 when there are none, a leading zero or too large a number. */
static size_t decimal(struct slice v, size_t at, uint32_t max, uint32_t *out)
{
	uint64_t n = 0;
	size_t i = at;

	while (i < v.len && is_digit(v.s[i])) {
		n = n * 10 + (uint64_t)(v.s[i] - '0');
		if (n > max)
			return 0;
		i++;
	}
	if (i == at || (v.s[at] == '0' && i - at > 1))
		return 0;
	*out = (uint32_t)n;
	return i - at;
}

static bool all_digits(struct slice v)
{
	for (size_t i = 0; i < v.len; i++) {
		if (!is_digit(v.s[i]))
			return false;
	}
	return v.len > 0;
}

struct vdev_scheme {
	const char *prefix;
	enum xl_disk_vdev_kind kind;
	uint32_t max;
	const char *range;	/* for the message when max is passed */
};

/* Longest prefix first: "xvd" before "vd". */
static const struct vdev_scheme vdev_schemes[] = {
	{ "xvd", XL_DISK_VDEV_XVD, XVD_DISK_MAX, NULL },
	{ "hd", XL_DISK_VDEV_HD, HD_DISK_MAX, "IDE disks are hda-hdd" },
	{ "sd", XL_DISK_VDEV_SD, SD_DISK_MAX, "SCSI disks are sda-sdp" },
	{ "vd", XL_DISK_VDEV_VD, XVD_DISK_MAX, NULL },
};

/* `d<disk>` or `d<disk>p<partition>` (xen-vbd-interface(7)). */
static bool parse_d_form(struct disk_parse *dp, struct slice v,
			 struct xl_disk *out)
{
	uint32_t disk, part = 0;
	size_t n = decimal(v, 1, XVD_DISK_MAX, &disk);
	char q[QUOTE_MAX + 1];

	if (n > 0 && 1 + n < v.len) {
		size_t m = v.s[1 + n] == 'p' ? decimal(v, 2 + n, 255, &part) : 0;

		n = m > 0 && 2 + n + m == v.len ? v.len - 1 : 0;
	}
	if (n == 0)
		return fail(dp, "vdev '%s' not understood", quote(v, q));
	if (part != 0)
		return fail(dp, "vdev '%s' is a partition: a virtio disk is a whole disk",
			    quote(v, q));
	out->vdev_kind = XL_DISK_VDEV_XVD;
	out->vdev_disk = disk;
	return true;
}

static bool parse_lettered(struct disk_parse *dp, struct slice v,
			   const struct vdev_scheme *sc, struct xl_disk *out)
{
	size_t at = strlen(sc->prefix);
	uint32_t disk = 0, part;
	size_t n = disk_letters(v, at, &disk);
	char q[QUOTE_MAX + 1];

	if (n == 0)
		return fail(dp, "vdev '%s' not understood", quote(v, q));
	if (at + n < v.len) {
		if (decimal(v, at + n, 255, &part) == v.len - at - n && part > 0)
			return fail(dp, "vdev '%s' is a partition: a virtio disk is a whole disk",
				    quote(v, q));
		return fail(dp, "vdev '%s' not understood", quote(v, q));
	}
	if (disk > sc->max) {
		if (sc->range)
			return fail(dp, "vdev '%s': %s", quote(v, q), sc->range);
		return fail(dp, "vdev '%s': disk number too large", quote(v, q));
	}
	out->vdev_kind = sc->kind;
	out->vdev_disk = disk;
	return true;
}

static bool parse_vdev(struct disk_parse *dp, struct slice v,
		       struct xl_disk *out)
{
	char q[QUOTE_MAX + 1];

	if (v.len == 0 && dp->target_took_commas)
		return fail(dp, "no vdev: target= takes the rest of the spec, so it must come last");
	if (v.len == 0)
		return fail(dp, "no vdev (the guest's name for the disk, e.g. xvda)");
	if (v.len >= XL_DISK_VDEV_MAX)
		return fail(dp, "vdev '%s' is too long", quote(v, q));
	if (all_digits(v))
		return fail(dp, "numeric vdev '%s' is not supported: use a name like xvda",
			    quote(v, q));
	memcpy(out->vdev, v.s, v.len);
	out->vdev[v.len] = '\0';
	if (v.s[0] == 'd' && v.len > 1 && is_digit(v.s[1]))
		return parse_d_form(dp, v, out);
	for (size_t i = 0; i < sizeof(vdev_schemes) / sizeof(*vdev_schemes); i++) {
		size_t plen = strlen(vdev_schemes[i].prefix);

		if (v.len > plen && memcmp(v.s, vdev_schemes[i].prefix, plen) == 0)
			return parse_lettered(dp, v, &vdev_schemes[i], out);
	}
	return fail(dp, "vdev '%s' not understood (xvda, hda, sda, vda or d0)",
		    quote(v, q));
}

static bool check_format(struct disk_parse *dp, struct slice v)
{
	static const char *const known[] = {
		"qcow", "qcow2", "vhd", "qed", "empty",
	};
	char q[QUOTE_MAX + 1];

	if (v.len == 0 || slice_is(v, "raw"))
		return true;
	for (size_t i = 0; i < sizeof(known) / sizeof(*known); i++) {
		if (slice_is(v, known[i]))
			return fail(dp, "format %s is not supported (only raw)",
				    known[i]);
	}
	return fail(dp, "unknown format '%s'", quote(v, q));
}

static bool parse_access(struct disk_parse *dp, struct slice v, bool *ro)
{
	char q[QUOTE_MAX + 1];

	if (v.len == 0 || slice_is(v, "rw") || slice_is(v, "w")) {
		*ro = false;
		return true;
	}
	if (slice_is(v, "ro") || slice_is(v, "r")) {
		*ro = true;
		return true;
	}
	return fail(dp, "unknown access '%s' (ro, r, rw or w)", quote(v, q));
}

static bool copy_target(struct disk_parse *dp, struct slice v,
			struct xl_disk *out)
{
	if (v.len == 0)
		return fail(dp, "no target: name a disk image in the bundle");
	if (v.len >= XL_DISK_TARGET_MAX)
		return fail(dp, "target longer than %d characters",
			    XL_DISK_TARGET_MAX - 1);
	memcpy(out->target, v.s, v.len);
	out->target[v.len] = '\0';
	return true;
}

bool xl_disk_parse(const char *spec, struct xl_disk *out, char *err,
		   size_t err_len)
{
	struct disk_parse dp;
	struct xl_disk d;

	memset(&dp, 0, sizeof(dp));
	memset(&d, 0, sizeof(d));
	dp.err = err;
	dp.err_len = err_len;
	dp.discard = true;	/* xl-disk-configuration(5): discard */
	if (err_len > 0)
		err[0] = '\0';
	if (!scan(&dp, spec) ||
	    !copy_target(&dp, dp.value[P_TARGET], &d) ||
	    !check_format(&dp, dp.value[P_FORMAT]) ||
	    !parse_vdev(&dp, dp.value[P_VDEV], &d) ||
	    !parse_access(&dp, dp.value[P_ACCESS], &d.read_only))
		return false;
	d.discard = dp.discard;
	*out = d;
	return true;
}

bool xl_disk_same_vdev(const struct xl_disk *a, const struct xl_disk *b)
{
	return a->vdev_kind == b->vdev_kind && a->vdev_disk == b->vdev_disk;
}
