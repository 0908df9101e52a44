/* Ticket spinlocks: FIFO, so a CPU that waits is served in turn. */
#ifndef CORE_SPINLOCK_H
#define CORE_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arch.h"

struct spinlock {
	uint32_t next;
	uint32_t serving;
};

#define SPINLOCK_INIT {0, 0}

static inline void spin_lock(struct spinlock *l)
{
	uint32_t ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket)
		arch_cpu_relax();
}

static inline bool spin_trylock(struct spinlock *l)
{
	uint32_t serving = __atomic_load_n(&l->serving, __ATOMIC_RELAXED);
	uint32_t expected = serving;

	return __atomic_compare_exchange_n(&l->next, &expected, serving + 1,
					   false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->serving, l->serving + 1, __ATOMIC_RELEASE);
}

/* For locks also taken from interrupt handlers. */
static inline unsigned long spin_lock_irqsave(struct spinlock *l)
{
	unsigned long flags = arch_irq_save();

	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *l,
					  unsigned long flags)
{
	spin_unlock(l);
	arch_irq_restore(flags);
}

#endif
