/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* memcg helpers: from a folio or a task to its memcg, ids, limits and the cgroup filter.
 * Everything goes through BPF_CORE_READ so the same helpers serve tp_btf, fentry and kprobe. */
#ifndef OOMTRACE_MEMCG_BPF_H
#define OOMTRACE_MEMCG_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "lib/maps.bpf.h"

/* Low bits of folio->memcg_data: MEMCG_DATA_OBJEXTS (OBJCGS before 6.10) and MEMCG_DATA_KMEM. */
#define MEMCG_DATA_FLAGS_MASK 3UL
#define MEMCG_DATA_KMEM 2UL

/* From folio->memcg_data (or page->memcg_data) to the memcg. Kernel-memory folios carry an
 * obj_cgroup; page cache and shmem never do. */
static __always_inline struct mem_cgroup *memcg__from_data(unsigned long data)
{
	if (data & MEMCG_DATA_KMEM)
		return NULL;
	return (struct mem_cgroup *)(data & ~MEMCG_DATA_FLAGS_MASK);
}

static __always_inline __u64 memcg__id(struct mem_cgroup *memcg)
{
	return BPF_CORE_READ(memcg, css.cgroup, kn, id);
}

static __always_inline struct mem_cgroup *memcg__parent(struct mem_cgroup *memcg)
{
	struct cgroup_subsys_state *parent = BPF_CORE_READ(memcg, css.parent);

	if (!parent)
		return NULL;
	return container_of(parent, struct mem_cgroup, css);
}

static __always_inline struct mem_cgroup *task__memcg(struct task_struct *task)
{
	int memory_id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	struct cgroup_subsys_state *css = NULL;
	struct css_set *cgroups = BPF_CORE_READ(task, cgroups);

	if (!cgroups || memory_id < 0 || memory_id >= 16)
		return NULL;
	bpf_probe_read_kernel(&css, sizeof(css),
			      (void *)cgroups + bpf_core_field_offset(cgroups->subsys) +
				      memory_id * sizeof(css));
	if (!css)
		return NULL;
	return container_of(css, struct mem_cgroup, css);
}

static __always_inline __u64 memcg__oom_events(struct mem_cgroup *memcg)
{
	int oom = bpf_core_enum_value(enum memcg_memory_event, MEMCG_OOM);
	__u64 count = 0;

	if (oom < 0 || oom >= 16)
		return 0;
	bpf_probe_read_kernel(&count, sizeof(count),
			      (void *)memcg + bpf_core_field_offset(memcg->memory_events_local) +
				      oom * sizeof(atomic_long_t));
	return count;
}

/* Whether pages charged to this memcg are traced: every memcg unless filter_cgroups, else
 * those at or below a traced root. The answer is cached per id. */
static __always_inline bool memcg__traced(struct mem_cgroup *memcg, __u64 id)
{
	struct mem_cgroup *walk = memcg;
	__u8 verdict = 0, *cached;
	__u64 oom_count;

	cached = bpf_map_lookup_elem(&memcg_verdicts, &id);
	if (cached)
		return *cached;
	if (!filter_cgroups)
		verdict = 1;

	for (int depth = 0; depth < OOMTRACE_MAX_CGROUP_DEPTH && walk && !verdict; depth++) {
		__u64 walk_id = memcg__id(walk);

		if (bpf_map_lookup_elem(&traced_roots, &walk_id)) {
			verdict = 1;
			break;
		}
		walk = memcg__parent(walk);
	}
	bpf_map_update_elem(&memcg_verdicts, &id, &verdict, BPF_ANY);
	/* First sight of this memcg: record its OOM count as the baseline. */
	oom_count = memcg__oom_events(memcg);
	bpf_map_update_elem(&oom_counts, &id, &oom_count, BPF_NOEXIST);
	return verdict;
}

/* The hot paths' view of a memcg: its id and the filter's verdict, from a one-entry per-CPU
 * cache. Consecutive updates mostly hit the same memcg; css.serial_nr, unique for the life of
 * the system, tells a reused address from the memcg that was cached. */
static __always_inline bool memcg__lookup(struct mem_cgroup *memcg, __u64 *id)
{
	struct memcg_cache_entry *entry;
	__u32 zero = 0;
	__u64 serial;

	if (!memcg)
		return false;
	serial = BPF_CORE_READ(memcg, css.serial_nr);
	entry = bpf_map_lookup_elem(&memcg_cache, &zero);
	if (entry && entry->memcg == (__u64)memcg && entry->serial == serial) {
		*id = entry->id;
		return entry->traced;
	}
	*id = memcg__id(memcg);
	bool traced = memcg__traced(memcg, *id);
	if (entry) {
		entry->memcg = (__u64)memcg;
		entry->serial = serial;
		entry->id = *id;
		entry->traced = traced;
	}
	return traced;
}

static __always_inline __u32 current__tgid_or_kernel(void)
{
	/* Kernel threads (reclaim, the OOM reaper, writeback) charge nothing of their own. */
	if (bpf_get_current_task_btf()->flags & 0x00200000 /* PF_KTHREAD */)
		return 0;
	return bpf_get_current_pid_tgid() >> 32;
}

#endif /* OOMTRACE_MEMCG_BPF_H */
