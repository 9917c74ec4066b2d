// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The function tier, for kernels without the memcg stat tracepoint (before 6.13): kernel memory
 * per process from __mod_memcg_state(memcg, idx, val), which every memcg_stat_item update
 * (MEMCG_KMEM) passes. fentry is preferred, kprobe the fallback. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "lib/charges.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline void stat__memcg(struct mem_cgroup *memcg, int item, int val)
{
	int slot = charges__memcg_slot(item);

	if (slot >= 0 && memcg)
		charges__add(OOMTRACE_HOT_MEMCG_STAT, memcg, memcg__serial(memcg), slot, val);
}

SEC("fentry/__mod_memcg_state")
int BPF_PROG(handle_memcg_state_fentry, struct mem_cgroup *memcg, int item, int val)
{
	stat__memcg(memcg, item, val);
	return 0;
}

SEC("kprobe/__mod_memcg_state")
int BPF_KPROBE(handle_memcg_state_kprobe, struct mem_cgroup *memcg, int item, int val)
{
	stat__memcg(memcg, item, val);
	return 0;
}
