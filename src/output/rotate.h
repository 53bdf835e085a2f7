/* --rotate: the output file renamed aside once it is full and a new one
 * begun, the old ones gzip-compressed on a thread of their own and the
 * oldest removed. The outbuf decides when (at a line's end); this says how. */
#ifndef SOCKTRACE_ROTATE_H
#define SOCKTRACE_ROTATE_H

#include <stdio.h>

struct rotator;

/* Opens a new file at path (how: the function output.c opens files with;
 * returns an fd or -1 after saying why). */
typedef int (*rotate_open_fn)(const char *path);

/* Rotated files are path.N.gz, N counting up from one more than the
 * highest already there (path.N while being compressed); keep: how many
 * of them stay. Problems are reported on err. NULL on out-of-memory. */
struct rotator *rotator__new(const char *path, unsigned keep, rotate_open_fn open_file, FILE *err);
/* Renames path to path.N, queues it for compression and opens a new path.
 * Returns the new file's fd, or -errno (path is then as it was). */
int rotator_rotate(struct rotator *r);
/* Waits until every rotated file is compressed, then frees r. */
void rotator__free(struct rotator *r);

#endif
