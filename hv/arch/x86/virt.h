#ifndef ARCH_X86_VIRT_H
#define ARCH_X86_VIRT_H

#include <stdint.h>

/* Sets the LAPIC timer to the earlier of the scheduler's deadline and the
 * running vCPU's virtual timer (0: none). */
void virt_timer_arm_for_guest(uint64_t guest_deadline_ns);

#endif
