// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The function tier, for kernels without the memcg stat tracepoints (before 6.13): the same
 * per-memcg and per-process counters from the functions every memcg stat update passes.
 *   __lruvec_stat_mod_folio(folio, idx, val): a function by 6.8 (an inline wrapper of
 *     __mod_lruvec_page_state from 5.19 to 6.5);
 *   __mod_lruvec_page_state(page, idx, val): the function from 5.11 to about 6.6;
 *   __mod_memcg_state(memcg, idx, val): memcg_stat_item updates (MEMCG_KMEM).
 * Only one of the two node-stat functions exists as a function on a given kernel; userspace
 * loads the one in BTF (fentry) or kallsyms (kprobe). fentry is preferred, kprobe the fallback. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "lib/charges.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline void stat__page(struct page *page, int item, int val)
{
	int slot = charges__node_slot(item);

	struct mem_cgroup *memcg;

	if (slot < 0)
		return;
	memcg = memcg__from_data(BPF_CORE_READ(page, memcg_data));
	if (memcg)
		charges__add(OOMTRACE_HOT_NODE_STAT, memcg, memcg__serial(memcg), slot, val);
}

static __always_inline void stat__memcg(struct mem_cgroup *memcg, int item, int val)
{
	int slot = charges__memcg_slot(item);

	if (slot >= 0 && memcg)
		charges__add(OOMTRACE_HOT_MEMCG_STAT, memcg, memcg__serial(memcg), slot, val);
}

SEC("fentry/__lruvec_stat_mod_folio")
int BPF_PROG(handle_stat_folio_fentry, struct folio *folio, int item, int val)
{
	stat__page((struct page *)folio, item, val);
	return 0;
}

SEC("kprobe/__lruvec_stat_mod_folio")
int BPF_KPROBE(handle_stat_folio_kprobe, struct folio *folio, int item, int val)
{
	stat__page((struct page *)folio, item, val);
	return 0;
}

SEC("fentry/__mod_lruvec_page_state")
int BPF_PROG(handle_stat_page_fentry, struct page *page, int item, int val)
{
	stat__page(page, item, val);
	return 0;
}

SEC("kprobe/__mod_lruvec_page_state")
int BPF_KPROBE(handle_stat_page_kprobe, struct page *page, int item, int val)
{
	stat__page(page, item, val);
	return 0;
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
