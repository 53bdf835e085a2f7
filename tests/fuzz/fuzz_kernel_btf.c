/* libFuzzer target: name lookups in raw BTF (src/load/kernel_btf.c). The input is the
 * image, in a buffer of exactly its size so that ASan sees any read past
 * it; opening must fail cleanly or succeed, every lookup must return an id
 * or -ENOENT, and every type and name handed out must lie inside it. */
#include <errno.h>
#include <linux/btf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_btf.h"

static const char *const names[] = { "", "int_t", "st", "fn", "last", "tcp_connect" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	struct kernel_btf *b;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	b = kernel_btf__from_mem(copy, size);
	for (size_t n = 0; b && n < sizeof(names) / sizeof(names[0]); n++) {
		for (unsigned int kind = 0; kind <= BTF_KIND_MAX + 1; kind++) {
			int id = kernel_btf_find(b, names[n], kind);

			if (id == 0 || (id < 0 && id != -ENOENT))
				abort();
		}
	}
	for (uint32_t id = 0; b && id <= kernel_btf_type_count(b); id++) {
		const struct btf_type *t = kernel_btf_type(b, id);
		const char *s = t ? kernel_btf_str(b, t->name_off) : NULL;

		if ((t == NULL) != (id == 0 || id == kernel_btf_type_count(b)))
			abort();
		if (t && (const uint8_t *)t + sizeof(*t) > copy + size)
			abort();
		if (s && strlen(s) >= size) /* ASan checks the bytes it reads */
			abort();
	}
	kernel_btf__free(b);
	free(copy);
	return 0;
}
