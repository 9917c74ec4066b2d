/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Per-(memcg, tgid) charge counters, fed by the memcg stat tracepoints (6.13+) or by the
 * stat function hooks on older kernels. */
#ifndef OOMTRACE_CHARGES_BPF_H
#define OOMTRACE_CHARGES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "lib/maps.bpf.h"
#include "lib/memcg.bpf.h"

/* The slot of a node_stat_item, or -1 for the items oomtrace does not keep (LRU sizes,
 * workingset, slab...: the hot ones, filtered before any map access). */
static __always_inline int charges__node_slot(int item)
{
	if (item == bpf_core_enum_value(enum node_stat_item, NR_ANON_MAPPED))
		return OOMTRACE_SLOT_ANON;
	if (item == bpf_core_enum_value(enum node_stat_item, NR_FILE_PAGES))
		return OOMTRACE_SLOT_FILE;
	if (item == bpf_core_enum_value(enum node_stat_item, NR_SHMEM))
		return OOMTRACE_SLOT_SHMEM;
	if (item == bpf_core_enum_value(enum node_stat_item, NR_FILE_DIRTY))
		return OOMTRACE_SLOT_FILE_DIRTY;
	if (item == bpf_core_enum_value(enum node_stat_item, NR_WRITEBACK))
		return OOMTRACE_SLOT_WRITEBACK;
	if (item == bpf_core_enum_value(enum node_stat_item, NR_FILE_MAPPED))
		return OOMTRACE_SLOT_FILE_MAPPED;
	return -1;
}

static __always_inline int charges__memcg_slot(int item)
{
	if (bpf_core_enum_value_exists(enum memcg_stat_item, MEMCG_KMEM) &&
	    item == bpf_core_enum_value(enum memcg_stat_item, MEMCG_KMEM))
		return OOMTRACE_SLOT_KERNEL;
	return -1;
}

static __always_inline void charges__add(struct mem_cgroup *memcg, int slot, __s64 pages)
{
	struct oomtrace_charge_value *value, zero = {};
	struct oomtrace_charge_key key = {};

	if (slot < 0 || slot >= OOMTRACE_SLOT_COUNT || !memcg__lookup(memcg, &key.memcg_id))
		return;
	key.tgid = current__tgid_or_kernel();

	value = bpf_map_lookup_elem(&charges, &key);
	if (!value) {
		if (bpf_map_update_elem(&charges, &key, &zero, BPF_NOEXIST) == 0) {
			counter__inc(OOMTRACE_COUNTER_CHARGE_INSERTS);
			task__remember(key.tgid);
		}
		value = bpf_map_lookup_elem(&charges, &key);
		if (!value) {
			counter__inc(OOMTRACE_COUNTER_CHARGE_INSERT_FAILS);
			return;
		}
	}
	__sync_fetch_and_add(&value->pages[slot], pages);
}

#endif /* OOMTRACE_CHARGES_BPF_H */
