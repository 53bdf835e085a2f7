/* libFuzzer target: name lookups in raw BTF (src/load/kbtf.c). The input is the
 * image, in a buffer of exactly its size so that ASan sees any read past
 * it; opening must fail cleanly or succeed, every lookup must return an id
 * or -ENOENT, and every type and name handed out must lie inside it. */
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

			if (id == 0 || (id < 0 && id != -ENOENT))
				abort();
		}
	}
	for (uint32_t id = 0; b && id <= kbtf_type_count(b); id++) {
		const struct btf_type *t = kbtf_type(b, id);
		const char *s = t ? kbtf_str(b, t->name_off) : NULL;

		if ((t == NULL) != (id == 0 || id == kbtf_type_count(b)))
			abort();
		if (t && (const uint8_t *)t + sizeof(*t) > copy + size)
			abort();
		if (s && strlen(s) >= size) /* ASan checks the bytes it reads */
			abort();
	}
	kbtf__free(b);
	free(copy);
	return 0;
}
