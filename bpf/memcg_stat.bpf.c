// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Kernel memory per process from the memcg stat tracepoint (6.13+, commit 0aa3ef363792
 * "memcg: add tracing for memcg stat updates"): every update of a memcg_stat_item, with a
 * value in pages, in the updating task. The memcg is a typed argument, so its fields are plain
 * loads. Its node-stat sibling, mod_memcg_lruvec_state, is not hooked: it fires six times per
 * page of page cache or shmem churn (rss.bpf.c). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "lib/charges.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/mod_memcg_state")
int BPF_PROG(handle_mod_memcg_state, struct mem_cgroup *memcg, int item, int val)
{
	int slot = charges__memcg_slot(item);

	if (slot >= 0)
		charges__add(OOMTRACE_HOT_MEMCG_STAT, memcg, memcg->css.serial_nr, slot, val);
	return 0;
}
