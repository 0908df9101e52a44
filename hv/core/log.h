/* The hypervisor log, on the console. Each call writes whole under a lock,
 * so lines from different CPUs do not interleave. */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Everything log_printf and console_printf print is also kept in a ring
 * (the shell's `dmesg`), this many bytes of it. */
#define LOG_RING_SIZE 16384

enum log_level {
	LOG_ERR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

void log_set_level(enum log_level level);
/* Accepts err, warn, info, debug or 0..3. */
bool log_parse_level(const char *name, enum log_level *out);

void log_printf(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Always printed, whatever the level: the ready line, reports, the shell. */
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_vprintf(const char *fmt, va_list ap);
/* Printed like console_printf but not kept in the log ring: the shell's
 * echo and replies, and domains' console lines (each has its own ring). */
void console_printf_nolog(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Copies up to `size` bytes of the log ring written after `*cursor` (bytes
 * ever written; older ones that were overwritten are skipped) and advances
 * it; 0 when there is nothing new. */
size_t log_ring_read(uint64_t *cursor, char *buf, size_t size);

/* From now on writes ignore the lock: the panicking CPU must get its report
 * out even if a stopped CPU held it. */
void log_enter_panic_mode(void);

#define log_err(...) log_printf(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_printf(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_printf(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_printf(LOG_DEBUG, __VA_ARGS__)

#endif
