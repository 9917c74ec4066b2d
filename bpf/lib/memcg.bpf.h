/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* memcg helpers: from a folio or a task to its memcg, ids, limits and the cgroup filter.
 * Pointers that a kprobe could pass go through BPF_CORE_READ, so the same helpers serve
 * tp_btf, fentry and kprobe; only typed pointers (bpf_get_current_task_btf(), a cast) are
 * loaded from directly. */
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

/* By probe reads, for mark_victim: it walks the memcg's ancestors from here, and a typed css in
 * that walk keeps the verifier from pruning its states (over a million instructions on 6.18). */
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

/* The memory css of a task reached through typed pointers (a tp_btf argument and its fields):
 * plain loads, no helper calls, for the hot path (rss_stat). */
static __always_inline struct cgroup_subsys_state *task__memory_css(struct task_struct *task)
{
	int memory_id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	struct css_set *cgroups = task->cgroups;

	if (!cgroups || memory_id < 0 || memory_id >= 16)
		return NULL;
	return cgroups->subsys[memory_id];
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

static __always_inline __u64 memcg__serial(struct mem_cgroup *memcg)
{
	return BPF_CORE_READ(memcg, css.serial_nr);
}

/* A memcg taken from folio->memcg_data is a plain number to the verifier. bpf_rdonly_cast
 * (6.2, "bpf: Add a kfunc for generic type cast") makes it a pointer to load from, which
 * costs a fraction of the probe read. Programs that use it have a probe-read twin for older
 * kernels; userspace loads whichever the kernel accepts. */
extern void *bpf_rdonly_cast(void *obj, __u32 btf_id) __ksym __weak;

static __always_inline __u64 memcg__serial_by_cast(struct mem_cgroup *memcg)
{
	struct mem_cgroup *typed = bpf_rdonly_cast(memcg, bpf_core_type_id_kernel(struct mem_cgroup));

	return typed->css.serial_nr;
}

/* The serial of a memcg from folio->memcg_data, by cast or by probe read. */
static __always_inline __u64 memcg__folio_serial(struct mem_cgroup *memcg, bool by_cast)
{
	return by_cast ? memcg__serial_by_cast(memcg) : memcg__serial(memcg);
}

/* The hot paths' view of a memcg: its id and the filter's verdict, cached in the program's
 * per-CPU slot. Consecutive updates mostly hit the same memcg; `serial` (css.serial_nr, read
 * the cheapest way the caller's context allows) tells a reused address from the cached one. */
static __always_inline bool memcg__lookup(struct oomtrace_hot *hot, struct mem_cgroup *memcg,
					  __u64 serial, __u64 *id)
{
	bool traced;

	if (!memcg)
		return false;
	if (hot->memcg == (__u64)memcg && hot->memcg_serial == serial) {
		*id = hot->memcg_id;
		return hot->memcg_traced;
	}
	*id = memcg__id(memcg);
	traced = memcg__traced(memcg, *id);
	hot->memcg = (__u64)memcg;
	hot->memcg_serial = serial;
	hot->memcg_id = *id;
	hot->memcg_traced = traced;
	return traced;
}

/* Kernel threads (reclaim, the OOM reaper, writeback) charge nothing of their own: tgid 0. */
static __always_inline __u32 task__tgid_or_kernel(struct task_struct *task)
{
	if (task->flags & 0x00200000 /* PF_KTHREAD */)
		return 0;
	return task->tgid;
}

static __always_inline __u32 current__tgid_or_kernel(void)
{
	return task__tgid_or_kernel(bpf_get_current_task_btf());
}

#endif /* OOMTRACE_MEMCG_BPF_H */
