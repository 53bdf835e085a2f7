/* Bench tool: the peak RSS (VmHWM) of a process that does nothing but have
 * libbpf parse the kernel's BTF (btf__load_vmlinux_btf), as every libbpf
 * tool that uses CO-RE or BTF-attached programs does while loading: the
 * floor under tcpstates' and socktrace's max RSS.
 *   build/helpers/btf_peak */
#include <bpf/btf.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	char line[256];
	FILE *f;

	if (!btf) {
		perror("btf_peak: btf__load_vmlinux_btf");
		return 1;
	}
	btf__free(btf);
	f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmHWM:", 6) == 0)
			fputs(line, stdout);
	if (f)
		fclose(f);
	return 0;
}
