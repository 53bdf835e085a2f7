/* Opens where the trace goes: stdout, or a file created the way a careful
 * root daemon does it. */
#ifndef SOCKTRACE_OUTPUT_H
#define SOCKTRACE_OUTPUT_H

#include <stddef.h>

#include "outbuf.h"

/* path NULL: stdout. Otherwise the file is created with mode 0600 (an
 * existing one is truncated only if it is a regular file we own with a
 * single link), a symlink is never followed, and a name ending in ".gz" is
 * gzip-compressed. Prints why and returns NULL on failure. */
struct outbuf *output_open(const char *path, size_t capacity);

#endif
