// The benchmark's floor: one empty program that bench/hooks attaches to every tracepoint
// `oomtrace watch` uses. It measures what the hook hits alone cost, with none of oomtrace's
// code. raw_tp and oomtrace's tp_btf programs are run by the same kernel dispatch
// (bpf_trace_run*, kernel/trace/bpf_trace.c), so the floor is the same for both.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("raw_tp")
int empty(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
