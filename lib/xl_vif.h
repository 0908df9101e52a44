/* One network interface of a domain config, in the syntax of Xen's
 * xl-network-configuration(5): `vif = [ 'mac=00:16:3e:01:02:03,bridge=br1' ]`
 * holds one spec per interface, each a comma-separated list of KEY=VALUE
 * items. lib/xl_config.c keeps each spec as written; this file reads one.
 * See docs/network.md. */
#ifndef LIB_XL_VIF_H
#define LIB_XL_VIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XL_VIF_MAC_LEN 6
/* Bridge and vifname: a Linux interface name, at most 15 characters
 * (IFNAMSIZ 16 with the NUL), so that names from a Xen host fit. */
#define XL_VIF_NAME_MAX 16		/* with the NUL */
#define XL_VIF_DEFAULT_BRIDGE "xenbr0"	/* xl-network-configuration(5) */
/* Xen's Organizationally Unique Identifier, xl's default MAC space. */
#define XL_VIF_XEN_OUI0 0x00
#define XL_VIF_XEN_OUI1 0x16
#define XL_VIF_XEN_OUI2 0x3e
/* "00:16:3e:01:02:03" and its NUL. */
#define XL_VIF_MAC_STR_LEN 18

struct xl_vif {
	uint8_t mac[XL_VIF_MAC_LEN];	/* given, or xl_vif_default_mac */
	bool mac_given;
	char bridge[XL_VIF_NAME_MAX];	/* the switch: default "xenbr0" */
	char vifname[XL_VIF_NAME_MAX];	/* a label for the port, "" if none */
};

/* Parses the NUL-terminated spec of interface `index` of domain
 * `domain_name` (both only for the default MAC). Keys: mac, bridge, model
 * (virtio or virtio-net), vifname; type (ioemu or vif), rate, ip and script
 * are checked or not and ignored. The last of a repeated key wins, as in
 * xl. On error returns false with a short message in err (for
 * `config: error: FILE:LINE: vif: MESSAGE`); *out is then unspecified. */
bool xl_vif_parse(const char *spec, const char *domain_name, unsigned index,
		  struct xl_vif *out, char *err, size_t err_size);

/* The MAC xl's default would give interface `index` of a domain, except
 * that it is derived from the name and index instead of random, so that a
 * domain keeps its address across restarts: Xen's OUI, then 23 bits of a
 * hash (the top bit of byte 3 clear, as libxl's random MACs have it). */
void xl_vif_default_mac(const char *domain_name, unsigned index,
			uint8_t mac[XL_VIF_MAC_LEN]);

/* Reads the `len` characters "xx:xx:xx:xx:xx:xx" (hex digits of either
 * case, exactly two per group). Only the syntax: see
 * xl_vif_mac_is_unicast for which addresses a port may have. */
bool xl_vif_parse_mac(const char *text, size_t len,
		      uint8_t mac[XL_VIF_MAC_LEN]);

/* An address an interface may own: not a group address (multicast, the
 * broadcast address among them) and not all zeros. */
bool xl_vif_mac_is_unicast(const uint8_t mac[XL_VIF_MAC_LEN]);

/* "00:16:3e:01:02:03", lower case, into buf of XL_VIF_MAC_STR_LEN. */
void xl_vif_format_mac(const uint8_t mac[XL_VIF_MAC_LEN],
		       char buf[XL_VIF_MAC_STR_LEN]);

/* Bit 0 of the first byte, IEEE 802-2014 8.2.2: the I/G bit (group). */
static inline bool xl_vif_mac_is_multicast(const uint8_t mac[XL_VIF_MAC_LEN])
{
	return (mac[0] & 1u) != 0;
}

#endif
