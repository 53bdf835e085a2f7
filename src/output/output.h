/* Opens where the trace goes: stdout, or a file created the way a careful
 * root daemon does it. */
#ifndef SOCKTRACE_OUTPUT_H
#define SOCKTRACE_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include "outbuf.h"

/* --rotate=SIZE,KEEP; size 0: none. */
struct output_rotation {
	size_t size;
	unsigned keep;
};

/* path NULL: stdout. Otherwise the file is created with mode 0600 (an
 * existing one is truncated only if it is a regular file we own with a
 * single link), a symlink is never followed, and a name ending in ".gz" is
 * gzip-compressed. rot (NULL: none): the file is rotated (rotate.h) at a
 * line's end once it holds rot->size bytes. Prints why and returns NULL on
 * failure. */
struct outbuf *output_open(const char *path, size_t capacity, const struct output_rotation *rot);

/* Where a quiet --metrics daemon's (empty) trace goes: /dev/null, so that
 * its standard output, a pipe that closes, cannot stop it. */
struct outbuf *output_open_nowhere(void);

/* After the run: says on f what a stop gave up because the output's reader
 * had stopped reading. Returns 1 if it gave up anything, else 0. */
int output_report_unwritten(const struct outbuf *ob, FILE *f);

#endif
