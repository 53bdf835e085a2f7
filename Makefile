# socktrace — eBPF TCP connection tracer.
#   make            build build/socktrace (installs missing build packages first)
#   make run        build and run the tracer (root)
#   make test       build and run unit + end-to-end tests (root): on this kernel,
#                   then in VMs with Debian's amd64 kernels and Debian 12's arm64 one
#   make test-host  the same without the VMs
#   make test-arm64 cross-build for arm64 and trace in an arm64 VM (make test runs it)
#   make ARCH=arm64 cross-build build-arm64/socktrace (sysroot: scripts/sysroot.sh)
#   make check      the quick lane: build, unit tests, one e2e pass on this kernel (root)
#   make bench      measure what tracing costs a loopback workload (root)
#   make vmlinux    regenerate vmlinux/$(ARCH)/vmlinux.h from the running kernel's BTF
#   make install    install the binary, man page, bash completion and systemd unit
#                   under $(DESTDIR)$(PREFIX) (sbin/, share/, lib/systemd/system/);
#                   make uninstall removes them
# V=1 shows full commands.

HOST_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
# ARCH from the command line only (make ARCH=arm64), not from the environment.
ifneq ($(origin ARCH),command line)
ARCH     := $(HOST_ARCH)
endif
VERSION  := 0.1.0
CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= cc
PREFIX   ?= /usr/local
VMLINUX_ARCH := $(if $(filter arm64,$(ARCH)),aarch64,$(if $(filter x86,$(ARCH)),x86_64,$(ARCH)))
VMLINUX  := vmlinux/$(VMLINUX_ARCH)/vmlinux.h
BTF      ?= /sys/kernel/btf/vmlinux

ifeq ($(ARCH),$(HOST_ARCH))
OUTPUT   ?= build
LIBBPF_CFLAGS := $(shell pkg-config --cflags libbpf 2>/dev/null)
LIBBPF_LIBS   := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf)
else
# Cross-building (make ARCH=arm64): clang for the target, linked by lld
# against a sysroot of the target's Debian packages (scripts/sysroot.sh).
OUTPUT   ?= build-$(ARCH)
SYSROOT  ?= $(abspath $(OUTPUT))/sysroot
CROSS_TRIPLE := $(VMLINUX_ARCH)-linux-gnu
CC       := $(CLANG) --target=$(CROSS_TRIPLE) --sysroot=$(SYSROOT)
LDFLAGS  += -fuse-ld=lld
LIBBPF_CFLAGS :=
LIBBPF_LIBS   := -lbpf
CROSS_SYSROOT := $(SYSROOT)/.complete
DPKG_ARCH := $(if $(filter x86,$(ARCH)),amd64,$(ARCH))
endif

# clang -target bpf does not see the host's system include dirs by itself.
CLANG_BPF_SYS_INCLUDES := $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

WARN      := -Wall -Wextra -Werror
CFLAGS    ?= -O2 -g
CFLAGS    += $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -I$(OUTPUT) $(LIBBPF_CFLAGS) -MMD -MP \
	-DSOCKTRACE_VERSION='"$(VERSION)"'
LDLIBS    += $(LIBBPF_LIBS) -lelf -lz -lmicrohttpd -pthread
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) $(WARN) -Wno-unused-parameter \
	-Iinclude -Ivmlinux/$(VMLINUX_ARCH) $(CLANG_BPF_SYS_INCLUDES) -MMD -MP

ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Userspace modules of the tracer, in folders by the stage a record passes
# through (src/*/); objects are built flat in $(OUTPUT). CORE_SRCS are pure
# (no libbpf) and unit-tested.
SRC_DIRS  := src src/cli src/attach src/load src/events src/output src/metrics src/cgroups
SRC_INC   := $(addprefix -I,$(SRC_DIRS))
vpath %.c $(SRC_DIRS)
CFLAGS    += $(SRC_INC)
CORE_SRCS := src/cli/cli.c src/output/fmt.c src/output/wbuf.c src/output/fdio.c src/output/outbuf.c \
	src/output/output.c src/events/percpu_rings.c src/output/sink.c src/output/sink_text.c \
	src/output/sink_json.c src/output/sink_timeline.c src/output/sock_text.c \
	src/events/decode.c src/load/kernel_btf.c src/events/prio_policy.c src/load/tables.c \
	src/attach/loadlog.c src/events/pmerge.c src/metrics/metrics.c src/metrics/sink_metrics.c \
	src/output/rotate.c src/cgroups/container_id.c src/cgroups/cgroup_mount.c \
	src/cgroups/cgroup_names.c src/cgroups/container_filters.c
APP_SRCS  := src/main.c src/cli/env_check.c src/load/btf_cut.c src/attach/kernel_probes.c \
	src/attach/kfilter.c src/attach/plan.c src/load/premade_maps.c src/events/prio.c src/tracer.c \
	src/load/btf_id_sections.c src/events/events.c src/load/bpfobj.c src/metrics/serve.c
CORE_OBJS := $(addprefix $(OUTPUT)/,$(notdir $(CORE_SRCS:.c=.o)))
APP_OBJS  := $(addprefix $(OUTPUT)/,$(notdir $(APP_SRCS:.c=.o)))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/unit/%,$(UNIT_SRCS))

.PHONY: all deps test-deps bench-deps run test test-bins check test-host test-unit test-e2e test-vm bench \
	test-arm64 vmlinux install uninstall clean
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:

all: deps
	$(Q)$(MAKE) --no-print-directory $(OUTPUT)/socktrace

deps:
	$(Q)scripts/deps.sh $(if $(CROSS_SYSROOT),--cross)

$(CROSS_SYSROOT): scripts/sysroot.sh
	$(call msg,SYSROOT,$(SYSROOT) ($(DPKG_ARCH)))
	$(Q)scripts/sysroot.sh $(DPKG_ARCH) $(SYSROOT)

test-deps:
	$(Q)scripts/deps.sh --test

bench-deps:
	$(Q)scripts/deps.sh --bench

# Side-by-side cost of tracing (tests/bench/run.sh); ROUNDS=, CONNS= tune it.
bench: bench-deps
	$(Q)$(MAKE) --no-print-directory $(OUTPUT)/socktrace $(OUTPUT)/helpers/loadgen $(BENCH_TOOLS)
	$(Q)tests/bench/run.sh $(OUTPUT)

run: all
	$(OUTPUT)/socktrace $(ARGS)

TEST_BINS = $(OUTPUT)/socktrace $(UNIT_BINS) $(OUTPUT)/helpers/delayq $(OUTPUT)/helpers/loadgen \
	$(OUTPUT)/helpers/btf_cut_diff $(FUZZ_BINS) $(BENCH_TOOLS)

# The sanitizer build (ASan + UBSan) the suite also runs, in $(OUTPUT)/san.
SAN_BINS := $(OUTPUT)/san/socktrace $(patsubst $(OUTPUT)/%,$(OUTPUT)/san/%,$(UNIT_BINS)) \
	$(OUTPUT)/san/helpers/delayq $(OUTPUT)/san/helpers/loadgen $(OUTPUT)/san/helpers/btf_cut_diff

test-bins:
	$(Q)$(MAKE) --no-print-directory $(TEST_BINS)
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 OUTPUT=$(OUTPUT)/san $(SAN_BINS)

test: test-deps
	$(Q)$(MAKE) --no-print-directory test-bins
	$(Q)$(MAKE) --no-print-directory ARCH=arm64 OUTPUT=$(OUTPUT)-arm64 $(OUTPUT)-arm64/socktrace
	$(Q)tests/run.sh $(OUTPUT) all

# The arm64 build (make ARCH=arm64, in $(OUTPUT)-arm64) traced in Debian
# 12's arm64 kernel under QEMU (tests/arm64); make test runs it too.
test-arm64: test-deps
	$(Q)$(MAKE) --no-print-directory ARCH=arm64 OUTPUT=$(OUTPUT)-arm64 $(OUTPUT)-arm64/socktrace
	$(Q)mkdir -p $(OUTPUT)
	$(Q)tests/run.sh $(OUTPUT) arm64

# The contributors' quick lane: no sanitizers, fuzzing or VMs, and the
# e2e suite once, with the default options.
check: test-deps
	$(Q)$(MAKE) --no-print-directory $(OUTPUT)/socktrace $(UNIT_BINS) $(OUTPUT)/helpers/delayq \
		$(OUTPUT)/helpers/loadgen $(OUTPUT)/helpers/btf_cut_diff
	$(Q)tests/run.sh $(OUTPUT) check

test-host: test-deps
	$(Q)$(MAKE) --no-print-directory test-bins
	$(Q)tests/run.sh $(OUTPUT) host

test-vm: test-deps
	$(Q)$(MAKE) --no-print-directory $(TEST_BINS)
	$(Q)tests/run.sh $(OUTPUT) vm

test-unit: $(UNIT_BINS)
	$(Q)tests/run.sh $(OUTPUT) unit

test-e2e: $(OUTPUT)/socktrace $(OUTPUT)/helpers/delayq $(OUTPUT)/helpers/btf_cut_diff
	$(Q)tests/run.sh $(OUTPUT) e2e

$(OUTPUT) $(OUTPUT)/unit $(OUTPUT)/helpers:
	$(Q)mkdir -p $@

# BPF object and skeleton. The compiler's object carries DWARF (-g is what
# makes clang emit BTF); the skeleton embeds the object, so it is linked
# through bpftool first, which keeps BTF and drops DWARF: 850 KiB -> 170 KiB
# in the binary, less for libbpf to read at every start.
# The same rules build the bench's floor tracer (tests/bench/floor.bpf.c).
vpath %.bpf.c bpf tests/bench

$(OUTPUT)/%.bpf.o: %.bpf.c $(VMLINUX) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MT $@ -c $< -o $(@:.bpf.o=.dbg.bpf.o)
	$(Q)$(BPFTOOL) gen object $@ $(@:.bpf.o=.dbg.bpf.o)

# The ring buffer object for kernels before 5.12, from the same source: no
# atomic fetch or exchange instructions (-mcpu=v2 makes clang refuse to emit
# them) and no global functions (ST_COMPAT; see bpf/socktrace.bpf.c).
$(OUTPUT)/socktrace_rb.bpf.o: socktrace.bpf.c $(VMLINUX) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -mcpu=v2 -DST_COMPAT -MT $@ -c $< -o $(@:.bpf.o=.dbg.bpf.o)
	$(Q)$(BPFTOOL) gen object $@ $(@:.bpf.o=.dbg.bpf.o)

# The perf buffer object: the ring buffer object sending records through
# per-CPU perf event buffers (ST_PERFBUF), for kernels before 5.8.
$(OUTPUT)/socktrace_pb.bpf.o: socktrace.bpf.c $(VMLINUX) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -mcpu=v2 -DST_COMPAT -DST_PERFBUF -MT $@ -c $< \
		-o $(@:.bpf.o=.dbg.bpf.o)
	$(Q)$(BPFTOOL) gen object $@ $(@:.bpf.o=.dbg.bpf.o)

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# Kept after the skeleton is made (the dependency files name them).
.SECONDARY: $(OUTPUT)/socktrace.bpf.o $(OUTPUT)/socktrace_rb.bpf.o $(OUTPUT)/socktrace_pb.bpf.o \
	$(OUTPUT)/floor.bpf.o

# Modules that include the skeletons must wait for them.
$(APP_OBJS): $(OUTPUT)/socktrace.skel.h $(OUTPUT)/socktrace_rb.skel.h \
	$(OUTPUT)/socktrace_pb.skel.h

$(OUTPUT)/%.o: %.c | $(OUTPUT) $(CROSS_SYSROOT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUTPUT)/socktrace: $(CORE_OBJS) $(APP_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/unit/%: tests/unit/%.c $(CORE_OBJS) | $(OUTPUT)/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(SRC_INC) -Itests/unit $(LDFLAGS) $< $(CORE_OBJS) $(LDLIBS) -o $@

# btf_cut is not pure (libbpf's BTF writer, libelf): its test links it too.
$(OUTPUT)/unit/test_btf_cut: tests/unit/test_btf_cut.c $(CORE_OBJS) $(OUTPUT)/btf_cut.o \
		| $(OUTPUT)/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(SRC_INC) -Itests/unit $(LDFLAGS) $< $(CORE_OBJS) $(OUTPUT)/btf_cut.o \
		$(LDLIBS) -o $@

# Test helper: holds netfilter-queued packets (a netem stand-in).
$(OUTPUT)/helpers/delayq: tests/helpers/delayq.c | $(OUTPUT)/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(shell pkg-config --cflags --libs libnetfilter_queue) -o $@

$(OUTPUT)/helpers/loadgen: tests/bench/loadgen.c | $(OUTPUT)/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -pthread $< -o $@

# Loads the programs with and without the CO-RE cut and compares them (e2e).
$(OUTPUT)/helpers/btf_cut_diff: tests/helpers/btf_cut_diff.c $(CORE_OBJS) \
		$(filter-out $(OUTPUT)/main.o,$(APP_OBJS)) | $(OUTPUT)/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(SRC_INC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Bench tools behind the README's start-up, memory and floor figures.
BENCH_TOOLS := $(OUTPUT)/helpers/verifier_stats $(OUTPUT)/helpers/btf_peak $(OUTPUT)/helpers/startup \
	$(OUTPUT)/helpers/floor

# The least tracer, for make bench (tests/bench/floor.c).
$(OUTPUT)/helpers/floor: tests/bench/floor.c $(OUTPUT)/floor.skel.h $(CORE_OBJS) \
		| $(OUTPUT)/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(SRC_INC) $(LDFLAGS) $< $(CORE_OBJS) $(LDLIBS) -o $@

$(OUTPUT)/helpers/verifier_stats: tests/bench/verifier_stats.c $(CORE_OBJS) \
		$(filter-out $(OUTPUT)/main.o,$(APP_OBJS)) | $(OUTPUT)/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(SRC_INC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/helpers/startup: tests/bench/startup.c | $(OUTPUT)/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

$(OUTPUT)/helpers/btf_peak: tests/bench/btf_peak.c | $(OUTPUT)/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(LDLIBS) -o $@

# Fuzz targets (libFuzzer, clang): the pure modules rebuilt with coverage
# instrumentation and ASan/UBSan; tests/fuzz/run.sh runs them.
FUZZ_CFLAGS := -g -O1 $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude $(SRC_INC) -MMD -MP \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_OBJS := $(addprefix $(OUTPUT)/fuzz/obj/,$(notdir $(CORE_SRCS:.c=.o)))
FUZZ_BINS := $(OUTPUT)/fuzz/fuzz_cli $(OUTPUT)/fuzz/fuzz_sinks $(OUTPUT)/fuzz/fuzz_kernel_btf
.SECONDARY: $(FUZZ_OBJS)

$(OUTPUT)/fuzz/obj/%.o: %.c
	$(call msg,FUZZCC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

$(OUTPUT)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJS) -lz -o $@

# Another architecture's (make vmlinux ARCH=arm64): from Debian's kernel
# package for it, its image's BTF cut out (scripts/cross_vmlinux.sh).
vmlinux:
	$(call msg,GEN,$(VMLINUX))
ifeq ($(CROSS_SYSROOT),)
	$(Q)mkdir -p $(dir $(VMLINUX))
	$(Q)$(BPFTOOL) btf dump file $(BTF) format c > $(VMLINUX).tmp
	$(Q)mv $(VMLINUX).tmp $(VMLINUX)
else
	$(Q)scripts/cross_vmlinux.sh $(DPKG_ARCH) $(VMLINUX)
endif

# The binary, its man page, its bash completion and the systemd unit that
# runs it as a metrics daemon; DESTDIR stages them.
UNITDIR   ?= $(PREFIX)/lib/systemd/system
INSTALLED := $(DESTDIR)$(PREFIX)/sbin/socktrace $(DESTDIR)$(PREFIX)/share/man/man8/socktrace.8 \
	$(DESTDIR)$(PREFIX)/share/bash-completion/completions/socktrace \
	$(DESTDIR)$(UNITDIR)/socktrace.service

install: all
	install -D -m 0755 $(OUTPUT)/socktrace $(DESTDIR)$(PREFIX)/sbin/socktrace
	install -D -m 0644 docs/socktrace.8 $(DESTDIR)$(PREFIX)/share/man/man8/socktrace.8
	install -D -m 0644 contrib/socktrace.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/socktrace
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@SBINDIR@|$(PREFIX)/sbin|' contrib/socktrace.service.in >$(DESTDIR)$(UNITDIR)/socktrace.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/socktrace.service

uninstall:
	rm -f $(INSTALLED)

clean:
	rm -rf $(OUTPUT)

-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/unit/*.d $(OUTPUT)/helpers/*.d $(OUTPUT)/fuzz/*.d \
	$(OUTPUT)/fuzz/obj/*.d)
