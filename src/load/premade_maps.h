/* Creates some of a BPF object's maps on a thread while the caller goes on
 * preparing the load, then hands them to libbpf, which would otherwise
 * create them one after another inside bpf_object__load(). The socket map
 * is most of that: its preallocated entries (65,536 by default), which the
 * kernel zeroes and links at every start (docs/benchmarks.md, "Measurements behind the code"). */
#ifndef SOCKTRACE_PREMADE_MAPS_H
#define SOCKTRACE_PREMADE_MAPS_H

struct bpf_object;
struct premade_maps;

/* Starts creating the maps named in names (NULL-terminated, in the order
 * to make them: biggest first) as the opened, not yet loaded obj defines
 * them. NULL if the thread cannot start (then
 * libbpf creates them as usual). */
struct premade_maps *premade_maps__start(struct bpf_object *obj, const char *const *names);

/* Makes the maps the thread has not started on, waits for the thread, and
 * gives obj the maps (bpf_map__reuse_fd).
 * 0, or -errno for the first that failed: that one and the rest are left
 * to libbpf. Call before loading obj. */
int premade_maps_adopt(struct premade_maps *p, struct bpf_object *obj);

/* Waits for the thread if need be and closes its own fds (libbpf holds
 * duplicates of the adopted ones). Accepts NULL. */
void premade_maps__free(struct premade_maps *p);

#endif
