/* xl vif specs, xl-network-configuration(5): items separated by ',', each
 * KEY=VALUE. Blanks around an item are dropped and empty items skipped, so
 * '' is one interface with every default. A key xl knows but Vesta cannot
 * honour is an error rather than ignored, so that a config never silently
 * means less than it says; see docs/network.md for the list. */
#include "lib/xl_vif.h"

#include <stdarg.h>

#include "lib/format.h"
#include "lib/string.h"

/* Values quoted in messages are cut to this many characters, as in
 * lib/xl_config.c. */
#define QUOTE_MAX 40

struct span {
	const char *text;
	size_t len;
};

struct vif_parser {
	struct xl_vif *out;
	char *err;
	size_t err_size;
};

static bool span_is(struct span s, const char *word)
{
	return strlen(word) == s.len && memcmp(s.text, word, s.len) == 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static struct span trim(struct span s)
{
	while (s.len > 0 && is_blank(s.text[0])) {
		s.text++;
		s.len--;
	}
	while (s.len > 0 && is_blank(s.text[s.len - 1]))
		s.len--;
	return s;
}

/* The span as written, for a message: at most QUOTE_MAX characters,
 * control bytes as '?', so a message stays one printable line. */
static const char *quote(struct span s, char buf[QUOTE_MAX + 1])
{
	size_t n = s.len, out = 0;
	bool cut = n > QUOTE_MAX;

	if (cut)
		n = QUOTE_MAX - 3;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s.text[i];

		buf[out++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	for (int i = 0; cut && i < 3; i++)
		buf[out++] = '.';
	buf[out] = '\0';
	return buf;
}

/* Records the message; always returns false. */
__attribute__((format(printf, 2, 3)))
static bool fail(struct vif_parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err_size == 0)
		return false;
	va_start(ap, fmt);
	fmt_vsnprintf(p->err, p->err_size, fmt, ap);
	va_end(ap);
	return false;
}

/* ------------------------------------------------------------- MACs */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool xl_vif_parse_mac(const char *text, size_t len,
		      uint8_t mac[XL_VIF_MAC_LEN])
{
	uint8_t bytes[XL_VIF_MAC_LEN];

	/* Six pairs and five ':' between them. */
	if (len != XL_VIF_MAC_STR_LEN - 1)
		return false;
	for (size_t i = 0; i < XL_VIF_MAC_LEN; i++) {
		const char *pair = text + i * 3;
		int hi = hex_value(pair[0]), lo = hex_value(pair[1]);

		if (hi < 0 || lo < 0)
			return false;
		if (i + 1 < XL_VIF_MAC_LEN && pair[2] != ':')
			return false;
		bytes[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, bytes, sizeof(bytes));
	return true;
}

static bool mac_is_zero(const uint8_t mac[XL_VIF_MAC_LEN])
{
	for (size_t i = 0; i < XL_VIF_MAC_LEN; i++) {
		if (mac[i] != 0)
			return false;
	}
	return true;
}

static bool mac_is_broadcast(const uint8_t mac[XL_VIF_MAC_LEN])
{
	for (size_t i = 0; i < XL_VIF_MAC_LEN; i++) {
		if (mac[i] != 0xff)
			return false;
	}
	return true;
}

bool xl_vif_mac_is_unicast(const uint8_t mac[XL_VIF_MAC_LEN])
{
	return !xl_vif_mac_is_multicast(mac) && !mac_is_zero(mac);
}

void xl_vif_format_mac(const uint8_t mac[XL_VIF_MAC_LEN],
		       char buf[XL_VIF_MAC_STR_LEN])
{
	fmt_snprintf(buf, XL_VIF_MAC_STR_LEN, "%02x:%02x:%02x:%02x:%02x:%02x",
		     mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

/* FNV-1a, 64 bits (offset basis and prime from the FNV reference). Not a
 * secret: only spreads names over the 23 bits a default MAC has. */
#define FNV64_OFFSET 0xcbf29ce484222325ull
#define FNV64_PRIME 0x100000001b3ull

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const uint8_t *b = data;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= FNV64_PRIME;
	}
	return h;
}

void xl_vif_default_mac(const char *domain_name, unsigned index,
			uint8_t mac[XL_VIF_MAC_LEN])
{
	/* The name's NUL keeps ("a", 12) and ("a1", 2) apart; the index goes
	 * in as 4 little-endian bytes on every host. */
	uint8_t idx[4] = { (uint8_t)index, (uint8_t)(index >> 8),
			   (uint8_t)(index >> 16), (uint8_t)(index >> 24) };
	uint64_t h = fnv1a(FNV64_OFFSET, domain_name, strlen(domain_name) + 1);

	h = fnv1a(h, idx, sizeof(idx));
	h ^= h >> 32;
	mac[0] = XL_VIF_XEN_OUI0;
	mac[1] = XL_VIF_XEN_OUI1;
	mac[2] = XL_VIF_XEN_OUI2;
	mac[3] = (uint8_t)(h >> 16) & 0x7f;
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

/* ------------------------------------------------------------- keys */

static bool set_mac(struct vif_parser *p, struct span v)
{
	char q[QUOTE_MAX + 1], text[XL_VIF_MAC_STR_LEN];
	uint8_t mac[XL_VIF_MAC_LEN];

	if (!xl_vif_parse_mac(v.text, v.len, mac))
		return fail(p, "mac: want xx:xx:xx:xx:xx:xx, got \"%s\"",
			    quote(v, q));
	xl_vif_format_mac(mac, text);
	if (mac_is_broadcast(mac))
		return fail(p, "mac: %s is the broadcast address", text);
	if (xl_vif_mac_is_multicast(mac))
		return fail(p, "mac: %s is a multicast address", text);
	if (mac_is_zero(mac))
		return fail(p, "mac: %s is not an interface address", text);
	memcpy(p->out->mac, mac, sizeof(mac));
	p->out->mac_given = true;
	return true;
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* A bridge or vifname: an interface name a Linux host would take too. */
static bool set_name(struct vif_parser *p, const char *key, struct span v,
		     char dst[XL_VIF_NAME_MAX])
{
	char q[QUOTE_MAX + 1];
	bool ok = v.len > 0 && v.len < XL_VIF_NAME_MAX;

	for (size_t i = 0; ok && i < v.len; i++)
		ok = is_name_char(v.text[i]);
	if (!ok)
		return fail(p, "%s: want 1-%d of A-Z a-z 0-9 _ . -, got \"%s\"",
			    key, XL_VIF_NAME_MAX - 1, quote(v, q));
	memcpy(dst, v.text, v.len);
	dst[v.len] = '\0';
	return true;
}

static bool set_bridge(struct vif_parser *p, struct span v)
{
	return set_name(p, "bridge", v, p->out->bridge);
}

static bool set_vifname(struct vif_parser *p, struct span v)
{
	return set_name(p, "vifname", v, p->out->vifname);
}

/* Every interface is a virtio-net device: the models xl would emulate
 * (rtl8139, e1000) are not there. */
static bool set_model(struct vif_parser *p, struct span v)
{
	char q[QUOTE_MAX + 1];

	if (span_is(v, "virtio") || span_is(v, "virtio-net"))
		return true;
	return fail(p, "model: \"%s\" is not supported (use virtio-net)",
		    quote(v, q));
}

/* xl's ioemu (emulated and PV) or vif (PV only): either way the guest gets
 * the one virtio-net device. Any other value is a typo worth reporting. */
static bool check_type(struct vif_parser *p, struct span v)
{
	char q[QUOTE_MAX + 1];

	if (span_is(v, "ioemu") || span_is(v, "vif"))
		return true;
	return fail(p, "type: want ioemu or vif, got \"%s\"", quote(v, q));
}

/* rate (no rate limiting yet), ip (for xl's hotplug scripts' filters: the
 * switch already pins each port to its MAC) and script (no hotplug scripts
 * here) mean nothing to Vesta and cannot change what the guest sees. */
static bool ignore(struct vif_parser *p, struct span v)
{
	(void)p;
	(void)v;
	return true;
}

struct vif_key {
	const char *name;
	bool (*set)(struct vif_parser *p, struct span value);
};

static const struct vif_key keys[] = {
	{ "mac", set_mac },
	{ "bridge", set_bridge },
	{ "model", set_model },
	{ "vifname", set_vifname },
	{ "type", check_type },
	{ "rate", ignore },
	{ "ip", ignore },
	{ "script", ignore },
};

/* xl keys and flags that would change the network in ways Vesta does not
 * do (driver domains, routed setups, MTUs, device ids, trust levels). */
static const char *const unsupported[] = {
	"backend", "gatewaydev", "netdev", "mtu", "devid", "accel",
	"trusted", "untrusted", "forwarddev",
};

static bool is_unsupported(struct span key)
{
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
		if (span_is(key, unsupported[i]))
			return true;
	}
	return false;
}

/* The first '=' of the span, or NULL (lib/string.h has no memchr). */
static const char *find_equals(struct span s)
{
	for (size_t i = 0; i < s.len; i++) {
		if (s.text[i] == '=')
			return s.text + i;
	}
	return NULL;
}

static bool parse_item(struct vif_parser *p, struct span item)
{
	char q[QUOTE_MAX + 1];
	const char *eq = find_equals(item);
	struct span key = item, value = { item.text + item.len, 0 };

	if (eq != NULL) {
		key.len = (size_t)(eq - item.text);
		value.text = eq + 1;
		value.len = item.len - key.len - 1;
	}
	if (is_unsupported(key))
		return fail(p, "\"%s\" is not supported", quote(key, q));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!span_is(key, keys[i].name))
			continue;
		if (eq == NULL)
			return fail(p, "\"%s\": want %s=VALUE", quote(key, q),
				    keys[i].name);
		return keys[i].set(p, value);
	}
	return fail(p, "unknown key \"%s\"", quote(key, q));
}

static void set_defaults(struct xl_vif *v, const char *domain_name,
			 unsigned index)
{
	memset(v, 0, sizeof(*v));
	xl_vif_default_mac(domain_name, index, v->mac);
	memcpy(v->bridge, XL_VIF_DEFAULT_BRIDGE, sizeof(XL_VIF_DEFAULT_BRIDGE));
}

bool xl_vif_parse(const char *spec, const char *domain_name, unsigned index,
		  struct xl_vif *out, char *err, size_t err_size)
{
	struct vif_parser p = { out, err, err_size };
	const char *s = spec;

	if (err_size > 0)
		err[0] = '\0';
	set_defaults(out, domain_name, index);
	for (;;) {
		const char *end = strchr(s, ',');
		struct span item = { s, end ? (size_t)(end - s) : strlen(s) };

		item = trim(item);
		if (item.len > 0 && !parse_item(&p, item))
			return false;
		if (end == NULL)
			return true;
		s = end + 1;
	}
}
