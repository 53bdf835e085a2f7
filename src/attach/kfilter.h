/* Hands the user's filters to the kernel side. */
#ifndef SOCKTRACE_KFILTER_H
#define SOCKTRACE_KFILTER_H

#include "cli.h"

struct socktrace_bpf;

/* Sets which filters are on; between open and load. */
void kfilter_set_rodata(const struct filter_cfg *f, struct socktrace_bpf *skel);

/* Fills the pid and port sets; after load, before attach. 0 or -errno. */
int kfilter_fill_maps(const struct filter_cfg *f, struct socktrace_bpf *skel);

#endif
