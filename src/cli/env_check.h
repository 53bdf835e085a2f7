/* Checks that the environment can run the tracer at all. */
#ifndef SOCKTRACE_ENV_CHECK_H
#define SOCKTRACE_ENV_CHECK_H

/* Returns 0, or prints one line saying what is missing to stderr and
 * returns 1: not enough privilege (root, or CAP_BPF with CAP_PERFMON), or
 * no kernel types: btf_file (--btf) unreadable, or without it no kernel
 * BTF at kernel_btf. */
int env_check(const char *kernel_btf, const char *btf_file);

#endif
