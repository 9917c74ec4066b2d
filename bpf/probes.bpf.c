// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Minimal programs that `oomtrace doctor` and the tier choice load and attach one at a time,
 * to learn what this kernel accepts. They do nothing when they run. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(probe_tp_btf)
{
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(probe_raw_tp)
{
	return 0;
}

/* The target is the function the fentry tier hooks first; see user/features.cpp. */
SEC("fentry/oom_kill_process")
int BPF_PROG(probe_fentry)
{
	return 0;
}

SEC("kprobe/oom_kill_process")
int BPF_KPROBE(probe_kprobe)
{
	return 0;
}
