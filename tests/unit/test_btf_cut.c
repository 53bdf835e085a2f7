/* btf_cut on hand-made inputs: a "kernel" BTF and an object's .BTF and
 * CO-RE records written here. That the cut relocates real programs as the
 * whole BTF does is tests/helpers/btf_cut_diff's job (e2e); this checks
 * what goes into the cut, and that what it cannot express falls back to the
 * whole BTF. */
#include <bpf/btf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "btf_cut.h"
#include "check.h"
#include "kernel_btf.h"

/* The kernel: struct outer { int a; union { int b; long c; }; unsigned d:3; }
 * (kflag bitfield), struct other, enum colour. */
static struct btf *kernel_btf(void)
{
	struct btf *k = btf__new_empty();
	int i = btf__add_int(k, "int", 4, BTF_INT_SIGNED);
	int l = btf__add_int(k, "long", 8, BTF_INT_SIGNED);
	int u = btf__add_int(k, "unsigned int", 4, 0);
	int outer = btf__add_struct(k, "outer", 16);
	int un;

	btf__add_field(k, "a", i, 0, 0);
	btf__add_field(k, NULL, outer + 2, 64, 0); /* the union below */
	btf__add_field(k, "d", u, 128, 3);
	btf__add_typedef(k, "int_t", i);           /* outer + 1 */
	un = btf__add_union(k, NULL, 8);           /* outer + 2 */
	btf__add_field(k, "b", i, 0, 0);
	btf__add_field(k, "c", l, 0, 0);
	btf__add_struct(k, "other", 4);
	btf__add_field(k, "x", i, 0, 0);
	btf__add_enum(k, "colour", 4);
	btf__add_enum_value(k, "RED", 1);
	btf__add_enum_value(k, "BLUE", 7);
	(void)un;
	return k;
}

struct object {
	struct btf *btf;
	uint8_t ext[512];
	size_t ext_size;
};

/* The object's view: struct outer___local { int a; int b; unsigned d:3; }
 * and enum colour, with the CO-RE records given as {type, access, kind}. */
static void object(struct object *o, const int relos[][3], int n, const char *const *access)
{
	struct btf *b = btf__new_empty();
	int i = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	int u = btf__add_int(b, "unsigned int", 4, 0);
	uint32_t hdr[8] = { 0 }, w[2];
	uint8_t *p = o->ext;

	btf__add_struct(b, "outer___local", 12); /* id 3 */
	btf__add_field(b, "a", i, 0, 0);
	btf__add_field(b, "b", i, 32, 0);
	btf__add_field(b, "d", u, 64, 3);
	btf__add_enum(b, "colour", 4); /* id 4 */
	btf__add_enum_value(b, "BLUE", 7);
	btf__add_struct(b, "absent", 4); /* id 5: not in the kernel */
	btf__add_field(b, "z", i, 0, 0);
	o->btf = b;

	/* .BTF.ext: header, then the CO-RE section: record size, one section. */
	hdr[0] = 0xeB9F | 1u << 16; /* magic, version 1, flags 0 */
	hdr[1] = sizeof(hdr);       /* hdr_len */
	hdr[7] = (uint32_t)(4 + 8 + 16 * n);
	memcpy(p, hdr, sizeof(hdr));
	p += sizeof(hdr);
	w[0] = 16;
	memcpy(p, w, 4);
	p += 4;
	w[0] = (uint32_t)btf__add_str(b, ".text");
	w[1] = (uint32_t)n;
	memcpy(p, w, 8);
	p += 8;
	for (int r = 0; r < n; r++) {
		struct bpf_core_relo rec = {
			.insn_off = (uint32_t)r * 8,
			.type_id = (uint32_t)relos[r][0],
			.access_str_off = (uint32_t)btf__add_str(b, access[relos[r][1]]),
			.kind = (enum bpf_core_relo_kind)relos[r][2],
		};

		memcpy(p, &rec, sizeof(rec));
		p += sizeof(rec);
	}
	o->ext_size = (size_t)(p - o->ext);
}

/* Runs btf_cut on the object against the kernel; the cut parsed back in
 * *cut (NULL if it wrote the whole kernel BTF), its return value returned. */
static int run(const struct btf *kernel, struct object *o, struct btf **cut, size_t *written)
{
	uint32_t ksize, bsize;
	const void *kraw = btf__raw_data(kernel, &ksize);
	const void *braw = btf__raw_data(o->btf, &bsize);
	struct kernel_btf *k = kernel_btf__from_mem(kraw, ksize);
	int fd = memfd_create("test", MFD_CLOEXEC), ret;
	char note[160];
	off_t size;
	void *back;

	ret = k && fd >= 0 ? btf_cut_write_sections(fd, k, braw, bsize, o->ext, o->ext_size, note,
						    sizeof(note))
			   : -EINVAL;
	printf("# %s\n", note);
	size = lseek(fd, 0, SEEK_END);
	*written = size > 0 ? (size_t)size : 0;
	back = malloc(*written + 1);
	*cut = NULL;
	if (back && pread(fd, back, *written, 0) == (ssize_t)*written) {
		if (ret == 0)
			*cut = btf__new(back, (uint32_t)*written);
		else if (ret == 1 && (*written != ksize || memcmp(back, kraw, ksize)))
			ret = -EBADMSG; /* the fallback is not the kernel BTF */
	}
	free(back);
	close(fd);
	kernel_btf__free(k);
	btf__free(o->btf);
	return ret;
}

static const struct btf_member *member(const struct btf *b, const struct btf_type *t,
				       const char *name)
{
	for (int i = 0; t && i < btf_vlen(t); i++)
		if (strcmp(btf__name_by_offset(b, btf_members(t)[i].name_off), name) == 0)
			return &btf_members(t)[i];
	return NULL;
}

static void cuts_to_the_paths(const struct btf *kernel)
{
	static const char *const access[] = { "0:1", "0:2", "0:0", "0" };
	/* outer___local.b (inside the kernel's anonymous union), .d (a
	 * bitfield), absent.z, colour::BLUE */
	const int relos[][3] = {
		{ 3, 0, BPF_CORE_FIELD_BYTE_OFFSET },
		{ 3, 1, BPF_CORE_FIELD_LSHIFT_U64 },
		{ 5, 2, BPF_CORE_FIELD_EXISTS },
		{ 4, 3, BPF_CORE_ENUMVAL_VALUE },
	};
	struct object o;
	struct btf *cut;
	size_t written;
	int ret, outer, un;
	const struct btf_type *t, *u;
	const struct btf_member *m;

	object(&o, relos, 4, access);
	ret = run(kernel, &o, &cut, &written);
	CHECK(ret == 0 && cut, "a cut is written for field and enum relocations");
	if (!cut)
		return;
	outer = btf__find_by_name_kind(cut, "outer", BTF_KIND_STRUCT);
	t = outer > 0 ? btf__type_by_id(cut, outer) : NULL;
	CHECK(t && t->size == 16, "the relocated struct keeps its name and size");
	CHECK(t && btf_vlen(t) == 2 && !member(cut, t, "a"),
	      "of its members only those on the paths (the union, d), not a");
	m = member(cut, t, "");
	u = m ? btf__type_by_id(cut, m->type) : NULL;
	CHECK(m && btf_member_bit_offset(t, (uint32_t)(m - btf_members(t))) == 64 && u &&
		      btf_is_union(u) && u->size == 8 && btf_vlen(u) == 1 && member(cut, u, "b"),
	      "the anonymous union keeps its offset, size and just b");
	m = member(cut, t, "d");
	CHECK(m && btf_member_bit_offset(t, (uint32_t)(m - btf_members(t))) == 128 &&
		      btf_member_bitfield_size(t, (uint32_t)(m - btf_members(t))) == 3,
	      "the bitfield keeps its bit offset and width");
	un = m ? (int)btf__resolve_size(cut, m->type) : -1;
	CHECK(un == 4, "member types keep their size");
	CHECK(btf__find_by_name_kind(cut, "other", BTF_KIND_STRUCT) < 0 &&
		      btf__find_by_name_kind(cut, "absent", BTF_KIND_STRUCT) < 0,
	      "types no relocation names, and types the kernel lacks, are left out");
	t = btf__type_by_id(cut, btf__find_by_name_kind(cut, "colour", BTF_KIND_ENUM));
	CHECK(t && btf_vlen(t) == 2 && btf_enum(t)[1].val == 7, "an enum is kept whole");
	CHECK(btf__type_cnt(cut) - 1 <= 8 && written < 400, "the cut is small");
	btf__free(cut);
}

static void falls_back_to_the_whole(const struct btf *kernel)
{
	static const char *const access[] = { "0", "0:9" };
	const int target_id[][3] = { { 3, 0, BPF_CORE_TYPE_ID_TARGET } };
	const int bad_access[][3] = { { 3, 1, BPF_CORE_FIELD_BYTE_OFFSET } };
	struct object o;
	struct btf *cut;
	size_t written;

	object(&o, target_id, 1, access);
	CHECK(run(kernel, &o, &cut, &written) == 1,
	      "TYPE_ID_TARGET (the cut's ids would be wrong): the whole kernel BTF instead");
	object(&o, bad_access, 1, access);
	CHECK(run(kernel, &o, &cut, &written) == 1,
	      "an access string past the local struct: the whole kernel BTF instead");
	o.btf = btf__new_empty();
	memset(o.ext, 0xff, sizeof(o.ext));
	o.ext_size = 40;
	CHECK(run(kernel, &o, &cut, &written) == 1,
	      "a .BTF.ext that is not one: the whole kernel BTF instead");
}

int main(void)
{
	struct btf *kernel = kernel_btf();

	cuts_to_the_paths(kernel);
	falls_back_to_the_whole(kernel);
	btf__free(kernel);
	return check_done();
}
