/* Container ids in cgroup paths (container_id.h). */
#include "container_id.h"

#include <ctype.h>
#include <string.h>

#define ID_HEX 64
#define POD_UID_LEN 36

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

static bool starts_with(const char *s, size_t n, const char *prefix, size_t *plen)
{
	*plen = strlen(prefix);
	return n >= *plen && !memcmp(s, prefix, *plen);
}

/* A component's container id: ID, or ID after a runtime's prefix, before
 * an optional ".scope". */
static bool component_id(const char *s, size_t n, char out[CONTAINER_ID_MAX])
{
	static const char *const prefixes[] = { "docker-", "cri-containerd-", "crio-", "libpod-" };
	size_t plen;

	if (n > 6 && !memcmp(s + n - 6, ".scope", 6))
		n -= 6;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (starts_with(s, n, prefixes[i], &plen)) {
			s += plen;
			n -= plen;
			break;
		}
	}
	if (n != ID_HEX || !all_hex(s, n))
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

/* A component's pod UID: podUID, or ...-podUID.slice with underscores. */
static bool component_pod(const char *s, size_t n, char out[CONTAINER_ID_MAX])
{
	const char *p;

	if (n > 6 && !memcmp(s + n - 6, ".slice", 6))
		n -= 6;
	if (n < 3 + POD_UID_LEN)
		return false;
	p = s + n - POD_UID_LEN;
	if (memcmp(p - 3, "pod", 3) || (p - 3 != s && p[-4] != '-'))
		return false;
	for (size_t i = 0; i < POD_UID_LEN; i++) {
		char c = p[i] == '_' ? '-' : p[i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? c != '-' : !isxdigit((unsigned char)c))
			return false;
		out[i] = c;
	}
	out[POD_UID_LEN] = '\0';
	return true;
}

bool container_id_of_path(const char *path, char out[CONTAINER_ID_MAX])
{
	const char *end = path + strlen(path);
	bool pod = false;
	char pod_uid[CONTAINER_ID_MAX];

	/* From the last component to the first. */
	while (end > path) {
		const char *start = end;

		while (start > path && start[-1] != '/')
			start--;
		if (component_id(start, (size_t)(end - start), out))
			return true;
		if (!pod)
			pod = component_pod(start, (size_t)(end - start), pod_uid);
		end = start > path ? start - 1 : path;
	}
	if (pod)
		memcpy(out, pod_uid, sizeof(pod_uid));
	return pod;
}

bool container_id_of_proc_cgroup(const char *text, char out[CONTAINER_ID_MAX])
{
	char line[4096];

	while (*text) {
		const char *nl = strchr(text, '\n'), *path;
		size_t n = nl ? (size_t)(nl - text) : strlen(text);

		if (n < sizeof(line)) {
			memcpy(line, text, n);
			line[n] = '\0';
			/* hierarchy-id:controllers:path */
			path = strchr(line, ':');
			path = path ? strchr(path + 1, ':') : NULL;
			if (path && container_id_of_path(path + 1, out))
				return true;
		}
		text += n + (nl != NULL);
	}
	return false;
}
