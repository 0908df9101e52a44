/* The virtual switches and the ports domains have on them. Lock order:
 * a device's tx_lock, then a switch's lock, then the receivers'
 * transports; no transport lock is ever held when a switch lock is taken
 * (vdev/virtio_net.c says why). */
#include "core/domain_net.h"

#include "core/domain.h"
#include "core/log.h"
#include "core/spinlock.h"
#include "core/xmalloc.h"
#include "lib/string.h"
#include "lib/xl_vif.h"
#include "vdev/virtio_net.h"

struct net_switch {
	struct spinlock lock;
	bool in_use;
	struct vswitch sw;
};

/* A domain's port: its device, and where on which switch it sits. */
struct net_port {
	struct virtio_net net;		/* first: the slot's model */
	struct domain *domain;
	struct virtio_slot *slot;
	struct net_switch *sw;
	unsigned port;
	unsigned vif;
	bool told_no_gso;	/* logged that its driver takes no GSO */
};

static struct net_switch switches[NET_SWITCHES_MAX];
static struct spinlock switches_lock = SPINLOCK_INIT;

/* The switch called `name`, made if new; NULL when all are in use. */
static struct net_switch *switch_named(const char *name)
{
	struct net_switch *found = NULL, *spare = NULL;

	spin_lock(&switches_lock);
	for (unsigned i = 0; i < NET_SWITCHES_MAX && !found; i++) {
		if (switches[i].in_use && !strcmp(switches[i].sw.name, name))
			found = &switches[i];
		else if (!switches[i].in_use && !spare)
			spare = &switches[i];
	}
	if (!found && spare && vswitch_init(&spare->sw, name)) {
		spare->in_use = true;
		found = spare;
	}
	spin_unlock(&switches_lock);
	return found;
}

/* ------------------------------------------------------ frames out */

/* A GSO frame for a port whose driver did not take GUEST_TSO4/6 (or
 * GUEST_ECN) is dropped: it would have to be cut into MTU-sized segments,
 * which the monitor does not do, since every Linux driver takes what is
 * offered. It counts as rx_no_buffer, which it is in effect (such a
 * driver's buffers hold 1518 bytes; docs/network.md), with one log line
 * per port to tell it from a full queue. */
static void deliver(struct net_switch *s, unsigned port, const uint8_t *frame,
		    size_t len, const struct virtio_net_offload *off)
{
	struct net_port *to = vswitch_port(&s->sw, port)->owner;
	enum virtio_net_status st = virtio_net_receive(
		&to->net, &to->slot->transport, frame, len, off);

	if (st == VIRTIO_NET_OK) {
		vswitch_count_rx(&s->sw, port, len);
		return;
	}
	vswitch_count_rx_no_buffer(&s->sw, port);
	if (st == VIRTIO_NET_ERR_RX_NO_GSO && !to->told_no_gso) {
		to->told_no_gso = true;
		log_warn("domain %s: warning: vif %u: dropping TCP segmentation "
			 "offload frames: its driver did not accept GUEST_TSO4/6\n",
			 to->domain->name, to->vif);
	}
}

/* vswitch_forward counts the frame, sent or dropped; deliver counts each
 * receiver's side. */
static void port_send(void *owner, const uint8_t *frame, size_t len,
		      const struct virtio_net_offload *off)
{
	struct net_port *p = owner;
	struct net_switch *s = p->sw;
	struct vswitch_dest dest;
	bool gso = off->gso_type != VIRTIO_NET_HDR_GSO_NONE;

	spin_lock(&s->lock);
	if (vswitch_forward(&s->sw, p->port, frame, len, gso, &dest) ==
	    VSWITCH_FORWARD)
		for (unsigned i = 0; i < dest.count; i++)
			deliver(s, dest.port[i], frame, len, off);
	spin_unlock(&s->lock);
}

static void port_tx_refused(void *owner, enum virtio_net_status why)
{
	struct net_port *p = owner;

	spin_lock(&p->sw->lock);
	vswitch_count_tx_drop(&p->sw->sw, p->port,
			      why == VIRTIO_NET_ERR_TOO_LONG ? VSWITCH_DROP_OVERSIZE
							   : VSWITCH_DROP_BAD_HEADER);
	spin_unlock(&p->sw->lock);
}

/* --------------------------------------------------------- building */

/* Off the switch first: after that no frame can be on its way in. */
static void port_free(struct virtio_slot *slot)
{
	struct net_port *p = slot->model;

	if (p->sw) {
		spin_lock(&p->sw->lock);
		vswitch_detach(&p->sw->sw, p->port);
		spin_unlock(&p->sw->lock);
	}
	xfree(p);
}

static bool attach(struct net_port *p, const struct xl_vif *vif)
{
	struct net_switch *s = switch_named(vif->bridge);
	enum vswitch_attach_status st = VSWITCH_ERR_FULL;

	if (s) {
		spin_lock(&s->lock);
		st = vswitch_attach(&s->sw, vif->mac, p, &p->port);
		spin_unlock(&s->lock);
	}
	if (st != VSWITCH_ATTACHED) {
		char mac[XL_VIF_MAC_STR_LEN];

		xl_vif_format_mac(vif->mac, mac);
		log_err("domain %s: error: vif %u (%s) on %s: %s\n",
			p->domain->name, p->vif, mac, vif->bridge,
			s ? vswitch_attach_status_str(st) : "too many switches");
		return false;
	}
	p->sw = s;
	return true;
}

static bool add_port(struct domain *d, unsigned index)
{
	struct xl_vif vif;
	char err[96];
	struct net_port *p;

	if (!xl_vif_parse(d->config.vif[index], d->name, index, &vif, err,
			  sizeof(err))) {
		log_err("domain %s: error: vif %u: %s\n", d->name, index, err);
		return false;
	}
	p = xzalloc(sizeof(*p));
	if (!p) {
		log_err("domain %s: error: out of monitor memory for vif %u\n",
			d->name, index);
		return false;
	}
	p->domain = d;
	p->vif = index;
	virtio_net_init(&p->net, vif.mac, p, port_send, port_tx_refused);
	p->slot = domain_virtio_add(d, &virtio_net_ops, p, port_free);
	if (!p->slot) {
		xfree(p);
		return false;
	}
	return attach(p, &vif);	/* on failure port_free goes with the slot */
}

bool domain_net_init(struct domain *d)
{
	for (unsigned i = 0; i < d->config.vif_count; i++)
		if (!add_port(d, i))
			return false;
	return true;
}

/* --------------------------------------------------------- the shell */

static bool port_info(struct net_switch *s, unsigned port,
		      struct net_port_info *out)
{
	bool attached;

	spin_lock(&s->lock);
	const struct vswitch_port *vp = vswitch_port(&s->sw, port);
	attached = vp && vp->attached;
	if (attached) {
		const struct net_port *p = vp->owner;

		memset(out, 0, sizeof(*out));
		memcpy(out->bridge, s->sw.name, sizeof(out->bridge));
		memcpy(out->domain, p->domain->name, sizeof(out->domain) - 1);
		out->domain_id = p->domain->id;
		out->vif = p->vif;
		memcpy(out->mac, vp->mac, sizeof(out->mac));
		out->stats = vp->stats;
	}
	spin_unlock(&s->lock);
	return attached;
}

void net_for_each_port(void (*fn)(const struct net_port_info *p, void *ctx),
		       void *ctx)
{
	struct net_port_info info;

	for (unsigned i = 0; i < NET_SWITCHES_MAX; i++) {
		if (!__atomic_load_n(&switches[i].in_use, __ATOMIC_ACQUIRE))
			continue;
		for (unsigned port = 0; port < VSWITCH_MAX_PORTS; port++)
			if (port_info(&switches[i], port, &info))
				fn(&info, ctx);
	}
}
