/* A clock's time in nanoseconds, for the modules that compare it with the
 * kernel side's bpf_ktime_get_ns() (CLOCK_MONOTONIC) or turn it into wall
 * time. */
#ifndef SOCKTRACE_CLOCK_NS_H
#define SOCKTRACE_CLOCK_NS_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
