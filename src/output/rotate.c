#include "rotate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

struct rotator {
	char *path;
	char *dir;        /* path's folder */
	const char *base; /* path's last part, in path */
	unsigned keep;
	rotate_open_fn open_file;
	FILE *err;
	unsigned long next; /* N of the next rotated file */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned long *queue; /* rotated, to compress, oldest first */
	size_t nqueue, cap;
	bool done;
	pthread_t thread;
};

/* N if name is base.N or base.N.gz, else 0. */
static unsigned long rotated_number(const struct rotator *r, const char *name)
{
	size_t n = strlen(r->base);
	char *end;
	unsigned long v;

	if (strncmp(name, r->base, n) || name[n] != '.' || name[n + 1] < '0' || name[n + 1] > '9')
		return 0;
	v = strtoul(name + n + 1, &end, 10);
	return (!*end || !strcmp(end, ".gz")) && v != ULONG_MAX ? v : 0;
}

/* Calls fn for each rotated file of r in its folder. */
static void each_rotated(struct rotator *r, void (*fn)(struct rotator *, const char *, unsigned long,
							void *),
			 void *arg)
{
	DIR *d = opendir(r->dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		unsigned long n = rotated_number(r, e->d_name);

		if (n)
			fn(r, e->d_name, n, arg);
	}
	closedir(d);
}

static void note_highest(struct rotator *r, const char *name, unsigned long n, void *arg)
{
	(void)r;
	(void)name;
	if (n > *(unsigned long *)arg)
		*(unsigned long *)arg = n;
}

/* Removes name if it is older than the keep newest up to *arg. */
static void remove_if_old(struct rotator *r, const char *name, unsigned long n, void *arg)
{
	char p[PATH_MAX];

	if (n + r->keep > *(unsigned long *)arg)
		return;
	snprintf(p, sizeof(p), "%s/%s", r->dir, name);
	if (unlink(p) && errno != ENOENT)
		fprintf(r->err, "socktrace: --rotate: cannot remove %s: %s\n", p, strerror(errno));
}

static void numbered(const struct rotator *r, unsigned long n, const char *suffix, char *buf,
		     size_t len)
{
	snprintf(buf, len, "%s.%lu%s", r->path, n, suffix);
}

/* gzip-compresses path.N into path.N.gz (through path.N.gz.tmp, so a
 * .gz file is always whole), then removes path.N. */
static int compress_one(struct rotator *r, unsigned long n)
{
	char src[PATH_MAX], tmp[PATH_MAX], dst[PATH_MAX], buf[65536];
	int in, out, ok = 0;
	gzFile gz = NULL;
	ssize_t got;

	numbered(r, n, "", src, sizeof(src));
	numbered(r, n, ".gz.tmp", tmp, sizeof(tmp));
	numbered(r, n, ".gz", dst, sizeof(dst));
	in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	unlink(tmp);
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (in >= 0 && out >= 0 && (gz = gzdopen(out, "wb6"))) {
		out = -1; /* gzclose closes it */
		while ((got = read(in, buf, sizeof(buf))) > 0)
			if (gzwrite(gz, buf, (unsigned)got) != got)
				break;
		ok = got == 0;
	}
	if (gz && gzclose(gz) != Z_OK)
		ok = 0;
	if (out >= 0)
		close(out);
	if (in >= 0)
		close(in);
	if (ok && !rename(tmp, dst) && !unlink(src))
		return 0;
	fprintf(r->err, "socktrace: --rotate: cannot compress %s (%s); it stays as it is\n", src,
		strerror(errno ? errno : EIO));
	unlink(tmp);
	return -1;
}

static void *compressor(void *arg)
{
	struct rotator *r = arg;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		unsigned long n;

		while (!r->nqueue && !r->done)
			pthread_cond_wait(&r->cond, &r->lock);
		if (!r->nqueue)
			break;
		n = r->queue[0];
		memmove(r->queue, r->queue + 1, --r->nqueue * sizeof(r->queue[0]));
		pthread_mutex_unlock(&r->lock);
		compress_one(r, n);
		each_rotated(r, remove_if_old, &n);
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void free_fields(struct rotator *r)
{
	free(r->path);
	free(r->dir);
	free(r->queue);
	free(r);
}

struct rotator *rotator__new(const char *path, unsigned keep, rotate_open_fn open_file, FILE *err)
{
	struct rotator *r = calloc(1, sizeof(*r));
	const char *slash = strrchr(path, '/');
	unsigned long highest = 0;

	if (!r)
		return NULL;
	r->path = strdup(path);
	r->dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
	if (!r->path || !r->dir) {
		free_fields(r);
		return NULL;
	}
	r->base = r->path + (slash ? slash - path + 1 : 0);
	r->keep = keep;
	r->open_file = open_file;
	r->err = err;
	each_rotated(r, note_highest, &highest);
	r->next = highest + 1;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	if (pthread_create(&r->thread, NULL, compressor, r)) {
		free_fields(r);
		return NULL;
	}
	return r;
}

static int enqueue(struct rotator *r, unsigned long n)
{
	pthread_mutex_lock(&r->lock);
	if (r->nqueue == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 8;
		unsigned long *q = realloc(r->queue, cap * sizeof(*q));

		if (!q) {
			pthread_mutex_unlock(&r->lock);
			return -ENOMEM;
		}
		r->queue = q;
		r->cap = cap;
	}
	r->queue[r->nqueue++] = n;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

int rotator_rotate(struct rotator *r)
{
	char aside[PATH_MAX];
	int fd, e;

	numbered(r, r->next, "", aside, sizeof(aside));
	if (rename(r->path, aside)) {
		e = errno;
		fprintf(r->err, "socktrace: --rotate: cannot rename %s to %s: %s\n", r->path, aside,
			strerror(e));
		return -e;
	}
	fd = r->open_file(r->path);
	if (fd < 0) {
		rename(aside, r->path); /* keep writing where we were */
		fprintf(r->err,
			"socktrace: --rotate: %s was not rotated (above: why); it grows on, and "
			"the next try comes after another SIZE\n",
			r->path);
		return -EIO;
	}
	if (enqueue(r, r->next))
		fprintf(r->err, "socktrace: --rotate: out of memory; %s stays uncompressed\n", aside);
	r->next++;
	return fd;
}

void rotator__free(struct rotator *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->done = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	free_fields(r);
}
