#include "core/hypercall.h"
#include "core/arch.h"
#include "core/domain.h"
#include "core/guest_memory.h"
#include "core/sched.h"
#include "lib/string.h"
#include "vesta/hypercall.h"

/* Console writes are copied through a bounded buffer on the stack. */
#define CONSOLE_CHUNK 256

static int64_t hc_console_write(struct vcpu *v, uint64_t gpa, uint64_t len)
{
	char chunk[CONSOLE_CHUNK];

	if (len > VESTA_CONSOLE_WRITE_MAX)
		return -VESTA_EINVAL;
	if (!guest_range_is_ram(v->domain, gpa, len))
		return -VESTA_EFAULT;
	for (uint64_t done = 0; done < len;) {
		size_t n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
		if (!copy_from_guest(v->domain, chunk, gpa + done, n))
			return -VESTA_EFAULT;
		domain_console_write(v->domain, chunk, n);
		done += n;
	}
	return (int64_t)len;
}

static int64_t hc_block_until(struct vcpu *v, uint64_t deadline)
{
	uint64_t created = v->domain->created_ns;

	/* The guest's clock starts at its creation; never let a deadline
	 * wrap into the past, or "0 = no deadline" into a real one. */
	if (deadline > UINT64_MAX - created)
		deadline = UINT64_MAX - created;
	sched_block(v, created + (deadline ? deadline : 1));
	return 0;
}

static int64_t hc_shutdown(struct vcpu *v, uint64_t reason)
{
	if (reason > VESTA_SHUTDOWN_CRASH)
		return -VESTA_EINVAL;
	domain_shutdown(v->domain, (uint32_t)reason);
	return 0;
}

static int64_t hc_domain_info(struct vcpu *v, uint64_t gpa, uint64_t size)
{
	struct domain *d = v->domain;
	struct vesta_domain_info info = {
		.domid = d->id,
		.vcpu_count = d->vcpu_count,
		.vcpu_id = v->id,
		.memory_bytes = d->ram_bytes,
	};

	if (size < sizeof(info))
		return -VESTA_EINVAL;
	memcpy(info.name, d->name, sizeof(info.name));
	info.name[sizeof(info.name) - 1] = '\0';
	return copy_to_guest(d, gpa, &info, sizeof(info)) ? 0 : -VESTA_EFAULT;
}

static struct vcpu *other_vcpu(struct vcpu *v, uint64_t id)
{
	return id < v->domain->vcpu_count ? &v->domain->vcpus[id] : NULL;
}

static int64_t hc_vcpu_up(struct vcpu *v, uint64_t id, uint64_t rip,
			  uint64_t rsp, uint64_t arg)
{
	struct vcpu *target = other_vcpu(v, id);

	if (!target)
		return -VESTA_EINVAL;
	/* Two vCPUs racing to start the same one: only the first wins. */
	if (target == v || __atomic_test_and_set(&target->started, __ATOMIC_ACQ_REL))
		return -VESTA_EBUSY;
	if (!arch_vcpu_init_like(target, v, rip, rsp, arg)) {
		__atomic_clear(&target->started, __ATOMIC_RELEASE);
		return -VESTA_EBUSY;
	}
	sched_vcpu_start(target);
	return 0;
}

static int64_t hc_vcpu_wake(struct vcpu *v, uint64_t id)
{
	struct vcpu *target = other_vcpu(v, id);

	if (!target)
		return -VESTA_EINVAL;
	sched_wake(target);
	return 0;
}

int64_t hypercall_dispatch(struct vcpu *v, uint64_t nr,
			   const uint64_t a[HYPERCALL_MAX_ARGS])
{
	switch (nr) {
	case VESTA_HC_VERSION:
		return (VESTA_ABI_MAJOR << 16) | VESTA_ABI_MINOR;
	case VESTA_HC_CONSOLE_WRITE:
		return hc_console_write(v, a[0], a[1]);
	case VESTA_HC_YIELD:
		sched_yield(v);
		return 0;
	case VESTA_HC_BLOCK_UNTIL:
		return hc_block_until(v, a[0]);
	case VESTA_HC_TIME_NOW:
		return (int64_t)(arch_time_ns() - v->domain->created_ns);
	case VESTA_HC_SHUTDOWN:
		return hc_shutdown(v, a[0]);
	case VESTA_HC_DOMAIN_INFO:
		return hc_domain_info(v, a[0], a[1]);
	case VESTA_HC_VCPU_UP:
		return hc_vcpu_up(v, a[0], a[1], a[2], a[3]);
	case VESTA_HC_VCPU_WAKE:
		return hc_vcpu_wake(v, a[0]);
	default:
		return -VESTA_ENOSYS;
	}
}
