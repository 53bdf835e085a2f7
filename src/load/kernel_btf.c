#include "kernel_btf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/btf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Who releases data: the caller, munmap(), or free(). */
enum kernel_btf_storage { KERNEL_BTF_BORROWED, KERNEL_BTF_MAPPED, KERNEL_BTF_OWNED };

struct kernel_btf {
	const uint8_t *data;
	size_t size;
	enum kernel_btf_storage storage;
	const uint8_t *types;
	uint32_t types_len;
	const char *strs;
	uint32_t strs_len;
	uint32_t *offs; /* offs[id - 1]: where type id starts in types */
	uint32_t count; /* ids 1..count-1; 0 is void */
};

/* Bytes that follow a struct btf_type of this kind (linux/btf.h). */
static int64_t trailer_size(uint32_t info)
{
	uint64_t vlen = BTF_INFO_VLEN(info);

	switch (BTF_INFO_KIND(info)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return vlen * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64:
		return vlen * sizeof(struct btf_enum64);
	case BTF_KIND_FUNC_PROTO:
		return vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	default:
		return -1; /* a kind this code does not know: sizes cannot be followed */
	}
}

/* Checks the header and locates the sections; everything else is checked
 * as it is walked. Native byte order only: the kernel's own BTF. */
static int locate_sections(struct kernel_btf *b)
{
	struct btf_header h;
	uint64_t types_end, strs_end;

	if (b->size < sizeof(h))
		return -EINVAL;
	memcpy(&h, b->data, sizeof(h));
	if (h.magic != BTF_MAGIC || h.version != BTF_VERSION || h.hdr_len < sizeof(h) ||
	    h.hdr_len > b->size)
		return -EINVAL;
	types_end = (uint64_t)h.hdr_len + h.type_off + h.type_len;
	strs_end = (uint64_t)h.hdr_len + h.str_off + h.str_len;
	if (types_end > b->size || strs_end > b->size || h.str_len == 0 || h.type_off % 4)
		return -EINVAL;
	b->types = b->data + h.hdr_len + h.type_off;
	b->types_len = h.type_len;
	if ((uintptr_t)b->types % 4)
		return -EINVAL; /* types are handed out as struct btf_type pointers */
	b->strs = (const char *)b->data + h.hdr_len + h.str_off;
	b->strs_len = h.str_len;
	if (b->strs[b->strs_len - 1] != '\0')
		return -EINVAL; /* every name ends inside the section */
	return 0;
}

/* One pass over the types, checking that each is whole and of a known
 * kind, and noting where each starts. */
static int index_types(struct kernel_btf *b)
{
	uint32_t off = 0, n = 0, cap = 0;

	while (off < b->types_len) {
		struct btf_type t;
		int64_t trailer;

		if (b->types_len - off < sizeof(t))
			return -EINVAL;
		memcpy(&t, b->types + off, sizeof(t));
		trailer = trailer_size(t.info);
		if (trailer < 0 || (uint64_t)trailer > b->types_len - off - sizeof(t))
			return -EINVAL;
		if (n == cap) {
			uint32_t *more;

			cap = cap ? cap * 2 : 4096;
			more = realloc(b->offs, cap * sizeof(*more));
			if (!more)
				return -ENOMEM;
			b->offs = more;
		}
		b->offs[n++] = off;
		off += sizeof(t) + (uint32_t)trailer;
	}
	b->count = n + 1;
	return 0;
}

struct kernel_btf *kernel_btf__from_mem(const void *data, size_t size)
{
	struct kernel_btf *b = calloc(1, sizeof(*b));
	int err;

	if (!b)
		return NULL;
	b->data = data;
	b->size = size;
	err = locate_sections(b);
	if (!err)
		err = index_types(b);
	if (err) {
		free(b->offs);
		free(b);
		errno = -err;
		return NULL;
	}
	return b;
}

/* The whole file in memory: sysfs reports its size, but read() returns at
 * most a page per call there, so read until EOF. */
static void *read_all(int fd, size_t size, size_t *got)
{
	uint8_t *buf = malloc(size);
	size_t n = 0;

	if (!buf)
		return NULL;
	while (n < size) {
		ssize_t r = read(fd, buf + n, size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*got = n;
	return buf;
}

struct kernel_btf *kernel_btf__open(const char *path)
{
	enum kernel_btf_storage storage;
	struct kernel_btf *b;
	struct stat st;
	void *mem;
	size_t size;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	err = fstat(fd, &st) ? errno : st.st_size <= 0 ? EINVAL : 0;
	if (err) {
		close(fd);
		errno = err;
		return NULL;
	}
	size = (size_t)st.st_size;
	mem = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (mem != MAP_FAILED) {
		storage = KERNEL_BTF_MAPPED;
	} else {
		storage = KERNEL_BTF_OWNED;
		mem = read_all(fd, size, &size);
	}
	b = mem ? kernel_btf__from_mem(mem, size) : NULL;
	if (b)
		b->storage = storage;
	else if (mem && storage == KERNEL_BTF_MAPPED)
		munmap(mem, size);
	else
		free(mem);
	err = errno;
	close(fd);
	errno = err;
	return b;
}

void kernel_btf__free(struct kernel_btf *b)
{
	if (!b)
		return;
	if (b->storage == KERNEL_BTF_MAPPED)
		munmap((void *)b->data, b->size);
	else if (b->storage == KERNEL_BTF_OWNED)
		free((void *)b->data);
	free(b->offs);
	free(b);
}

uint32_t kernel_btf_type_count(const struct kernel_btf *b)
{
	return b->count;
}

const void *kernel_btf_raw(const struct kernel_btf *b, size_t *size)
{
	*size = b->size;
	return b->data;
}

const struct btf_type *kernel_btf_type(const struct kernel_btf *b, uint32_t id)
{
	if (id == 0 || id >= b->count)
		return NULL;
	return (const struct btf_type *)(b->types + b->offs[id - 1]);
}

const char *kernel_btf_str(const struct kernel_btf *b, uint32_t off)
{
	return off < b->strs_len ? b->strs + off : NULL;
}

int kernel_btf_find(const struct kernel_btf *b, const char *name, unsigned int kind)
{
	for (uint32_t id = 1; id < b->count; id++) {
		const struct btf_type *t = kernel_btf_type(b, id);
		const char *s = kernel_btf_str(b, t->name_off);

		if (BTF_INFO_KIND(t->info) == kind && s && strcmp(s, name) == 0)
			return (int)id;
	}
	return -ENOENT;
}
