/* loadlog_failure: the refused program and the verifier's reason, from
 * libbpf 1.1's messages as they come on a failed load. */
#include "check.h"
#include "loadlog.h"

static void test_verifier_reason(void)
{
	const char *text =
		"libbpf: prog 'state_btf': BPF program load failed: Invalid argument\n"
		"libbpf: prog 'state_btf': -- BEGIN PROG LOAD LOG --\n"
		"0: R1=ctx(id=0,off=0,imm=0) R10=fp0\n"
		"BPF_STX uses reserved fields\n"
		"processed 0 insns (limit 1000000) max_states_per_insn 0\n"
		"-- END PROG LOAD LOG --\n"
		"libbpf: failed to load program 'state_btf'\n"
		"libbpf: failed to load object 'socktrace_bpf'\n";
	char prog[32], reason[128];

	CHECK(loadlog_failure(text, prog, sizeof(prog), reason, sizeof(reason)), "a verifier rejection is found");
	CHECK_STR(prog, "state_btf", "the refused program is named");
	CHECK_STR(reason, "BPF_STX uses reserved fields", "its reason is the log's last telling line");
}

static void test_no_log(void)
{
	const char *text = "libbpf: prog 'accept_fexit': BPF program load failed: Permission denied\n"
			   "libbpf: failed to load object 'socktrace_bpf'\n";
	char prog[32], reason[128];

	CHECK(loadlog_failure(text, prog, sizeof(prog), reason, sizeof(reason)), "a failure without a log is found");
	CHECK_STR(prog, "accept_fexit", "no log: the program is named");
	CHECK_STR(reason, "BPF program load failed: Permission denied", "no log: libbpf's words are the reason");
}

static void test_object_failure(void)
{
	const char *text = "libbpf: map 'events': failed to create: Invalid argument(-22)\n"
			   "libbpf: failed to load object 'socktrace_bpf'\n";
	char prog[32], reason[128];

	CHECK(loadlog_failure(text, prog, sizeof(prog), reason, sizeof(reason)), "an object failure is found");
	CHECK_STR(prog, "", "an object failure names no program");
	CHECK_STR(reason, "failed to load object 'socktrace_bpf'", "its reason is libbpf's last warning");
	CHECK(!loadlog_failure("", prog, sizeof(prog), reason, sizeof(reason)), "no failure in an empty text");
}

static void test_truncates(void)
{
	const char *text = "libbpf: prog 'a_very_long_program_name': BPF program load failed: x\n";
	char prog[8], reason[6];

	CHECK(loadlog_failure(text, prog, sizeof(prog), reason, sizeof(reason)), "a long name: found");
	CHECK_STR(prog, "a_very_", "a long name is cut");
	CHECK_STR(reason, "BPF p", "a long reason is cut");
}

int main(void)
{
	test_verifier_reason();
	test_no_log();
	test_object_failure();
	test_truncates();
	return check_done();
}
