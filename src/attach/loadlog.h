/* What libbpf said while an object failed to load: the program the kernel
 * refused and the verifier's reason (the last telling line of its log).
 * Pure text work; src/tracer.c captures the text. */
#ifndef SOCKTRACE_LOADLOG_H
#define SOCKTRACE_LOADLOG_H

#include <stdbool.h>
#include <stddef.h>

/* Reads libbpf's messages in text (NUL-terminated). prog gets the name of
 * the program whose load failed, or "" if none failed (the object itself
 * did: a map, a relocation); reason gets the verifier's last line of that
 * program's log, else libbpf's last warning. False if text says nothing
 * of a failure. */
bool loadlog_failure(const char *text, char *prog, size_t prog_len, char *reason,
		     size_t reason_len);

#endif
