// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Per-process anon from kmem:rss_stat (5.5+, commit b3d1411b6726 "mm: emit tracepoint when RSS
 * changes"): it fires on every change of an mm's counters, in whatever task changes them (the
 * owner faulting, its exit, the OOM reaper), and carries the mm. The process is the mm's owner
 * and the memcg its owner's, which is where anon faults charge. The last exit clears the owner
 * (mm_update_next_owner) before it unmaps everything in exit_mmap, so there the exiting task
 * stands in. The count is set, not added
 * (get_mm_counter()'s approximation, as the kernel's OOM message prints it): the kernel keeps
 * it whole, so nothing is lost between events and an exit ends at about zero.
 *
 * The memcg node-stat tracepoint carries NR_ANON_MAPPED deltas too, but it fires six times per
 * page of shmem or page cache churn (file, shmem and LRU-size items) for none that counts here;
 * rss_stat fires once per anon fault and never for read(), write() or truncate. The prototype
 * gained a `count` argument from 5.5 to 6.1; the two leading arguments are the same. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "lib/charges.bpf.h"
#include "lib/core_fixes.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/rss_stat")
int BPF_PROG(handle_rss_stat, struct mm_struct *mm, int member)
{
	struct cgroup_subsys_state *css;
	struct oomtrace_hot *hot;
	struct task_struct *owner;
	__s64 pages;

	/* MM_* is an anonymous enum, unchanged since 4.5: no CO-RE relocation exists. */
	if (member != MM_ANONPAGES)
		return 0;
	hot = hot__slot(OOMTRACE_HOT_RSS_STAT);
	if (!hot)
		return 0;
	pages = mm__counter(mm, MM_ANONPAGES);
	/* A run of faults repeats one mm: until its count has moved a step from what this CPU
	 * wrote, there is nothing to write, and its owner and memcg are not needed. An owner or
	 * memcg that changed within the run is seen at the next step. */
	if ((__u64)mm == hot->anon_mm && charges__anon_unmoved(pages, hot->anon_written))
		return 0;
	owner = mm->owner;
	if (!owner) {
		owner = bpf_get_current_task_btf();
		if (!(owner->flags & 0x00000004 /* PF_EXITING */))
			return 0;
	}
	css = task__memory_css(owner);
	if (!css)
		return 0;
	charges__set_anon(hot, container_of(css, struct mem_cgroup, css), css->serial_nr, owner->tgid,
			  pages, (__u64)mm);
	return 0;
}
