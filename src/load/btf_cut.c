#include "btf_cut.h"

#include <bpf/btf.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "kernel_btf.h"

#define MAX_ROOTS 64
#define MAX_CANDS 8
#define MAX_DEPTH 32

/* A kernel type the cut keeps; of a struct or union, the members kept. */
struct keep {
	uint32_t kid;
	uint16_t *members;
	uint32_t nmembers;
};

/* A local type relocations are rooted at, and the kernel types libbpf
 * takes as its candidates: same kind, same name up to a "___flavour". */
struct root {
	uint32_t lid;
	unsigned int kind;
	const char *name;
	size_t len;
	uint32_t cands[MAX_CANDS];
	int ncands;
};

struct cut {
	const struct kernel_btf *k;
	const struct btf *local;
	struct keep *keeps;
	uint32_t nkeeps, cap;
	struct root roots[MAX_ROOTS];
	int nroots;
};

/* .BTF.ext as the object file lays it out (libbpf's btf_ext_header). */
struct ext_header {
	uint16_t magic;
	uint8_t version;
	uint8_t flags;
	uint32_t hdr_len;
	uint32_t func_info_off, func_info_len;
	uint32_t line_info_off, line_info_len;
	uint32_t core_relo_off, core_relo_len;
};

static size_t essential_len(const char *name)
{
	const char *flavour = strstr(name, "___");

	return flavour ? (size_t)(flavour - name) : strlen(name);
}

static bool is_mod_or_typedef(unsigned int kind)
{
	return kind == BTF_KIND_TYPEDEF || kind == BTF_KIND_CONST || kind == BTF_KIND_VOLATILE ||
	       kind == BTF_KIND_RESTRICT || kind == BTF_KIND_TYPE_TAG;
}

typedef const struct btf_type *(*type_of_fn)(const void *btf, uint32_t id);

static const struct btf_type *kernel_type(const void *k, uint32_t id)
{
	return kernel_btf_type(k, id);
}

static const struct btf_type *local_type(const void *b, uint32_t id)
{
	return btf__type_by_id(b, id);
}

/* Type id with typedefs and modifiers skipped, in *out; NULL for void, a
 * bad id or a loop. */
static const struct btf_type *skip(const void *btf, type_of_fn type_of, uint32_t id,
				   uint32_t *out)
{
	const struct btf_type *t = type_of(btf, id);

	for (int depth = 0; t && is_mod_or_typedef(btf_kind(t)) && depth < MAX_DEPTH; depth++) {
		id = t->type;
		t = type_of(btf, id);
	}
	*out = id;
	return t && !is_mod_or_typedef(btf_kind(t)) ? t : NULL;
}

static const struct btf_type *kskip(const struct kernel_btf *k, uint32_t id, uint32_t *out)
{
	return skip(k, kernel_type, id, out);
}

static const struct btf_type *lskip(const struct btf *b, uint32_t id, uint32_t *out)
{
	return skip(b, local_type, id, out);
}

static int keep_index(struct cut *c, uint32_t kid)
{
	for (uint32_t i = 0; i < c->nkeeps; i++)
		if (c->keeps[i].kid == kid)
			return (int)i;
	if (c->nkeeps == c->cap) {
		uint32_t cap = c->cap ? c->cap * 2 : 64;
		struct keep *more = realloc(c->keeps, cap * sizeof(*more));

		if (!more)
			return -ENOMEM;
		c->keeps = more;
		c->cap = cap;
	}
	c->keeps[c->nkeeps] = (struct keep){ .kid = kid };
	return (int)c->nkeeps++;
}

/* Keeps type id (typedefs skipped) with what libbpf reads of a field's
 * type: kind, size, int encoding, enum values, array shape; a struct with
 * no members unless a path adds some; a pointer as a pointer to void. */
static int keep_type(struct cut *c, uint32_t id, int depth)
{
	const struct btf_type *t = kskip(c->k, id, &id);
	int err;

	if (!t || depth > MAX_DEPTH)
		return -ENOTSUP; /* void or a loop: not a field type */
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		if (btf_int_offset(t) || btf_int_bits(t) != t->size * 8)
			return -ENOTSUP; /* an old-style bitfield int */
		break;
	case BTF_KIND_ENUM:
		for (int i = 0; i < btf_vlen(t); i++)
			if (btf_enum(t)[i].val < 0)
				return keep_index(c, id) < 0 ? -ENOMEM : 0;
		if (btf_kflag(t))
			return -ENOTSUP; /* signed, but btf__add_enum cannot say so */
		break;
	case BTF_KIND_ARRAY:
		if (btf_array(t)->nelems == 0)
			return -ENOTSUP; /* flexible: depends on being the last member */
		err = keep_type(c, btf_array(t)->type, depth + 1);
		if (!err)
			err = keep_type(c, btf_array(t)->index_type, depth + 1);
		if (err)
			return err;
		break;
	case BTF_KIND_PTR:
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FLOAT:
	case BTF_KIND_FWD:
		break;
	default:
		return -ENOTSUP;
	}
	return keep_index(c, id) < 0 ? -ENOMEM : 0;
}

/* Keeps member idx of composite kid (typedefs skipped) and its type. */
static int keep_member(struct cut *c, uint32_t kid, uint16_t idx)
{
	const struct btf_type *t = kernel_btf_type(c->k, kid);
	int at = keep_index(c, kid);
	struct keep *kp;
	uint16_t *more;

	if (at < 0)
		return at;
	kp = &c->keeps[at];
	for (uint32_t i = 0; i < kp->nmembers; i++)
		if (kp->members[i] == idx)
			return 0;
	more = realloc(kp->members, (kp->nmembers + 1) * sizeof(*more));
	if (!more)
		return -ENOMEM;
	kp->members = more;
	kp->members[kp->nmembers++] = idx;
	return keep_type(c, btf_members(t)[idx].type, 0);
}

/* libbpf's member match: by name, looking inside anonymous members in
 * order. Keeps the members on the way; 1 found, 0 not, or -errno. */
static int match_member(struct cut *c, uint32_t tid, const char *name, uint32_t *next, int depth)
{
	const struct btf_type *t = kskip(c->k, tid, &tid);

	if (!t || !btf_is_composite(t))
		return 0;
	if (depth > MAX_DEPTH)
		return -ENOTSUP;
	for (uint16_t i = 0; i < btf_vlen(t); i++) {
		const struct btf_member *m = btf_members(t) + i;
		const char *mname = kernel_btf_str(c->k, m->name_off);
		int found;

		if (!mname)
			return -EINVAL;
		if (*mname == '\0') {
			found = match_member(c, m->type, name, next, depth + 1);
			if (found)
				return found < 0 ? found : keep_member(c, tid, i) ?: 1;
		} else if (strcmp(mname, name) == 0) {
			*next = m->type;
			return keep_member(c, tid, i) ?: 1;
		}
	}
	return 0;
}

/* Follows access string ("0:2:1") from local type lid and kernel
 * candidate tid as libbpf does, keeping every kernel member it matches.
 * Where the candidate stops matching, what is kept already shows libbpf
 * the same mismatch. */
static int cut_field(struct cut *c, uint32_t lid, uint32_t tid, const char *access)
{
	const char *p = access;
	char *end;
	int err;

	err = keep_index(c, tid) < 0 ? -ENOMEM : 0;
	strtoul(p, &end, 10); /* the root's array index: needs only its size */
	if (err || end == p)
		return err ?: -EINVAL;
	for (p = end; *p == ':'; p = end) {
		unsigned long idx = strtoul(p + 1, &end, 10);
		const struct btf_type *lt = lskip(c->local, lid, &lid), *tt;
		const struct btf_member *m;
		const char *name;
		int found;

		if (end == p + 1 || !lt)
			return -EINVAL;
		if (btf_is_array(lt)) {
			tt = kskip(c->k, tid, &tid);
			if (!tt || !btf_is_array(tt))
				return 0;
			err = keep_type(c, tid, 0);
			if (err)
				return err;
			lid = btf_array(lt)->type;
			tid = btf_array(tt)->type;
			continue;
		}
		if (!btf_is_composite(lt) || idx >= btf_vlen(lt))
			return -EINVAL;
		m = btf_members(lt) + idx;
		name = btf__name_by_offset(c->local, m->name_off);
		lid = m->type;
		if (!name || !*name)
			continue; /* anonymous: the next name is looked for inside */
		found = match_member(c, tid, name, &tid, 0);
		if (found <= 0)
			return found;
	}
	return *p ? -EINVAL : 0;
}

static bool kinds_compatible(unsigned int a, unsigned int b)
{
	bool a_enum = a == BTF_KIND_ENUM || a == BTF_KIND_ENUM64;
	bool b_enum = b == BTF_KIND_ENUM || b == BTF_KIND_ENUM64;

	return a == b || (a_enum && b_enum);
}

static struct root *root_of(struct cut *c, uint32_t lid)
{
	const struct btf_type *t;
	struct root *r;

	for (int i = 0; i < c->nroots; i++)
		if (c->roots[i].lid == lid)
			return &c->roots[i];
	t = btf__type_by_id(c->local, lid);
	if (!t || c->nroots == MAX_ROOTS)
		return NULL;
	r = &c->roots[c->nroots++];
	r->lid = lid;
	r->kind = btf_kind(t);
	r->name = btf__name_by_offset(c->local, t->name_off);
	r->len = r->name ? essential_len(r->name) : 0;
	r->ncands = 0;
	return r;
}

/* One pass over the kernel's types finds every root's candidates. */
static int find_candidates(struct cut *c)
{
	uint8_t first[256] = { 0 };

	for (int i = 0; i < c->nroots; i++)
		first[(uint8_t)c->roots[i].name[0]] = 1;
	for (uint32_t id = 1; id < kernel_btf_type_count(c->k); id++) {
		const struct btf_type *t = kernel_btf_type(c->k, id);
		const char *name;

		if (!btf_is_composite(t) && !btf_is_any_enum(t))
			continue; /* the only kinds check_relo() lets through */
		name = kernel_btf_str(c->k, t->name_off);
		if (!name || !first[(uint8_t)name[0]])
			continue;
		for (int i = 0; i < c->nroots; i++) {
			struct root *r = &c->roots[i];

			if (!kinds_compatible(btf_kind(t), r->kind) ||
			    strncmp(name, r->name, r->len) || essential_len(name) != r->len)
				continue;
			if (r->ncands == MAX_CANDS)
				return -ENOTSUP;
			r->cands[r->ncands++] = id;
		}
	}
	return 0;
}

static bool field_based(uint32_t kind)
{
	return kind <= BPF_CORE_FIELD_RSHIFT_U64;
}

/* The relocation kinds the cut answers as the whole BTF would. TYPE_ID_TARGET
 * would get the cut's own ids; TYPE_MATCHES compares whole types. */
static int check_relo(const struct btf *local, const struct bpf_core_relo *r)
{
	const struct btf_type *t = btf__type_by_id(local, r->type_id);
	const char *name = t ? btf__name_by_offset(local, t->name_off) : NULL;

	if (!name || !*name)
		return -ENOTSUP;
	if (field_based(r->kind))
		return btf_is_composite(t) ? 0 : -ENOTSUP;
	switch (r->kind) {
	case BPF_CORE_TYPE_ID_LOCAL:
		return 0;
	case BPF_CORE_TYPE_EXISTS:
	case BPF_CORE_TYPE_SIZE:
		return btf_is_composite(t) || btf_is_any_enum(t) ? 0 : -ENOTSUP;
	case BPF_CORE_ENUMVAL_EXISTS:
	case BPF_CORE_ENUMVAL_VALUE:
		return btf_is_any_enum(t) ? 0 : -ENOTSUP;
	default:
		return -ENOTSUP;
	}
}

/* Calls fn for each CO-RE relocation record in .BTF.ext ext[size]. */
static int each_relo(const uint8_t *ext, size_t size, struct cut *c,
		     int (*fn)(struct cut *c, const struct bpf_core_relo *r))
{
	struct ext_header h = { 0 };
	const uint8_t *p, *end;
	uint32_t rec_size;
	int err;

	if (size < offsetof(struct ext_header, core_relo_off))
		return -EINVAL;
	memcpy(&h, ext, size < sizeof(h) ? size : sizeof(h));
	if (h.magic != BTF_MAGIC || h.hdr_len > size)
		return -EINVAL;
	if (h.hdr_len < sizeof(h) || h.core_relo_len == 0)
		return 0; /* no CO-RE relocations */
	if ((uint64_t)h.hdr_len + h.core_relo_off + h.core_relo_len > size || h.core_relo_len < 4)
		return -EINVAL;
	p = ext + h.hdr_len + h.core_relo_off;
	end = p + h.core_relo_len;
	memcpy(&rec_size, p, 4);
	if (rec_size < sizeof(struct bpf_core_relo))
		return -EINVAL;
	for (p += 4; p < end;) {
		uint32_t sec[2]; /* section name offset, records */

		if ((size_t)(end - p) < sizeof(sec))
			return -EINVAL;
		memcpy(sec, p, sizeof(sec));
		p += sizeof(sec);
		if ((uint64_t)sec[1] * rec_size > (uint64_t)(end - p))
			return -EINVAL;
		for (uint32_t i = 0; i < sec[1]; i++, p += rec_size) {
			struct bpf_core_relo r;

			memcpy(&r, p, sizeof(r));
			err = fn(c, &r);
			if (err)
				return err;
		}
	}
	return 0;
}

static int add_root(struct cut *c, const struct bpf_core_relo *r)
{
	int err = check_relo(c->local, r);

	if (err)
		return err;
	if (r->kind == BPF_CORE_TYPE_ID_LOCAL)
		return 0;
	return root_of(c, r->type_id) ? 0 : -ENOTSUP;
}

static int cut_relo(struct cut *c, const struct bpf_core_relo *r)
{
	struct root *root;
	int err = 0;

	if (r->kind == BPF_CORE_TYPE_ID_LOCAL)
		return 0;
	root = root_of(c, r->type_id);
	for (int i = 0; root && !err && i < root->ncands; i++) {
		if (field_based(r->kind)) {
			const char *access = btf__name_by_offset(c->local, r->access_str_off);

			err = access ? cut_field(c, r->type_id, root->cands[i], access) : -EINVAL;
		} else {
			err = keep_type(c, root->cands[i], 0);
		}
	}
	return err;
}

static int new_id(const struct cut *c, uint32_t kid)
{
	const struct btf_type *t = kskip(c->k, kid, &kid);

	for (uint32_t i = 0; t && i < c->nkeeps; i++)
		if (c->keeps[i].kid == kid)
			return (int)i + 1;
	return -ENOENT;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* An enum with all its values (ENUM or ENUM64). */
static int emit_enum(struct btf *out, const struct cut *c, const struct btf_type *t,
		     const char *name)
{
	bool is64 = btf_kind(t) == BTF_KIND_ENUM64;
	int err, id = is64 ? btf__add_enum64(out, name, t->size, btf_kflag(t))
			   : btf__add_enum(out, name, t->size);

	for (int i = 0; id > 0 && i < btf_vlen(t); i++) {
		const char *v = kernel_btf_str(c->k, is64 ? btf_enum64(t)[i].name_off
							   : btf_enum(t)[i].name_off);

		if (!v)
			err = -EINVAL;
		else if (is64)
			err = btf__add_enum64_value(out, v, btf_enum64_value(btf_enum64(t) + i));
		else
			err = btf__add_enum_value(out, v, btf_enum(t)[i].val);
		id = err ?: id;
	}
	return id;
}

/* A struct or union with only the members kp keeps, in member order. */
static int emit_composite(struct btf *out, const struct cut *c, const struct keep *kp,
			  const struct btf_type *t, const char *name)
{
	int err, id = btf_is_struct(t) ? btf__add_struct(out, name, t->size)
				       : btf__add_union(out, name, t->size);

	qsort(kp->members, kp->nmembers, sizeof(*kp->members), cmp_u16);
	for (uint32_t i = 0; id > 0 && i < kp->nmembers; i++) {
		uint16_t m = kp->members[i];
		const char *mname = kernel_btf_str(c->k, btf_members(t)[m].name_off);
		int type = new_id(c, btf_members(t)[m].type);

		if (!mname || type < 0)
			return -EINVAL;
		err = btf__add_field(out, mname, type, btf_member_bit_offset(t, m),
				     btf_member_bitfield_size(t, m));
		id = err ?: id;
	}
	return id;
}

static int emit_one(struct btf *out, const struct cut *c, const struct keep *kp)
{
	const struct btf_type *t = kernel_btf_type(c->k, kp->kid);
	const char *name = kernel_btf_str(c->k, t->name_off);
	int elem, index;

	if (!name)
		return -EINVAL;
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		return btf__add_int(out, name, t->size, btf_int_encoding(t));
	case BTF_KIND_FLOAT:
		return btf__add_float(out, name, t->size);
	case BTF_KIND_PTR:
		return btf__add_ptr(out, 0);
	case BTF_KIND_FWD:
		return btf__add_fwd(out, name, btf_kflag(t) ? BTF_FWD_UNION : BTF_FWD_STRUCT);
	case BTF_KIND_ARRAY:
		elem = new_id(c, btf_array(t)->type);
		index = new_id(c, btf_array(t)->index_type);
		if (elem < 0 || index < 0)
			return -ENOENT;
		return btf__add_array(out, index, elem, btf_array(t)->nelems);
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		return emit_enum(out, c, t, name);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return emit_composite(out, c, kp, t, name);
	}
	return -ENOTSUP;
}

/* Type i + 1 of the cut is keeps[i]; pointers all point to void. */
static struct btf *emit(const struct cut *c)
{
	struct btf *out = btf__new_empty();

	for (uint32_t i = 0; out && i < c->nkeeps; i++) {
		int id = emit_one(out, c, &c->keeps[i]);

		if (id != (int)i + 1) {
			btf__free(out);
			errno = id < 0 ? -id : EINVAL;
			return NULL;
		}
	}
	return out;
}

/* The object's .BTF and .BTF.ext sections. */
static int find_sections(const void *elf, size_t size, Elf_Data **btf, Elf_Data **ext, Elf **e)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	elf_version(EV_CURRENT);
	*e = elf_memory((char *)elf, size);
	if (!*e || elf_getshdrstrndx(*e, &shstrndx))
		return -EINVAL;
	*btf = *ext = NULL;
	while ((scn = elf_nextscn(*e, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			return -EINVAL;
		name = elf_strptr(*e, shstrndx, sh.sh_name);
		if (name && strcmp(name, ".BTF") == 0)
			*btf = elf_getdata(scn, NULL);
		else if (name && strcmp(name, ".BTF.ext") == 0)
			*ext = elf_getdata(scn, NULL);
	}
	return *btf && *ext ? 0 : -ENOENT;
}

/* The cut of kernel for the object's .BTF and .BTF.ext into fd; 0 or
 * -errno (nothing written). */
static int write_cut(int fd, const struct kernel_btf *kernel, const void *btf, size_t btf_size,
		     const void *ext, size_t ext_size, uint32_t *types)
{
	struct cut c = { .k = kernel };
	struct btf *local = btf__new(btf, btf_size), *out = NULL;
	const void *raw;
	uint32_t raw_size;
	int err = local ? 0 : -errno;

	c.local = local;
	if (!err)
		err = each_relo(ext, ext_size, &c, add_root);
	if (!err)
		err = find_candidates(&c);
	if (!err)
		err = each_relo(ext, ext_size, &c, cut_relo);
	if (!err) {
		out = emit(&c);
		err = out ? 0 : -errno;
	}
	raw = out ? btf__raw_data(out, &raw_size) : NULL;
	if (!err)
		err = raw ? fd_write_all(fd, raw, raw_size) : -ENOMEM;
	if (!err)
		*types = btf__type_cnt(out) - 1;
	btf__free(out);
	btf__free(local);
	for (uint32_t i = 0; i < c.nkeeps; i++)
		free(c.keeps[i].members);
	free(c.keeps);
	return err;
}

int btf_cut_write_sections(int fd, const struct kernel_btf *kernel, const void *btf, size_t btf_size,
			   const void *ext, size_t ext_size, char *note, size_t len)
{
	uint32_t types = 0;
	const void *raw;
	size_t raw_size;
	int err = write_cut(fd, kernel, btf, btf_size, ext, ext_size, &types);

	if (!err) {
		snprintf(note, len, "CO-RE against %u of the kernel's %u types", types,
			 kernel_btf_type_count(kernel) - 1);
		return 0;
	}
	snprintf(note, len, "CO-RE against all of the kernel's BTF: cannot cut it down (%s)",
		 strerror(-err));
	raw = kernel_btf_raw(kernel, &raw_size);
	if (ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET))
		return -errno;
	err = fd_write_all(fd, raw, raw_size);
	return err ? err : 1;
}

int btf_cut_write(int fd, const struct kernel_btf *kernel, const void *elf, size_t size, char *note,
		  size_t len)
{
	Elf_Data *btf, *ext;
	Elf *e = NULL;
	int err = find_sections(elf, size, &btf, &ext, &e);

	if (err)
		err = btf_cut_write_sections(fd, kernel, NULL, 0, NULL, 0, note, len);
	else
		err = btf_cut_write_sections(fd, kernel, btf->d_buf, btf->d_size, ext->d_buf,
					     ext->d_size, note, len);
	elf_end(e);
	return err;
}
