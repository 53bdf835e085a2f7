/* output_open: file creation mode, symlinks, other files, gzip. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "output.h"

static char dir[] = "/tmp/socktrace-test-XXXXXX";

/* dir/name; two calls may be used in one expression. */
static const char *at(const char *name)
{
	static char paths[2][256];
	static int next;
	char *path = paths[next++ & 1];

	snprintf(path, sizeof(paths[0]), "%s/%s", dir, name);
	return path;
}

static int quiet_open(const char *path, struct outbuf **ob)
{
	int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY);

	dup2(null, STDERR_FILENO);
	*ob = output_open(path, 64, NULL);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(null);
	return *ob != NULL;
}

int main(void)
{
	struct outbuf *ob;
	struct stat st;
	char buf[64];
	int fd;

	if (!mkdtemp(dir))
		return 1;

	CHECK(quiet_open(at("new.json"), &ob), "a new file opens");
	outbuf_puts(ob, "{}\n");
	CHECK(outbuf_finish(ob) == 0, "written");
	outbuf__free(ob);
	CHECK(stat(at("new.json"), &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 3,
	      "created with mode 0600");

	fd = open(at("old.json"), O_WRONLY | O_CREAT, 0644);
	CHECK(write(fd, "previous content\n", 17) == 17, "old file prepared");
	close(fd);
	CHECK(quiet_open(at("old.json"), &ob), "an existing file of ours opens");
	outbuf_puts(ob, "x\n");
	outbuf_finish(ob);
	outbuf__free(ob);
	CHECK(stat(at("old.json"), &st) == 0 && st.st_size == 2 && (st.st_mode & 0777) == 0600,
	      "it is truncated and made 0600");

	CHECK(symlink(at("target"), at("link.json")) == 0, "symlink prepared");
	CHECK(!quiet_open(at("link.json"), &ob), "a symlink is refused");
	CHECK(access(at("target"), F_OK) != 0, "nothing created through the link");

	CHECK(link(at("new.json"), at("hard.json")) == 0, "hard link prepared");
	CHECK(!quiet_open(at("hard.json"), &ob), "a file with other hard links is refused");

	CHECK(mkfifo(at("fifo"), 0600) == 0, "fifo prepared");
	CHECK(!quiet_open(at("fifo"), &ob), "a fifo is refused without blocking");
	CHECK(!quiet_open(at("no/such/dir.json"), &ob), "a missing directory is an error");

	CHECK(quiet_open(at("t.json.gz"), &ob), "a .gz file opens");
	outbuf_puts(ob, "{\"a\":1}\n");
	outbuf_flush(ob);
	outbuf_puts(ob, "{\"b\":2}\n");
	CHECK(outbuf_finish(ob) == 0, "gzip finished");
	outbuf__free(ob);
	{
		gzFile gz = gzopen(at("t.json.gz"), "rb");
		int n = gz ? gzread(gz, buf, sizeof(buf) - 1) : -1;

		buf[n > 0 ? n : 0] = '\0';
		CHECK(n == 16 && strcmp(buf, "{\"a\":1}\n{\"b\":2}\n") == 0,
		      ".gz output decompresses to what was written");
		CHECK(gz && gzclose(gz) == Z_OK, "gzip trailer and CRC are valid");
	}
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		CHECK(system(cmd) == 0, "cleanup");
	}
	return check_done();
}
