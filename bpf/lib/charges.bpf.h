/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Per-(memcg, tgid) charge counters: kernel memory added from the memcg stat tracepoint (6.13+)
 * or its function hook, write-combined per CPU (struct oomtrace_hot); anon set from
 * kmem:rss_stat. */
#ifndef OOMTRACE_CHARGES_BPF_H
#define OOMTRACE_CHARGES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "lib/maps.bpf.h"
#include "lib/memcg.bpf.h"

/* The slot of a memcg_stat_item, or -1 for the items oomtrace does not keep. */
static __always_inline int charges__memcg_slot(int item)
{
	if (bpf_core_enum_value_exists(enum memcg_stat_item, MEMCG_KMEM) &&
	    item == bpf_core_enum_value(enum memcg_stat_item, MEMCG_KMEM))
		return OOMTRACE_SLOT_KERNEL;
	return -1;
}

/* The key's entry in `charges`, created if missing. `remember` names the entry's process: only
 * where current is that process. */
static __always_inline struct oomtrace_charge_value *charges__entry(struct oomtrace_charge_key *key,
								    bool remember)
{
	struct oomtrace_charge_value *value, zero = {};

	value = bpf_map_lookup_elem(&charges, key);
	if (value)
		return value;
	if (bpf_map_update_elem(&charges, key, &zero, BPF_NOEXIST) == 0) {
		counter__inc(OOMTRACE_COUNTER_CHARGE_INSERTS);
		if (remember)
			task__remember(key->tgid);
	}
	value = bpf_map_lookup_elem(&charges, key);
	if (!value)
		counter__inc(OOMTRACE_COUNTER_CHARGE_INSERT_FAILS);
	return value;
}

/* Moves the slot's pending charges into the map. Each slot is zeroed before the map is added
 * to (the atomic add orders the two): a reader that takes the map and then the slots, as
 * mark_victim and userspace do, may miss pages in flight but never counts them twice. */
static __always_inline void charges__flush(struct oomtrace_hot *hot)
{
	struct oomtrace_charge_value *value;
	bool pending = false;

	for (int slot = 0; slot < OOMTRACE_SLOT_COUNT; slot++)
		pending |= hot->charge_pages.pages[slot] != 0;
	if (!pending)
		return;
	value = charges__entry(&hot->charge_key, false);
	for (int slot = 0; slot < OOMTRACE_SLOT_COUNT; slot++) {
		__s64 pages = hot->charge_pages.pages[slot];

		if (!pages)
			continue;
		hot->charge_pages.pages[slot] = 0;
		if (value)
			__sync_fetch_and_add(&value->pages[slot], pages);
	}
}

/* Adds `pages` to (memcg, current process) in `slot`: to the pending counters while the key
 * repeats, which is what most updates do. */
static __always_inline void charges__add(__u32 hot_index, struct mem_cgroup *memcg, __u64 serial,
					 int slot, __s64 pages)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct oomtrace_charge_key key = {};
	struct oomtrace_hot *hot = hot__slot(hot_index);

	if (!hot || slot < 0 || slot >= OOMTRACE_SLOT_COUNT ||
	    !memcg__lookup(hot, memcg, serial, &key.memcg_id))
		return;
	key.tgid = task__tgid_or_kernel(task);
	if (hot->charge_key.memcg_id != key.memcg_id || hot->charge_key.tgid != key.tgid) {
		charges__flush(hot);
		if (!charges__entry(&key, true))
			return;
		hot->charge_key = key;
	}
	hot->charge_pages.pages[slot] += pages;
}

/* How far a process's anon may move before it is written again, in pages: no more than the
 * kernel's own slack in the count (a percpu_counter batch of at least 32 per CPU, 6.2+; 64
 * events per thread before). */
#define ANON_WRITE_STEP 32

/* An anon count that moved less than a step from what was written needs no write. Zero (the
 * exit) is always written. */
static __always_inline bool charges__anon_unmoved(__s64 pages, __s64 written)
{
	return pages && pages - written < ANON_WRITE_STEP && written - pages < ANON_WRITE_STEP;
}

/* Sets the anon slot of (memcg, tgid) to `pages`, the count of `mm`, which the kernel keeps
 * whole (mm counters): the last writer wins, and nothing is pending. A fault moves it by one
 * page, so this CPU writes only when it has moved a step from what it wrote last for the key,
 * or reached zero (exit). The slot remembers the mm, so that the caller can tell the next event
 * of a run needs nothing before it looks up the owner. */
static __always_inline void charges__set_anon(struct oomtrace_hot *hot, struct mem_cgroup *memcg,
					      __u64 serial, __u32 tgid, __s64 pages, __u64 mm)
{
	struct oomtrace_charge_key key = { .tgid = tgid };
	struct oomtrace_charge_value *value;

	if (!memcg__lookup(hot, memcg, serial, &key.memcg_id))
		return;
	if (hot->charge_key.memcg_id != key.memcg_id || hot->charge_key.tgid != key.tgid ||
	    !charges__anon_unmoved(pages, hot->anon_written)) {
		value = pages ? charges__entry(&key, tgid == current__tgid_or_kernel())
			      : bpf_map_lookup_elem(&charges, &key);
		if (value)
			value->pages[OOMTRACE_SLOT_ANON] = pages;
		hot->charge_key = key;
		hot->anon_written = pages;
	}
	hot->anon_mm = mm;
}

#endif /* OOMTRACE_CHARGES_BPF_H */
