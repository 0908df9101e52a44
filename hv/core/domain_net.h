/* A domain's network ports: one virtio-net device per `vif` entry, each a
 * port on the virtual switch its `bridge=` names (docs/network.md). The
 * switches live as long as the monitor; a switch is made the first time a
 * vif names it. */
#ifndef CORE_DOMAIN_NET_H
#define CORE_DOMAIN_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/vswitch.h"

#define NET_SWITCHES_MAX 8u

struct domain;

/* Builds the devices of d->config.vif; false, having logged why, if one
 * cannot be built. What was built goes with the domain's virtio slots. */
bool domain_net_init(struct domain *d);

/* One port as the shell shows it. */
struct net_port_info {
	char bridge[VSWITCH_NAME_MAX];
	char domain[32];
	unsigned domain_id;
	unsigned vif;			/* index in the domain's vif list */
	uint8_t mac[VSWITCH_MAC_LEN];
	struct vswitch_port_stats stats;
};

/* Calls fn for every attached port of every switch. */
void net_for_each_port(void (*fn)(const struct net_port_info *p, void *ctx),
		       void *ctx);

#endif
