/* Stopping the machine when the hypervisor itself is broken. Only the
 * hypervisor's own faults get here: a guest's faults crash that guest. */
#ifndef CORE_PANIC_H
#define CORE_PANIC_H

#include <stdbool.h>
#include <stdint.h>

/* Claims the panic for this CPU and stops the others. Returns false if
 * another CPU is already panicking (the caller should halt). */
bool panic_begin(void);
/* Prints the closing line and halts this CPU. */
__attribute__((noreturn)) void panic_end(void);
bool panic_in_progress(void);

/* A software panic: message, stack trace of the caller, stop. */
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

/* Prints "stack trace:" and one line per frame, walking frame pointers from
 * `rbp` (first frame at `rip`) while they stay inside [lo, hi). */
void panic_print_stack_trace(uint64_t rip, uint64_t rbp, uint64_t lo,
			     uint64_t hi);

#endif
