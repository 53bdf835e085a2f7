/* Minimal TAP-producing checks for the unit tests: each CHECK prints one
 * "ok N - ..." or "not ok N - ..." line; check_done() prints the plan and
 * returns the exit status. */
#ifndef SOCKTRACE_CHECK_H
#define SOCKTRACE_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_n, check_failed;

#define CHECK(cond, name)                                                                  \
	do {                                                                               \
		check_n++;                                                                 \
		if (cond) {                                                                \
			printf("ok %d - %s\n", check_n, name);                             \
		} else {                                                                   \
			check_failed++;                                                    \
			printf("not ok %d - %s (%s:%d: %s)\n", check_n, name, __FILE__,    \
			       __LINE__, #cond);                                           \
		}                                                                          \
	} while (0)

#define CHECK_STR(got, want, name)                                                         \
	do {                                                                               \
		const char *g_ = (got), *w_ = (want);                                      \
		CHECK(strcmp(g_, w_) == 0, name);                                          \
		if (strcmp(g_, w_))                                                        \
			printf("#   got  '%s'\n#   want '%s'\n", g_, w_);                  \
	} while (0)

static inline int check_done(void)
{
	printf("1..%d\n", check_n);
	return check_failed ? 1 : 0;
}

#endif
