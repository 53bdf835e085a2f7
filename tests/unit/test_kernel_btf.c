/* kernel_btf: name lookups in raw BTF agree with libbpf's, on a BTF built with
 * every kind, on the running kernel's BTF, and malformed images are
 * refused without reading outside them. */
#include <bpf/btf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "kernel_btf.h"

/* One type of every kind libbpf 1.1 can write, each with a name where the
 * kind has one, so that a wrong trailer size shifts every later id. */
static struct btf *every_kind(void)
{
	struct btf *b = btf__new_empty();
	int i, s, e, fp, v, ds;

	if (!b)
		return NULL;
	i = btf__add_int(b, "int_t", 4, BTF_INT_SIGNED);        /* INT + 4 */
	btf__add_ptr(b, i);                                      /* PTR */
	btf__add_array(b, i, i, 3);                              /* ARRAY + 12 */
	s = btf__add_struct(b, "st", 8);                         /* STRUCT + 2*12 */
	btf__add_field(b, "a", i, 0, 0);
	btf__add_field(b, "b", i, 32, 0);
	btf__add_union(b, "un", 4);                              /* UNION + 12 */
	btf__add_field(b, "c", i, 0, 0);
	e = btf__add_enum(b, "en", 4);                           /* ENUM + 3*8 */
	btf__add_enum_value(b, "E1", 1);
	btf__add_enum_value(b, "E2", 2);
	btf__add_enum_value(b, "E3", 3);
	btf__add_enum64(b, "en64", 8, false);                    /* ENUM64 + 12 */
	btf__add_enum64_value(b, "F1", 1ull << 40);
	btf__add_fwd(b, "fw", BTF_FWD_STRUCT);                   /* FWD */
	btf__add_typedef(b, "td", s);                            /* TYPEDEF */
	btf__add_volatile(b, i);
	btf__add_const(b, i);
	btf__add_restrict(b, btf__add_ptr(b, i));
	btf__add_type_tag(b, "tag", i);                          /* TYPE_TAG */
	fp = btf__add_func_proto(b, i);                          /* FUNC_PROTO + 2*8 */
	btf__add_func_param(b, "x", i);
	btf__add_func_param(b, "y", e);
	btf__add_func(b, "fn", BTF_FUNC_GLOBAL, fp);             /* FUNC */
	v = btf__add_var(b, "var", BTF_VAR_GLOBAL_ALLOCATED, i); /* VAR + 4 */
	ds = btf__add_datasec(b, ".data", 4);                    /* DATASEC + 12 */
	btf__add_datasec_var_info(b, v, 0, 4);
	btf__add_float(b, "fl", 8);                              /* FLOAT */
	btf__add_decl_tag(b, "dtag", v, -1);                     /* DECL_TAG + 4 */
	(void)ds;
	btf__add_typedef(b, "last", i);
	return b;
}

/* Every step-th type with a name, and the last one (each lookup is a walk). */
static void agrees_with_libbpf(const struct btf *ref, const struct kernel_btf *k, const char *what,
			       unsigned int step)
{
	int mismatches = 0, named = 0;
	char name[160];

	for (unsigned int id = 1; id < btf__type_cnt(ref); id += id + step < btf__type_cnt(ref) ? step : 1) {
		const struct btf_type *t = btf__type_by_id(ref, id);
		const char *n = btf__name_by_offset(ref, t->name_off);
		int want, got;

		if (!n || !*n)
			continue;
		named++;
		want = btf__find_by_name_kind(ref, n, btf_kind(t));
		got = kernel_btf_find(k, n, btf_kind(t));
		if (got != want && mismatches++ < 5)
			printf("#   %s kind %u: kernel_btf %d, libbpf %d\n", n, btf_kind(t), got, want);
	}
	snprintf(name, sizeof(name), "%s: named types found at libbpf's id (%d names)", what,
		 named);
	CHECK(mismatches == 0 && named > 0, name);

	/* Every id: the same type record, byte for byte, and the same name. */
	mismatches = 0;
	for (unsigned int id = 1; id < btf__type_cnt(ref); id++) {
		const struct btf_type *want = btf__type_by_id(ref, id), *got = kernel_btf_type(k, id);

		if (!got || memcmp(want, got, sizeof(*got)) ||
		    strcmp(btf__name_by_offset(ref, want->name_off), kernel_btf_str(k, got->name_off)))
			mismatches++;
	}
	snprintf(name, sizeof(name), "%s: every type id gives libbpf's record and name", what);
	CHECK(mismatches == 0 && kernel_btf_type_count(k) == btf__type_cnt(ref) &&
		      kernel_btf_type(k, 0) == NULL && kernel_btf_type(k, kernel_btf_type_count(k)) == NULL,
	      name);
}

static void synthetic(void)
{
	struct btf *ref = every_kind();
	const void *raw;
	uint32_t size;
	struct kernel_btf *k;

	raw = ref ? btf__raw_data(ref, &size) : NULL;
	if (raw && getenv("KERNEL_BTF_SEED_OUT")) { /* tests/fuzz/seeds/fuzz_kernel_btf/ came from here */
		FILE *f = fopen(getenv("KERNEL_BTF_SEED_OUT"), "wb");

		if (f) {
			fwrite(raw, 1, size, f);
			fclose(f);
		}
	}
	k = raw ? kernel_btf__from_mem(raw, size) : NULL;
	CHECK(k != NULL, "a BTF of every kind opens");
	if (!k) {
		btf__free(ref);
		return;
	}
	agrees_with_libbpf(ref, k, "every kind", 1);
	CHECK(kernel_btf_find(k, "last", BTF_KIND_TYPEDEF) == (int)btf__type_cnt(ref) - 1,
	      "the last type's id counts every trailer right");
	CHECK(kernel_btf_find(k, "st", BTF_KIND_TYPEDEF) == -ENOENT, "a name of another kind is not found");
	CHECK(kernel_btf_find(k, "nosuch", BTF_KIND_FUNC) == -ENOENT, "an absent name is -ENOENT");
	kernel_btf__free(k);

	/* Malformed copies of the same image. */
	uint8_t *bad = malloc(size);
	struct btf_header h;

	memcpy(&h, raw, sizeof(h));
	memcpy(bad, raw, size);
	bad[0] ^= 0xff;
	CHECK(kernel_btf__from_mem(bad, size) == NULL && errno == EINVAL, "bad magic is refused");
	CHECK(kernel_btf__from_mem(raw, sizeof(h) - 1) == NULL, "a truncated header is refused");
	CHECK(kernel_btf__from_mem(raw, size - 1) == NULL, "a truncated string section is refused");

	memcpy(bad, raw, size);
	bad[size - 1] = 'x';
	CHECK(kernel_btf__from_mem(bad, size) == NULL, "strings that run off the end are refused");

	/* The same image one byte into a buffer: types would be misaligned
	 * (found by fuzz_kernel_btf: UBSan, misaligned struct btf_type access). */
	{
		uint8_t *shifted = malloc(size + 1);

		memcpy(shifted + 1, raw, size);
		errno = 0;
		CHECK(shifted && kernel_btf__from_mem(shifted + 1, size) == NULL && errno == EINVAL,
		      "a type section not 4-byte aligned in memory is refused");
		free(shifted);
	}

	/* A trailer that claims more members than the section holds. */
	memcpy(bad, raw, size);
	{
		uint8_t *types = bad + h.hdr_len + h.type_off;
		uint32_t off = 0, info;
		int found = 0;

		/* The types before "st" are INT, PTR and ARRAY (every_kind()). */
		while (off < h.type_len) {
			struct btf_type t;

			memcpy(&t, types + off, sizeof(t));
			if (btf_kind(&t) == BTF_KIND_STRUCT) {
				info = (t.info & ~0xffffu) | 0xffffu;
				memcpy(types + off + 4, &info, 4);
				found = 1;
				break;
			}
			off += sizeof(t) + (btf_kind(&t) == BTF_KIND_INT ? 4 :
					    btf_kind(&t) == BTF_KIND_ARRAY ? 12 : 0);
		}
		errno = 0;
		k = kernel_btf__from_mem(bad, size);
		CHECK(found && k == NULL && errno == EINVAL,
		      "a struct with more members than the section holds is refused (EINVAL)");
		kernel_btf__free(k);
	}

	/* An unknown kind stops the walk. */
	memcpy(bad, raw, size);
	{
		uint8_t *types = bad + h.hdr_len + h.type_off;
		uint32_t info;

		memcpy(&info, types + 4, 4);
		info = (info & ~(0x1fu << 24)) | (31u << 24);
		memcpy(types + 4, &info, 4);
		errno = 0;
		k = kernel_btf__from_mem(bad, size);
		CHECK(k == NULL && errno == EINVAL, "an unknown kind is refused (EINVAL)");
		kernel_btf__free(k);
	}
	free(bad);
	btf__free(ref);
}

static void running_kernel(void)
{
	const char *path = "/sys/kernel/btf/vmlinux";
	struct btf *ref;
	struct kernel_btf *k;

	if (access(path, R_OK)) {
		printf("ok %d - # SKIP no %s\n", ++check_n, path);
		return;
	}
	ref = btf__parse(path, NULL);
	k = kernel_btf__open(path);
	CHECK(ref && k, "the kernel's BTF opens");
	if (ref && k)
		agrees_with_libbpf(ref, k, "kernel BTF", 97);
	CHECK(k && kernel_btf_find(k, "btf_trace_inet_sock_set_state", BTF_KIND_TYPEDEF) > 0,
	      "the state tracepoint's typedef is found");
	kernel_btf__free(k);
	btf__free(ref);
	errno = 0;
	CHECK(kernel_btf__open("/nonexistent/btf") == NULL && errno == ENOENT,
	      "a missing file is NULL with errno");
	CHECK(kernel_btf__open("/proc/self/status") == NULL && errno == EINVAL,
	      "a file that is not BTF is EINVAL");
}

int main(void)
{
	synthetic();
	running_kernel();
	return check_done();
}
