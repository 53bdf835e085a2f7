/* libFuzzer target: name lookups in raw BTF (src/kbtf.c). The input is the
 * image, in a buffer of exactly its size so that ASan sees any read past
 * it; opening must fail cleanly or succeed, and every lookup must return an
 * id, -ENOENT or -EINVAL. */
#include <errno.h>
#include <linux/btf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kbtf.h"

static const char *const names[] = { "", "int_t", "st", "fn", "last", "tcp_connect" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	struct kbtf *b;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	b = kbtf__from_mem(copy, size);
	for (size_t n = 0; b && n < sizeof(names) / sizeof(names[0]); n++) {
		for (unsigned int kind = 0; kind <= BTF_KIND_MAX + 1; kind++) {
			int id = kbtf_find(b, names[n], kind);

			if (id == 0 || (id < 0 && id != -ENOENT && id != -EINVAL))
				abort();
		}
	}
	kbtf__free(b);
	free(copy);
	return 0;
}
