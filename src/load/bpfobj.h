/* The three objects built from bpf/socktrace.bpf.c, one per event transport
 * (see its head comment), opened through one skeleton type: they declare
 * the same maps, programs and globals, which bpfobj.c checks at compile
 * time, so every module drives any through struct socktrace_bpf. */
#ifndef SOCKTRACE_BPFOBJ_H
#define SOCKTRACE_BPFOBJ_H

#include <stddef.h>

#include "events.h"

struct bpf_object_open_opts;
struct socktrace_bpf;

/* The ELF image of transport e's object. */
const void *bpfobj_elf(enum st_events e, size_t *size);
/* Opens it as socktrace_bpf__open_opts() opens the rings object. NULL with
 * errno set. */
struct socktrace_bpf *bpfobj_open(enum st_events e, const struct bpf_object_open_opts *opts);

#endif
